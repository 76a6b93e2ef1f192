"""IBANs at rest: encrypted, with a keyed hash to find the same account again and the last four digits to show.

A database dump or backup then reveals no account numbers. The key comes from `bot.secret_key`, or, when that is
empty, from a key file created in the data directory on first use (mode 0600) - which must be backed up with the
database, because without it the stored IBANs cannot be read any more. Two independent keys (one to encrypt, one
to hash) are derived from it with HKDF, so the hash reveals nothing about the encryption key.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.config import Config

KEY_FILE = "secret.key"


class CannotDecrypt(Exception):
    """The stored IBAN was encrypted with another key (bot.secret_key changed, or the key file was lost)."""


@dataclass(frozen=True)
class SealedIban:
    ciphertext: str
    digest: str
    last4: str


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"helferbot " + purpose).derive(master)


def master_key(config: Config) -> bytes:
    if config.bot.secret_key:
        return config.bot.secret_key.encode("utf-8")
    return _key_file(config.data_dir / KEY_FILE)


def _key_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = base64.urlsafe_b64encode(secrets.token_bytes(32))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it in the meantime: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    return key


def normalise(iban: str) -> str:
    return "".join(iban.split()).upper()


class IbanVault:
    """Seals and opens IBANs; its keys are derived on first use, so the key file only appears once an IBAN is
    stored."""

    def __init__(self, master: bytes | Callable[[], bytes]):
        self._master = master if callable(master) else (lambda: master)

    @classmethod
    def from_config(cls, config: Config) -> IbanVault:
        return cls(functools.partial(master_key, config))

    @functools.cached_property
    def _fernet(self) -> Fernet:
        return Fernet(base64.urlsafe_b64encode(_derive(self._master(), b"iban encryption")))

    @functools.cached_property
    def _hash_key(self) -> bytes:
        return _derive(self._master(), b"iban lookup")

    def seal(self, iban: str) -> SealedIban:
        compact = normalise(iban)
        return SealedIban(
            ciphertext=self._fernet.encrypt(compact.encode("ascii")).decode("ascii"),
            digest=self.digest(compact),
            last4=compact[-4:],
        )

    def open(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise CannotDecrypt("the IBAN was encrypted with a different key") from None

    def digest(self, iban: str) -> str:
        return hmac.new(self._hash_key, normalise(iban).encode("ascii"), hashlib.sha256).hexdigest()


def masked(last4: str) -> str:
    return f"…{last4}"
