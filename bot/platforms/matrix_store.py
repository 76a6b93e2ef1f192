"""The bot's Matrix identity on disk: login, device, encryption keys and sync position in `matrix.store_dir`.

A Matrix device is an identity that other people's clients remember: they encrypt for its keys. Logging in
again would create a new device with new keys, and messages encrypted for the old one would become unreadable to
the bot. So the first password login saves the access token and device id (file mode 0600) next to nio's key
store, and every later start resumes that device without a new login. Losing this directory means a new device;
back it up together with the database.

The sync position is written here too, but only after every event before it has been handled (see
`SyncPosition`), so a crash re-reads events instead of skipping them; the core recognises the re-read ones by
their event id and does not answer twice.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import nio

from bot.config import MatrixSection

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "credentials.json"
SYNC_TOKEN_FILE = "sync-token"


class LoginFailed(Exception):
    """The homeserver refused the credentials; `permanent` when trying again cannot help without new config."""

    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


def client_config() -> nio.AsyncClientConfig:
    """Errors come back to the adapter instead of being retried inside nio, so it can back off and tell the outbox.

    nio's own store of sync tokens is off because the adapter saves the position only once events are handled.
    """
    return nio.AsyncClientConfig(
        encryption_enabled=True,
        store_sync_tokens=False,
        max_limit_exceeded=0,
        max_timeouts=1,
        request_timeout=30,
        max_timeout_retry_wait_time=2,
    )


def prepare_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _write_private(path: Path, text: str) -> None:
    """Atomically, readable by the bot's user only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def saved_credentials(store_dir: Path, settings: MatrixSection) -> dict | None:
    path = store_dir / CREDENTIALS_FILE
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        log.error("%s is unreadable; logging in again creates a new Matrix device", path)
        return None
    if saved.get("user_id") != settings.user_id or saved.get("homeserver") != settings.homeserver:
        log.warning("%s belongs to another account or homeserver; logging in anew", path)
        return None
    return saved


async def open_client(settings: MatrixSection, store_dir: Path) -> nio.AsyncClient:
    """A logged-in client on the bot's one device, resumed from `store_dir` whenever possible."""
    prepare_dir(store_dir)
    saved = saved_credentials(store_dir, settings)
    if settings.access_token:
        device_id = settings.device_id or (saved or {}).get("device_id", "")
        client = nio.AsyncClient(settings.homeserver, settings.user_id, store_path=str(store_dir),
                                 config=client_config())
        client.access_token = settings.access_token
        try:
            if not device_id:
                whoami = await client.whoami()
                if not isinstance(whoami, nio.WhoamiResponse) or not whoami.device_id:
                    raise LoginFailed(f"the access token was not accepted: {whoami}", permanent=_refused(whoami))
                device_id = whoami.device_id
        except BaseException:
            await client.close()
            raise
        client.restore_login(settings.user_id, device_id, settings.access_token)
        # The token stays in the configuration; only the device id is remembered.
        _write_private(store_dir / CREDENTIALS_FILE, json.dumps(
            {"homeserver": settings.homeserver, "user_id": settings.user_id, "device_id": device_id}))
        return client
    if saved and saved.get("access_token"):
        client = nio.AsyncClient(settings.homeserver, saved["user_id"], device_id=saved["device_id"],
                                 store_path=str(store_dir), config=client_config())
        client.restore_login(saved["user_id"], saved["device_id"], saved["access_token"])
        return client
    client = nio.AsyncClient(settings.homeserver, settings.user_id, device_id=settings.device_id or None,
                             store_path=str(store_dir), config=client_config())
    try:
        response = await client.login(settings.password, device_name=settings.device_name)
        if not isinstance(response, nio.LoginResponse):
            raise LoginFailed(f"login as {settings.user_id} failed: {response}", permanent=_refused(response))
    except BaseException:
        await client.close()
        raise
    _write_private(store_dir / CREDENTIALS_FILE, json.dumps({
        "homeserver": settings.homeserver,
        "user_id": response.user_id,
        "device_id": response.device_id,
        "access_token": response.access_token,
    }))
    log.info("logged in to Matrix as %s, new device %s", response.user_id, response.device_id)
    return client


def _refused(response: object) -> bool:
    return isinstance(response, nio.ErrorResponse) and response.status_code in ("M_FORBIDDEN", "M_UNKNOWN_TOKEN",
                                                                                 "M_USER_DEACTIVATED")


@dataclass
class Batch:
    """The events of one sync response; its token may be saved once none of them is waiting any more."""

    token: str | None = None
    closed: bool = False
    pending: int = 0


@dataclass
class SyncPosition:
    """Saves the newest sync token before which every event has been handled."""

    store_dir: Path
    batches: list[Batch] = field(default_factory=list)
    saved: str | None = None
    frozen: bool = False
    """Set when an event could not be handled before the bot stopped (the database was away): the position then
    stays where it is, so the homeserver hands the event out again after the restart."""

    def load(self) -> str | None:
        try:
            self.saved = (self.store_dir / SYNC_TOKEN_FILE).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            self.saved = None
        return self.saved

    def forget(self) -> None:
        """The homeserver does not know the saved position (its database was restored or replaced)."""
        (self.store_dir / SYNC_TOKEN_FILE).unlink(missing_ok=True)
        self.saved = None

    def open(self) -> Batch:
        batch = Batch()
        self.batches.append(batch)
        return batch

    def close(self, batch: Batch, token: str | None) -> None:
        batch.token, batch.closed = token, True
        self.settle()

    def done(self, batch: Batch) -> None:
        batch.pending -= 1
        self.settle()

    def settle(self) -> None:
        newest = None
        while self.batches and self.batches[0].closed and self.batches[0].pending == 0:
            batch = self.batches.pop(0)
            newest = batch.token or newest
        if newest and newest != self.saved and not self.frozen:
            _write_private(self.store_dir / SYNC_TOKEN_FILE, newest)
            self.saved = newest
