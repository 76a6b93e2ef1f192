"""Reading cross-signing keys from secret storage, against values written by matrix-js-sdk (Element's library).

VECTOR was produced once with matrix-js-sdk 37.5 (tests/js): `encodeRecoveryKey` of the key bytes 100..131,
`calculateKeyCheck` of that key for the key description, and `encryptAESSecretStorageItem` of the unpadded
base64 seeds bytes 0..31 (master), 32..63 (self-signing) and 64..95 (user-signing) under their secret names.
So a mistake shared by our encoder and decoder cannot hide here.
"""

from __future__ import annotations

import functools
import logging
import operator
import os

import pytest

from bot.platforms import matrix_crosssigning as cs
from bot.platforms import matrix_secret_storage as ss

USER = "@helferbot:beratung.example"
KEY_ID = "EzoRVYXNAQRGhaJhsdTcnHbb0hU5nyrx"
VECTOR = {
    "recoveryKey": "EsTW oTqj HCJx dk29 c4dk H394 k2v9 wsHL yt7W 82H8 gZ7z B3NZ",
    "keyCheck": {"iv": "W7NRWuhgMjNnJB7GZhBfYQ==", "mac": "yPn84OqQg0rTLUyJYrQHAF/FFaB2crJZxGz22keBwEM="},
    "secrets": {
        "m.cross_signing.master": {
            "iv": "jPTJH5IUHsEgy8RwkFAvyw==",
            "ciphertext": "wbDcq1/QHJvcylCABx4d3HcfKMHSnE+5EYkh9f3iUhGaO4GBu3N0pJMj4A==",
            "mac": "NvIXQOg50HdRO5Cz7BD5iJni+hX+uUp6eHfTXG6JMSA=",
        },
        "m.cross_signing.self_signing": {
            "iv": "RrQqP2pJGa4Cpr+hQyi7CA==",
            "ciphertext": "Psop8CWHn3mPHRqhmGbhuVOPF8SzdbEwrzoqR8JCQJWd2yiAnofXNYY/VA==",
            "mac": "Xj8Ljc0k5f5+LR42qQPIt27QD9gwGLiXCtKX8Aamies=",
        },
        "m.cross_signing.user_signing": {
            "iv": "vT6trgv/7gVrWlUCedzBLA==",
            "ciphertext": "w1hY51OYw14QSJeWdA6GFKWlIYH2sehoLRqwmLNSR08N1H8TxbxHGdqXqw==",
            "mac": "pob9lXaVItnPC1f2Znw3hpZxSGevbmX4+cMSEJsHp/k=",
        },
    },
}
SEEDS = {"master": bytes(range(32)), "self_signing": bytes(range(32, 64)), "user_signing": bytes(range(64, 96))}
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(data: bytes) -> str:
    number, out = int.from_bytes(data, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        out = ALPHABET[digit] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def encode(key: bytes, prefix: bytes = b"\x8b\x01") -> str:
    body = prefix + key
    return b58encode(body + bytes([functools.reduce(operator.xor, body, 0)]))


def account(**changes) -> dict:
    data = {
        ss.DEFAULT_KEY: {"key": KEY_ID},
        f"m.secret_storage.key.{KEY_ID}": {"algorithm": ss.ALGORITHM, **VECTOR["keyCheck"]},
        **{name: {"encrypted": {KEY_ID: payload}} for name, payload in VECTOR["secrets"].items()},
    }
    data.update(changes)
    return {kind: value for kind, value in data.items() if value is not None}


def reader(data: dict):
    async def account_data(kind: str) -> dict | None:
        return data.get(kind)
    return account_data


def test_a_recovery_key_from_element_decodes_to_its_key_bytes() -> None:
    assert ss.decode_recovery_key(VECTOR["recoveryKey"]) == bytes(range(100, 132))
    assert ss.decode_recovery_key(VECTOR["recoveryKey"].replace(" ", "")) == bytes(range(100, 132))
    assert ss.decode_recovery_key(" " + VECTOR["recoveryKey"].replace(" ", "  ") + "\n") == bytes(range(100, 132))
    key = os.urandom(32)
    assert ss.decode_recovery_key(encode(key)) == key


@pytest.mark.parametrize(("text", "says"), [
    (VECTOR["recoveryKey"][:-1] + ("A" if VECTOR["recoveryKey"][-1] != "A" else "B"), "check digit"),
    (VECTOR["recoveryKey"].replace("EsTW", "EsWT"), "check digit"),
    (encode(bytes(32), prefix=b"\x8b\x02"), "prefix"),
    (encode(bytes(31)), "length"),
    (encode(bytes(33)), "length"),
    (VECTOR["recoveryKey"].replace("o", "0"), "character"),
    ("", "prefix"),
])
def test_a_mistyped_recovery_key_is_refused_as_such(text: str, says: str) -> None:
    with pytest.raises(ss.RecoveryFailed) as caught:
        ss.decode_recovery_key(text)
    assert caught.value.reason is ss.Reason.INVALID_KEY and says in str(caught.value)


def test_the_key_check_tells_the_right_key_from_another() -> None:
    description = VECTOR["keyCheck"]
    assert ss.key_matches(bytes(range(100, 132)), description) is True
    assert ss.key_matches(bytes(range(101, 133)), description) is False
    assert ss.key_matches(bytes(range(100, 132)), {}) is None


async def test_the_cross_signing_seeds_come_out_of_secret_storage() -> None:
    seeds = await ss.read_cross_signing_seeds(VECTOR["recoveryKey"], reader(account()))
    assert seeds == SEEDS


async def test_a_different_recovery_key_is_reported_before_any_secret_is_read() -> None:
    with pytest.raises(ss.RecoveryFailed) as caught:
        await ss.read_cross_signing_seeds(encode(os.urandom(32)), reader(account()))
    assert caught.value.reason is ss.Reason.WRONG_KEY
    # Without a key check in the description the secret's own MAC says the same.
    unchecked = account(**{f"m.secret_storage.key.{KEY_ID}": {"algorithm": ss.ALGORITHM}})
    with pytest.raises(ss.RecoveryFailed) as caught:
        await ss.read_cross_signing_seeds(encode(os.urandom(32)), reader(unchecked))
    assert caught.value.reason is ss.Reason.WRONG_KEY


async def test_a_secret_encrypted_under_another_name_does_not_decrypt() -> None:
    """The secret's name goes into the key derivation: one secret cannot be passed off as another."""
    swapped = account(**{"m.cross_signing.self_signing": {
        "encrypted": {KEY_ID: VECTOR["secrets"]["m.cross_signing.master"]}}})
    with pytest.raises(ss.RecoveryFailed) as caught:
        await ss.read_cross_signing_seeds(VECTOR["recoveryKey"], reader(swapped))
    assert caught.value.reason is ss.Reason.WRONG_KEY


@pytest.mark.parametrize(("changes", "reason", "says"), [
    ({"m.cross_signing.user_signing": None}, ss.Reason.MISSING_SECRET, "m.cross_signing.user_signing"),
    ({"m.cross_signing.master": {"encrypted": {"otherkey": {}}}}, ss.Reason.MISSING_SECRET,
     "m.cross_signing.master"),
    ({"m.cross_signing.master": {}}, ss.Reason.MISSING_SECRET, "m.cross_signing.master"),
    ({ss.DEFAULT_KEY: None}, ss.Reason.NO_STORAGE, "no secret storage"),
    ({f"m.secret_storage.key.{KEY_ID}": None}, ss.Reason.NO_STORAGE, "no secret storage"),
    ({f"m.secret_storage.key.{KEY_ID}": {"algorithm": "m.secret_storage.v2"}}, ss.Reason.NO_STORAGE,
     "m.secret_storage.v2"),
])
async def test_what_is_missing_is_named(changes: dict, reason: ss.Reason, says: str) -> None:
    with pytest.raises(ss.RecoveryFailed) as caught:
        await ss.read_cross_signing_seeds(VECTOR["recoveryKey"], reader(account(**changes)))
    assert caught.value.reason is reason and says in str(caught.value)


class _FakeApi:
    def __init__(self, data: dict):
        self.data = data

    async def account_data(self, user_id: str, kind: str) -> dict | None:
        assert user_id == USER
        return self.data.get(kind)


def published(**overrides: cs.SigningKey) -> dict:
    keys = {usage: cs.SigningKey(seed) for usage, seed in SEEDS.items()} | overrides
    return {usage: cs.key_object(USER, usage, key) for usage, key in keys.items()}


async def test_the_imported_keys_must_be_the_published_ones(caplog) -> None:
    imported = await cs._import_identity(_FakeApi(account()), USER, VECTOR["recoveryKey"], published())
    assert imported == cs.CrossSigningKeys(USER, *(cs.SigningKey(SEEDS[usage]) for usage in cs.USAGES))

    other = cs.SigningKey.generate()
    with caplog.at_level(logging.ERROR, logger="bot.platforms.matrix_crosssigning"):
        refused = await cs._import_identity(_FakeApi(account()), USER, VECTOR["recoveryKey"],
                                            published(self_signing=other))
    assert refused is None
    assert "self-signing key in the account's secret storage" in caplog.text and other.public in caplog.text
    assert "Nothing was changed" in caplog.text


async def test_the_recovery_key_never_reaches_the_log(caplog) -> None:
    wrong = encode(os.urandom(32))
    with caplog.at_level(logging.DEBUG):
        for key, data in ((wrong, account()), (VECTOR["recoveryKey"], account(**{ss.DEFAULT_KEY: None})),
                          (VECTOR["recoveryKey"][:-2], account())):
            assert await cs._import_identity(_FakeApi(data), USER, key, published()) is None
    assert "recovery key is well-formed but is not the key" in caplog.text
    assert "no secret storage" in caplog.text and "check digit" in caplog.text
    for key in (wrong, VECTOR["recoveryKey"]):
        for part in key.split():
            assert part not in caplog.text
