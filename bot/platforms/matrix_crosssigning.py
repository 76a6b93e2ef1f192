"""The bot account's own cross-signing identity: master, self-signing and user-signing keys.

Element's "exclude insecure devices" (MSC4153) shares no room keys with a device its owner has not cross-signed
and hides what such a device sends; without it, every bot message carries a red "not verified by its owner"
warning. matrix-nio has no cross-signing, so the bot does it here with plain Ed25519 keys (`cryptography`) over
the spec's canonical JSON: on first start it makes the three keys, uploads them, and signs its own device with the
self-signing key. The private keys live in `cross-signing.json` next to the device store (mode 0600) and must be
backed up with it: they are the account's identity, which people who verified the bot have pinned.

The bot never replaces an identity it does not hold. If the account already has a master key that is not in the
keys file (set up in Element, or the file was lost), it logs what to do and leaves the account alone; the bot
then still works, only unsigned. `helferbot`'s README ("Encryption and trust") describes the ways out; one is
`matrix.recovery_key`, with which the bot takes the identity's private keys from the account's secret storage
(`matrix_secret_storage`), after checking them against the keys the account publishes.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bot.platforms import matrix_secret_storage as secret_storage

log = logging.getLogger(__name__)

KEYS_FILE = "cross-signing.json"
USAGES = ("master", "self_signing", "user_signing")


class Outcome(Enum):
    SIGNED = "signed"
    """The bot holds the account's identity and its device carries a self-signing signature."""
    FOREIGN = "foreign"
    """The account has cross-signing keys the bot does not hold: nothing was changed."""
    NO_AUTH = "no_auth"
    """The homeserver wants the password to accept new keys, and none is configured."""


class CrossSigningError(Exception):
    """The homeserver refused or failed a request; trying again later may help."""


# --- the signing rules --------------------------------------------------------------------------------------
def canonical_json(value: Any) -> bytes:
    """The spec's canonical JSON: sorted keys, no insignificant whitespace, UTF-8, no floats."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                      allow_nan=False).encode("utf-8")


def unpadded_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode_unpadded(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def signing_bytes(obj: dict) -> bytes:
    """What a signature covers: the object without `signatures` and `unsigned`."""
    return canonical_json({k: v for k, v in obj.items() if k not in ("signatures", "unsigned")})


@dataclass(frozen=True)
class SigningKey:
    seed: bytes

    @classmethod
    def generate(cls) -> SigningKey:
        raw = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        return cls(raw)

    @property
    def public(self) -> str:
        raw = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return unpadded_b64(raw)

    @property
    def key_id(self) -> str:
        return f"ed25519:{self.public}"

    def sign(self, obj: dict, user_id: str) -> dict:
        """A copy of `obj` with this key's signature added to the signatures already on it."""
        signature = unpadded_b64(Ed25519PrivateKey.from_private_bytes(self.seed).sign(signing_bytes(obj)))
        signed = dict(obj)
        signatures = {user: dict(sigs) for user, sigs in obj.get("signatures", {}).items()}
        signatures.setdefault(user_id, {})[self.key_id] = signature
        signed["signatures"] = signatures
        return signed


def verify(obj: dict, user_id: str, public_key: str) -> bool:
    """Whether `obj` carries a valid signature by `public_key` (unpadded base64) for `user_id`."""
    signature = obj.get("signatures", {}).get(user_id, {}).get(f"ed25519:{public_key}")
    if not isinstance(signature, str):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(b64decode_unpadded(public_key)).verify(
            b64decode_unpadded(signature), signing_bytes(obj))
    except Exception:
        return False
    return True


def key_object(user_id: str, usage: str, key: SigningKey) -> dict:
    return {"user_id": user_id, "usage": [usage], "keys": {key.key_id: key.public}}


def only_key(obj: dict | None) -> str | None:
    """The public key of a cross-signing key object as `/keys/query` returns it."""
    keys = (obj or {}).get("keys") or {}
    return next(iter(keys.values()), None) if len(keys) == 1 else None


# --- the keys file ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CrossSigningKeys:
    user_id: str
    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls, user_id: str) -> CrossSigningKeys:
        return cls(user_id, SigningKey.generate(), SigningKey.generate(), SigningKey.generate())

    def upload_body(self) -> dict:
        """Master key; self-signing and user-signing keys signed by the master key."""
        return {
            "master_key": key_object(self.user_id, "master", self.master),
            "self_signing_key": self.master.sign(key_object(self.user_id, "self_signing", self.self_signing),
                                                 self.user_id),
            "user_signing_key": self.master.sign(key_object(self.user_id, "user_signing", self.user_signing),
                                                 self.user_id),
        }

    def to_json(self) -> str:
        return json.dumps({"user_id": self.user_id, **{
            usage: unpadded_b64(getattr(self, usage).seed) for usage in USAGES}}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> CrossSigningKeys:
        data = json.loads(text)
        return cls(data["user_id"], *(SigningKey(b64decode_unpadded(data[usage])) for usage in USAGES))


def load_keys(store_dir: Path, user_id: str) -> CrossSigningKeys | None:
    path = store_dir / KEYS_FILE
    try:
        keys = CrossSigningKeys.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if keys.user_id != user_id:
        raise CrossSigningError(f"{path} holds the keys of {keys.user_id}, not of {user_id}")
    return keys


def save_keys(store_dir: Path, keys: CrossSigningKeys) -> None:
    """Atomically and readable by the bot's user only, before anything is uploaded: keys the homeserver
    knows but the bot has lost would lock the bot out of its own identity."""
    path = store_dir / KEYS_FILE
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(keys.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


# --- the homeserver -----------------------------------------------------------------------------------------
class _Api:
    def __init__(self, http: aiohttp.ClientSession, homeserver: str, token: str):
        self.http, self.base, self.headers = http, homeserver.rstrip("/"), {"Authorization": f"Bearer {token}"}

    async def post(self, path: str, body: dict) -> tuple[int, dict]:
        async with self.http.post(f"{self.base}/_matrix/client/v3/{path}", json=body,
                                  headers=self.headers) as response:
            try:
                data = await response.json(content_type=None)
            except ValueError:
                data = {}
            return response.status, data if isinstance(data, dict) else {}

    async def own_keys(self, user_id: str) -> dict:
        status, data = await self.post("keys/query", {"device_keys": {user_id: []}})
        if status != 200:
            raise CrossSigningError(f"/keys/query answered {status}: {data.get('errcode')}")
        return {
            "master": (data.get("master_keys") or {}).get(user_id),
            "self_signing": (data.get("self_signing_keys") or {}).get(user_id),
            "user_signing": (data.get("user_signing_keys") or {}).get(user_id),
            "devices": (data.get("device_keys") or {}).get(user_id) or {},
        }

    async def account_data(self, user_id: str, kind: str) -> dict | None:
        async with self.http.get(f"{self.base}/_matrix/client/v3/user/{quote(user_id, safe='')}/account_data/"
                                 f"{quote(kind, safe='')}", headers=self.headers) as response:
            if response.status == 404:
                return None
            try:
                data = await response.json(content_type=None)
            except ValueError:
                data = None
            if response.status != 200 or not isinstance(data, dict):
                raise CrossSigningError(f"reading account data {kind} answered {response.status}")
            return data


async def _upload_keys(api: _Api, keys: CrossSigningKeys, password: str) -> bool:
    """`/keys/device_signing/upload`, with password auth when the homeserver asks for it."""
    body = keys.upload_body()
    status, data = await api.post("keys/device_signing/upload", body)
    if status == 401 and "flows" in data:
        if not password:
            return False
        auth = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": keys.user_id},
                "password": password, "session": data.get("session")}
        status, data = await api.post("keys/device_signing/upload", {**body, "auth": auth})
    if status != 200:
        raise CrossSigningError(f"uploading cross-signing keys was refused: {status} {data.get('errcode')}")
    return True


async def ensure_identity(*, homeserver: str, access_token: str, user_id: str, device_id: str, password: str,
                          store_dir: Path, reset: bool = False, recovery_key: str = "",
                          http: aiohttp.ClientSession | None = None) -> Outcome:
    """Make sure the account has the bot's cross-signing identity and the bot's device is signed by it.

    Safe to call on every start: it only uploads what is missing. An identity the bot does not hold is taken over
    from secret storage with `recovery_key`, replaced by a new one with `reset` (the operator asked for either),
    and otherwise left alone. Network errors propagate; the caller tries again later.
    """
    own_session = http is None
    http = http or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    try:
        api = _Api(http, homeserver, access_token)
        keys = load_keys(store_dir, user_id)
        published = await api.own_keys(user_id)
        published_master = only_key(published["master"])
        foreign = published_master is not None and (keys is None or published_master != keys.master.public)
        if recovery_key and not foreign:
            log.warning("matrix.recovery_key is set, but %s; remove recovery_key from the configuration",
                        f"the bot already holds the cross-signing identity of {user_id}" if published_master else
                        f"{user_id} has no cross-signing identity to import, so the bot creates one of its own")
        if foreign and recovery_key:
            imported = await _import_identity(api, user_id, recovery_key, published)
            if imported is None:
                return Outcome.FOREIGN
            _replace_keys_file(store_dir)
            save_keys(store_dir, imported)
            keys, foreign = imported, False
            log.warning("imported the cross-signing identity of %s (master key %s) from its secret storage with "
                        "matrix.recovery_key; remove recovery_key from the configuration now, the bot keeps the "
                        "keys in %s", user_id, published_master, store_dir / KEYS_FILE)
        if foreign and not reset:
            _explain_foreign(user_id, published_master, keys)
            return Outcome.FOREIGN
        if keys is None or foreign:
            if keys is not None:
                _replace_keys_file(store_dir)
            keys = CrossSigningKeys.generate(user_id)
            save_keys(store_dir, keys)
            if foreign:
                log.warning("matrix.reset_cross_signing: replacing the cross-signing identity of %s (master key "
                            "%s) with a new one (master key %s); people who verified the bot must verify it again. "
                            "Set reset_cross_signing back to false.", user_id, published_master, keys.master.public)
            else:
                log.info("created a cross-signing identity for %s (master key %s)", user_id, keys.master.public)
        if foreign or published_master is None or only_key(published["self_signing"]) != keys.self_signing.public:
            if not await _upload_keys(api, keys, password):
                log.error("the homeserver asks for the password of %s to publish the bot's cross-signing keys, "
                          "but only an access token is configured; set matrix.password once and restart",
                          user_id)
                return Outcome.NO_AUTH
            log.info("published the cross-signing keys of %s", user_id)
        await _sign_device(api, keys, published["devices"].get(device_id), device_id)
        return Outcome.SIGNED
    finally:
        if own_session:
            await http.close()


def _replace_keys_file(store_dir: Path) -> None:
    """Keys the account no longer publishes may still be someone's only copy of an identity: keep them."""
    if (store_dir / KEYS_FILE).exists():
        kept = store_dir / f"{KEYS_FILE}.replaced-{int(time.time())}"
        os.replace(store_dir / KEYS_FILE, kept)
        log.warning("keeping the bot's earlier cross-signing keys in %s", kept)


async def _import_identity(api: _Api, user_id: str, recovery_key: str,
                           published: dict) -> CrossSigningKeys | None:
    """The account's identity from secret storage, or None (logged) when the recovery key cannot give it.

    Only keys whose public halves are exactly those the account publishes are taken: stale secret storage
    (Element reset the identity without updating it) would otherwise sign the device with keys nobody trusts.
    """
    try:
        seeds = await secret_storage.read_cross_signing_seeds(
            recovery_key, lambda kind: api.account_data(user_id, kind))
        keys = CrossSigningKeys(user_id, *(SigningKey(seeds[usage]) for usage in USAGES))
        for usage in USAGES:
            public = only_key(published.get(usage))
            if public != getattr(keys, usage).public:
                raise secret_storage.RecoveryFailed(
                    secret_storage.Reason.MISMATCH,
                    f"the {usage.replace('_', '-')} key in the account's secret storage ({getattr(keys, usage).public})"
                    f" is not the one the account publishes ({public}): secret storage is out of date")
    except secret_storage.RecoveryFailed as exc:
        log.error("matrix.recovery_key: could not import the cross-signing identity of %s: %s. Nothing was "
                  "changed; the bot keeps working unsigned. See README, \"Encryption and trust\".", user_id, exc)
        return None
    return keys


def _explain_foreign(user_id: str, published_master: str, keys: CrossSigningKeys | None) -> None:
    held = f"{KEYS_FILE} holds another one ({keys.master.public})" if keys else f"{KEYS_FILE} is missing"
    log.error(
        "the Matrix account %s has a cross-signing identity (master key %s) whose private keys the bot does not "
        "hold: %s. Nothing was changed: the bot keeps working, but Element shows its messages as unverified and "
        "clients that exclude insecure devices will not talk to it. Restore %s from the backup of the Matrix "
        "store, or set matrix.recovery_key to the account's Element recovery key once, or set "
        "matrix.reset_cross_signing = true once to give the account a new identity (people "
        "who verified the bot then verify it again); see README, \"Encryption and trust\".",
        user_id, published_master, held, KEYS_FILE)


async def _sign_device(api: _Api, keys: CrossSigningKeys, device: dict | None, device_id: str) -> None:
    if device is None:
        raise CrossSigningError(f"the homeserver does not list the keys of device {device_id} yet")
    if verify(device, keys.user_id, keys.self_signing.public):
        return
    # Only the new signature goes up; the homeserver adds it to those the device already has.
    signed = keys.self_signing.sign({k: v for k, v in device.items() if k not in ("signatures", "unsigned")},
                                    keys.user_id)
    status, data = await api.post("keys/signatures/upload", {keys.user_id: {device_id: signed}})
    failures = data.get("failures") or {}
    if status != 200 or failures:
        raise CrossSigningError(f"signing device {device_id} was refused: {status} {failures or data}")
    log.info("signed device %s of %s with its self-signing key", device_id, keys.user_id)
