"""Reading the account's cross-signing private keys from its secret storage with an Element recovery key.

When an admin signs into the bot account with Element first, Element creates the account's cross-signing
identity and keeps its private keys only in the account's secret storage on the homeserver (account data
encrypted with the recovery key Element shows once). The bot cannot sign its device with an identity it does not
hold, and replacing the identity would make everyone who verified the account verify it again; with the recovery
key the bot can take over the existing identity instead. Only the read side of the spec's
`m.secret_storage.v1.aes-hmac-sha2` is here (Client-Server API, "Secret storage"): the bot never writes secret
storage, so the account stays as Element left it.

The recovery key is the account's master secret: it is never logged, and every failure names what went wrong
(a mistyped key, a different key, a missing secret) without repeating the key.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from enum import Enum

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALGORITHM = "m.secret_storage.v1.aes-hmac-sha2"
DEFAULT_KEY = "m.secret_storage.default_key"
SECRETS = {
    "master": "m.cross_signing.master",
    "self_signing": "m.cross_signing.self_signing",
    "user_signing": "m.cross_signing.user_signing",
}
"""The secret holding each cross-signing key's seed, by the key's usage."""

# The spec's "cryptographic key representation": chosen so no Bitcoin key decodes as a recovery key.
_PREFIX = b"\x8b\x01"
_KEY_SIZE = 32
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class Reason(Enum):
    INVALID_KEY = "invalid_key"
    """What is configured cannot be a recovery key at all: most likely mistyped."""
    NO_STORAGE = "no_storage"
    """The account has no secret storage the bot can read."""
    WRONG_KEY = "wrong_key"
    """A well-formed recovery key, but not the one of the account's secret storage."""
    MISSING_SECRET = "missing_secret"
    """The secret storage lacks one of the cross-signing keys (or holds it unreadably)."""
    MISMATCH = "mismatch"
    """A stored key is not the one the account publishes: secret storage is out of date."""


class RecoveryFailed(Exception):
    def __init__(self, reason: Reason, message: str):
        super().__init__(message)
        self.reason = reason


# --- the recovery key ---------------------------------------------------------------------------------------
def _base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        digit = _BASE58.find(char)
        if digit < 0:
            raise RecoveryFailed(Reason.INVALID_KEY, "the recovery key contains a character no recovery key has")
        number = number * 58 + digit
    leading_zeros = len(text) - len(text.lstrip(_BASE58[0]))
    return b"\0" * leading_zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def decode_recovery_key(text: str) -> bytes:
    """The 32-byte secret storage key behind Element's recovery key ("EsTW oTqj ...").

    The parity byte and the prefix catch almost every typo before the homeserver is asked anything, so a
    mistyped key is reported as such and not as "a different key".
    """
    data = _base58_decode("".join(text.split()))
    parity = 0
    for byte in data:
        parity ^= byte
    if parity != 0:
        raise RecoveryFailed(Reason.INVALID_KEY, "the recovery key's check digit does not match (mistyped?)")
    if not data.startswith(_PREFIX):
        raise RecoveryFailed(Reason.INVALID_KEY, "this is not an Element recovery key (wrong prefix)")
    if len(data) != len(_PREFIX) + _KEY_SIZE + 1:
        raise RecoveryFailed(Reason.INVALID_KEY, "the recovery key has the wrong length (characters missing?)")
    return data[len(_PREFIX):-1]


# --- m.secret_storage.v1.aes-hmac-sha2 ----------------------------------------------------------------------
def _b64decode(text: object) -> bytes:
    """Element writes padded base64 here, the spec's examples are unpadded: both are accepted."""
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _derive(key: bytes, name: str) -> tuple[bytes, bytes]:
    # The spec's salt is 32 zero bytes, matrix-js-sdk passes 8: HMAC pads its key with zeros, so both agree.
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=bytes(32), info=name.encode("utf-8")).derive(key)
    return okm[:32], okm[32:]


def _mac(hmac_key: bytes, ciphertext: bytes) -> bytes:
    return hmac.new(hmac_key, ciphertext, "sha256").digest()


def _aes_ctr(aes_key: bytes, iv: bytes, data: bytes) -> bytes:
    transform = Cipher(algorithms.AES(aes_key), modes.CTR(iv)).encryptor()
    return transform.update(data) + transform.finalize()


def key_matches(key: bytes, description: dict) -> bool | None:
    """Whether `key` is the one `m.secret_storage.key.<id>` describes; None when the description has no check.

    The check is the MAC of 32 zero bytes encrypted under the name "", so a wrong key is told apart from a
    damaged secret before any secret is touched.
    """
    try:
        iv, expected = _b64decode(description.get("iv")), _b64decode(description.get("mac"))
    except (ValueError, binascii.Error):
        return None
    aes_key, hmac_key = _derive(key, "")
    return hmac.compare_digest(_mac(hmac_key, _aes_ctr(aes_key, iv, bytes(32))), expected)


def decrypt_secret(key: bytes, name: str, payload: dict) -> str:
    """The plaintext of one secret's `{iv, ciphertext, mac}`; a failed MAC means another key encrypted it."""
    try:
        iv, ciphertext, mac = (_b64decode(payload.get(field)) for field in ("iv", "ciphertext", "mac"))
    except (ValueError, binascii.Error) as exc:
        raise RecoveryFailed(Reason.MISSING_SECRET, f"the secret {name} in secret storage is damaged") from exc
    aes_key, hmac_key = _derive(key, name)
    if not hmac.compare_digest(_mac(hmac_key, ciphertext), mac):
        raise RecoveryFailed(Reason.WRONG_KEY, f"the recovery key does not decrypt the secret {name}: it "
                                               "belongs to other secret storage than the account's")
    try:
        return _aes_ctr(aes_key, iv, ciphertext).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecoveryFailed(Reason.MISSING_SECRET, f"the secret {name} in secret storage is damaged") from exc


AccountData = Callable[[str], Awaitable[dict | None]]
"""Reads one type of the account's global account data; None when the account has none of that type."""


async def read_cross_signing_seeds(recovery_key: str, account_data: AccountData) -> dict[str, bytes]:
    """The Ed25519 seeds of the three cross-signing keys, by usage, from the account's default secret storage.

    Raises `RecoveryFailed`; whether the seeds belong to the keys the account publishes is the caller's check.
    """
    key = decode_recovery_key(recovery_key)
    key_id = ((await account_data(DEFAULT_KEY)) or {}).get("key")
    description = await account_data(f"m.secret_storage.key.{key_id}") if isinstance(key_id, str) else None
    if not description:
        raise RecoveryFailed(Reason.NO_STORAGE, "the account has no secret storage (Element sets it up with "
                                                "\"Set up recovery\")")
    if description.get("algorithm") != ALGORITHM:
        raise RecoveryFailed(Reason.NO_STORAGE, f"the account's secret storage uses {description.get('algorithm')!r}, "
                                                f"the bot reads only {ALGORITHM}")
    if key_matches(key, description) is False:
        raise RecoveryFailed(Reason.WRONG_KEY, "the recovery key is well-formed but is not the key of the "
                                               "account's secret storage (an older one, or another account's?)")
    seeds = {}
    for usage, name in SECRETS.items():
        payload = (((await account_data(name)) or {}).get("encrypted") or {}).get(key_id)
        if not isinstance(payload, dict):
            raise RecoveryFailed(Reason.MISSING_SECRET, f"the account's secret storage does not hold {name}")
        try:
            seed = _b64decode(decrypt_secret(key, name, payload))
        except (ValueError, binascii.Error):
            seed = b""
        if len(seed) != 32:
            raise RecoveryFailed(Reason.MISSING_SECRET, f"the secret {name} is not an Ed25519 key")
        seeds[usage] = seed
    return seeds
