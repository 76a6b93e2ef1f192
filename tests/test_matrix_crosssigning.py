"""The bot's cross-signing keys against the spec's signing rules, checked with signedjson (Synapse's own code).

Signatures are verified with `signedjson`/`canonicaljson`, not with the module under test, so a mistake in our
canonical JSON or base64 shows up as a failed verification here rather than being agreed with.
"""

from __future__ import annotations

import stat

import pytest
from signedjson.key import decode_verify_key_bytes
from signedjson.sign import SignatureVerifyException, verify_signed_json

from bot.platforms import matrix_crosssigning as cs

USER = "@helferbot:beratung.example"


def verify_key(public: str):
    return decode_verify_key_bytes(f"ed25519:{public}", cs.b64decode_unpadded(public))


def test_upload_body_follows_the_spec_and_the_sub_keys_are_signed_by_the_master_key() -> None:
    keys = cs.CrossSigningKeys.generate(USER)
    body = keys.upload_body()
    master = body["master_key"]
    assert master == {"user_id": USER, "usage": ["master"],
                      "keys": {f"ed25519:{keys.master.public}": keys.master.public}}
    assert len(cs.b64decode_unpadded(keys.master.public)) == 32 and "=" not in keys.master.public
    for name, usage in (("self_signing_key", "self_signing"), ("user_signing_key", "user_signing")):
        sub = body[name]
        assert sub["usage"] == [usage] and sub["user_id"] == USER
        verify_signed_json(sub, USER, verify_key(keys.master.public))
        with pytest.raises(SignatureVerifyException):
            verify_signed_json(sub, USER, verify_key(keys.self_signing.public))
    assert len({keys.master.public, keys.self_signing.public, keys.user_signing.public}) == 3


def test_a_device_signature_covers_the_canonical_json_without_signatures_and_unsigned() -> None:
    keys = cs.CrossSigningKeys.generate(USER)
    device = {
        "user_id": USER, "device_id": "BOTDEVICE", "algorithms": ["m.olm.v1.curve25519-aes-sha2"],
        "keys": {"ed25519:BOTDEVICE": "abc", "curve25519:BOTDEVICE": "def"},
        "signatures": {USER: {"ed25519:BOTDEVICE": "device-self-signature"}},
        "unsigned": {"device_display_name": "Helferbot – Ünïcode"},
    }
    signed = keys.self_signing.sign(device, USER)
    verify_signed_json(signed, USER, verify_key(keys.self_signing.public))
    # The earlier signature is kept, and a changed display name (unsigned) does not break the signature ...
    assert signed["signatures"][USER]["ed25519:BOTDEVICE"] == "device-self-signature"
    verify_signed_json({**signed, "unsigned": {"device_display_name": "anders"}}, USER,
                       verify_key(keys.self_signing.public))
    assert cs.verify(signed, USER, keys.self_signing.public)
    # ... while a changed key does, in signedjson's view and in ours.
    tampered = {**signed, "keys": {**signed["keys"], "curve25519:BOTDEVICE": "evil"}}
    with pytest.raises(SignatureVerifyException):
        verify_signed_json(tampered, USER, verify_key(keys.self_signing.public))
    assert not cs.verify(tampered, USER, keys.self_signing.public)
    assert not cs.verify(signed, "@someone:else", keys.self_signing.public)
    assert "signatures" not in device["signatures"][USER] and len(device["signatures"][USER]) == 1


def test_canonical_json_matches_the_reference_implementation() -> None:
    from canonicaljson import encode_canonical_json

    value = {"b": [1, {"z": "ß", "a": None}], "a": "\u2028 \"x\" \\ é", "ä": True, "1": {}}
    assert cs.canonical_json(value) == encode_canonical_json(value)


def test_the_keys_file_is_private_and_survives_a_round_trip(tmp_path) -> None:
    keys = cs.CrossSigningKeys.generate(USER)
    cs.save_keys(tmp_path, keys)
    path = tmp_path / cs.KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = cs.load_keys(tmp_path, USER)
    assert loaded == keys
    assert loaded.master.public == keys.master.public
    assert cs.load_keys(tmp_path / "nothing-here", USER) is None
    with pytest.raises(cs.CrossSigningError):
        cs.load_keys(tmp_path, "@other:beratung.example")
