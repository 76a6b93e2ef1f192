"""A real Synapse homeserver for the test suite.

The Matrix adapter talks to Element users whose direct chats are end-to-end encrypted, so the only
trustworthy test partner is a real homeserver speaking the real client-server API. This module runs
the installed ``matrix-synapse`` as a subprocess on 127.0.0.1 with everything a test does not need
switched off (federation, key servers, URL previews, stats), so it starts in a few seconds and never
touches the network.

Every Synapse started here runs in its own process group and is killed when the test process
ends, however it ends: a stray homeserver would keep its port and its SQLite file busy for the
next run.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest_asyncio
from signedjson.key import generate_signing_key, write_signing_keys

SERVER_NAME = "localhost"

# Generous enough that no ordinary test ever sees M_LIMIT_EXCEEDED.
_UNLIMITED = {"per_second": 10_000, "burst_count": 100_000}

# Low enough that a short burst of messages from one user is refused with M_LIMIT_EXCEEDED,
# high enough that the retry_after_ms Synapse hands back keeps a test short.
LOW_MESSAGE_RATE = {"per_second": 0.5, "burst_count": 3}

_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 15.0

# Process ids of every Synapse this process started and has not stopped yet.
_live_pids: set[int] = set()


def _kill_leftovers() -> None:
    for pid in list(_live_pids):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        _live_pids.discard(pid)


atexit.register(_kill_leftovers)


# Loaded once here: after fork, the child should call into libc, not look it up.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """Runs in the forked child: if the test process is killed outright, Synapse gets SIGKILL too."""

    def arrange() -> None:
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent_pid:  # the parent died before prctl took effect
                os._exit(1)

    return arrange


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"({path.name} does not exist)"
    return "\n".join(text.splitlines()[-lines:]) or f"({path.name} is empty)"


class SynapseStartError(RuntimeError):
    pass


class RegistrationError(RuntimeError):
    def __init__(self, localpart: str, status: int, body: dict):
        self.errcode = body.get("errcode")
        super().__init__(f"registering {localpart!r} failed: {status} {body}")


class SynapseServer:
    """One homeserver with its config, signing key, SQLite database, media store and log in ``workdir``."""

    def __init__(self, workdir: Path, *, low_message_rate: bool = False, server_name: str = SERVER_NAME):
        self.workdir = Path(workdir)
        self.server_name = server_name
        self.low_message_rate = low_message_rate
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = self.workdir / "homeserver.yaml"
        self.log_path = self.workdir / "homeserver.log"
        self.console_path = self.workdir / "console.log"
        self.startup_seconds: float | None = None
        self._registration_secret = secrets.token_hex(32)
        self._process: asyncio.subprocess.Process | None = None
        self._write_config()

    # -- configuration -------------------------------------------------------------------------

    def _write_config(self) -> None:
        """Writes JSON, which is valid YAML, so the config needs no YAML library on our side."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "media_store").mkdir(exist_ok=True)
        signing_key_path = self.workdir / "signing.key"
        if not signing_key_path.exists():
            with signing_key_path.open("w") as handle:
                write_signing_keys(handle, [generate_signing_key("a_test")])

        log_config_path = self.workdir / "log.config"
        log_config = {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "precise": {"format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s"}
            },
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "precise",
                    "filename": str(self.log_path),
                    "encoding": "utf8",
                }
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
        }
        log_config_path.write_text(json.dumps(log_config, indent=2))

        message_rate = LOW_MESSAGE_RATE if self.low_message_rate else _UNLIMITED
        config = {
            "server_name": self.server_name,
            "public_baseurl": self.url + "/",
            "pid_file": str(self.workdir / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(self.workdir / "homeserver.db")},
            },
            "log_config": str(log_config_path),
            "media_store_path": str(self.workdir / "media_store"),
            "signing_key_path": str(signing_key_path),
            "registration_shared_secret": self._registration_secret,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "enable_registration": False,
            "report_stats": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "url_preview_enabled": False,
            "enable_metrics": False,
            "presence": {"enabled": False},
            "encryption_enabled_by_default_for_room_type": "off",
            "federation_domain_whitelist": [],
            "rc_message": message_rate,
            "rc_registration": _UNLIMITED,
            "rc_login": {"address": _UNLIMITED, "account": _UNLIMITED, "failed_attempts": _UNLIMITED},
            "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
            "rc_joins_per_room": _UNLIMITED,
            "rc_invites": {"per_room": _UNLIMITED, "per_user": _UNLIMITED, "per_issuer": _UNLIMITED},
            "rc_3pid_validation": _UNLIMITED,
            "rc_key_requests": _UNLIMITED,
            "rc_media_create": _UNLIMITED,
            "rc_room_creation": _UNLIMITED,
            "rc_presence": {"per_user": _UNLIMITED},
            "rc_delayed_event_mgmt": _UNLIMITED,
            "rc_reports": _UNLIMITED,
            "rc_user_directory": _UNLIMITED,
            "rc_profile": _UNLIMITED,
            "rc_admin_redaction": _UNLIMITED,
        }
        self.config_path.write_text(json.dumps(config, indent=2))

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        if self.running:
            return
        began = time.monotonic()
        with self.console_path.open("ab") as console:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "-c",
                str(self.config_path),
                cwd=str(self.workdir),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=console,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()),
            )
        _live_pids.add(self._process.pid)
        try:
            await self._wait_healthy()
        except BaseException:
            await self.stop()
            raise
        self.startup_seconds = time.monotonic() - began

    async def _wait_healthy(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + _START_TIMEOUT
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                if self._process.returncode is not None:
                    raise SynapseStartError(
                        f"Synapse exited with code {self._process.returncode} during startup\n" + self._logs()
                    )
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(f"{self.url}/health") as response:
                        if response.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise SynapseStartError(
                        f"Synapse did not answer /health within {_START_TIMEOUT:.0f} s\n" + self._logs()
                    )
                await asyncio.sleep(0.1)

    def _logs(self) -> str:
        return (
            f"--- {self.console_path.name} ---\n{_tail(self.console_path)}\n"
            f"--- {self.log_path.name} ---\n{_tail(self.log_path)}"
        )

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), _STOP_TIMEOUT)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        # Anything else Synapse spawned into its group goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        _live_pids.discard(process.pid)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    # -- users ---------------------------------------------------------------------------------

    async def register(self, localpart: str, password: str, admin: bool = False) -> tuple[str, str]:
        """Creates a user through the shared-secret admin API, as ``register_new_matrix_user`` does."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            async with http.get(endpoint) as response:
                response.raise_for_status()
                nonce = (await response.json())["nonce"]
            mac = hmac.new(self._registration_secret.encode(), digestmod=hashlib.sha1)
            for part in (nonce, localpart, password):
                mac.update(part.encode())
                mac.update(b"\x00")
            mac.update(b"admin" if admin else b"notadmin")
            body = {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            }
            async with http.post(endpoint, json=body) as response:
                result = await response.json()
                if response.status != 200:
                    raise RegistrationError(localpart, response.status, result)
        return result["user_id"], result["access_token"]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def synapse(tmp_path_factory) -> AsyncIterator[SynapseServer]:
    """The homeserver shared by the whole test session."""
    server = SynapseServer(tmp_path_factory.mktemp("synapse"))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def synapse_low_rate(tmp_path_factory) -> AsyncIterator[SynapseServer]:
    """A second homeserver that refuses message bursts with M_LIMIT_EXCEEDED; started only when asked for."""
    server = SynapseServer(tmp_path_factory.mktemp("synapse-low-rate"), low_message_rate=True)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
