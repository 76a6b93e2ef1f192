"""Configuration from a TOML file, with secrets allowed to come from the environment.

Every key is declared here with its type, so a typo or a wrong type is reported with the key's name and what is
expected before anything starts, instead of failing later on a user's message. Any key can be overridden by
`HELFERBOT_<SECTION>_<KEY>` (e.g. `HELFERBOT_TELEGRAM_TOKEN`), which keeps tokens out of files.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.i18n import available_languages


class ConfigError(Exception):
    """A configuration problem, phrased for the operator: which key, what was found, what is expected."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class BotSection:
    data_dir: str = "helferbot-data"
    default_language: str = "de"
    dialog_ttl_hours: int = 24
    log_level: str = "INFO"
    secret_key: str = ""
    """Key for encrypting data at rest (IBANs). Empty: one is generated in the data directory on first start."""
    public_url: str = ""
    """Where the HTTP endpoints (health, metrics, calendar feeds) are reachable from outside, if anywhere."""
    http_listen: str = "127.0.0.1"
    http_port: int = 0
    """Port of the health/metrics/calendar HTTP server; 0 turns it off."""
    user_messages_per_minute: int = 20
    max_text_length: int = 2000


@dataclass
class DatabaseSection:
    url: str = ""
    """Empty: SQLite file `helferbot.sqlite3` in the data directory."""


@dataclass
class TelegramSection:
    token: str = ""
    api_base_url: str = ""
    """Base URL of a self-hosted Bot API server, e.g. "http://127.0.0.1:8081/bot"."""
    file_base_url: str = ""
    mode: str = "polling"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_path: str = "telegram"
    webhook_secret: str = ""
    rate_per_second: float = 25.0
    group_rate_per_minute: float = 20.0
    max_file_mb: int = 20
    bot_username: str = ""


@dataclass
class MatrixSection:
    homeserver: str = ""
    user_id: str = ""
    password: str = ""
    access_token: str = ""
    device_id: str = ""
    device_name: str = "helferbot"
    store_dir: str = ""
    """Empty: `matrix-store` in the data directory. Holds the device keys; keep it with the backups."""
    join_policy: str = "anyone"
    allowed_servers: list[str] = field(default_factory=list)
    max_file_mb: int = 20
    rate_per_second: float = 5.0
    reset_cross_signing: bool = False
    """Replace a cross-signing identity the bot does not hold with a new one of its own (README: "Encryption")."""
    recovery_key: str = field(default="", repr=False)
    """Element's recovery key of the account: once, to take over an identity set up in Element (README)."""


@dataclass
class AdminsSection:
    telegram: list[int] = field(default_factory=list)
    matrix: list[str] = field(default_factory=list)


@dataclass
class Config:
    bot: BotSection = field(default_factory=BotSection)
    database: DatabaseSection = field(default_factory=DatabaseSection)
    telegram: TelegramSection = field(default_factory=TelegramSection)
    matrix: MatrixSection = field(default_factory=MatrixSection)
    admins: AdminsSection = field(default_factory=AdminsSection)
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Sections owned by feature modules (claims, payout, events, privacy); they validate their own keys."""
    source: Path | None = None

    @property
    def data_dir(self) -> Path:
        path = Path(self.bot.data_dir).expanduser()
        if not path.is_absolute() and self.source is not None:
            path = self.source.parent / path
        return path

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite+aiosqlite:///{self.data_dir / 'helferbot.sqlite3'}"

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram.token)

    @property
    def matrix_enabled(self) -> bool:
        return bool(self.matrix.homeserver)

    @property
    def matrix_store_dir(self) -> Path:
        return Path(self.matrix.store_dir).expanduser() if self.matrix.store_dir else self.data_dir / "matrix-store"

    def section(self, name: str) -> dict[str, Any]:
        return self.extra.get(name, {})


SECTIONS = {f.name: f.type for f in dataclasses.fields(Config) if f.name not in ("extra", "source")}
# Feature sections validated by their own modules; listed so a misspelt section name is still caught.
EXTRA_SECTIONS = {"claims", "payout", "events", "privacy", "persons"}
LANGUAGES = tuple(available_languages())


def load(path: Path | str | None = None, env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ) if env is None else env
    raw: dict[str, Any] = {}
    source = None
    if path is not None:
        source = Path(path)
        try:
            raw = tomllib.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError([f"config file {source} does not exist"]) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"config file {source} is not valid TOML: {exc}"]) from None
    cfg, problems = _build(raw, env)
    cfg.source = source.resolve() if source else None
    problems += _check(cfg)
    if problems:
        raise ConfigError(problems)
    return cfg


def _build(raw: dict[str, Any], env: dict[str, str]) -> tuple[Config, list[str]]:
    problems: list[str] = []
    cfg = Config()
    for name, value in raw.items():
        if name in EXTRA_SECTIONS:
            if not isinstance(value, dict):
                problems.append(f"[{name}] must be a table")
            else:
                cfg.extra[name] = value
            continue
        if name not in SECTIONS:
            known = ", ".join(sorted([*SECTIONS, *EXTRA_SECTIONS]))
            problems.append(f"unknown section [{name}] (known sections: {known})")
            continue
        if not isinstance(value, dict):
            problems.append(f"[{name}] must be a table")
            continue
        section = getattr(cfg, name)
        hints = typing.get_type_hints(type(section))
        for key, item in value.items():
            if key not in hints:
                known = ", ".join(f.name for f in dataclasses.fields(section))
                problems.append(f"unknown key {name}.{key} (known keys: {known})")
                continue
            ok, converted, expected = _coerce(item, hints[key])
            if ok:
                setattr(section, key, converted)
            else:
                problems.append(f"{name}.{key} must be {expected}, got {item!r}")
    for name in SECTIONS:
        section = getattr(cfg, name)
        hints = typing.get_type_hints(type(section))
        for f in dataclasses.fields(section):
            var = f"HELFERBOT_{name}_{f.name}".upper()
            if var in env:
                ok, converted, expected = _coerce_env(env[var], hints[f.name])
                if ok:
                    setattr(section, f.name, converted)
                else:
                    problems.append(f"{var} must be {expected}, got {env[var]!r}")
    return cfg, problems


def _coerce(value: Any, hint: Any) -> tuple[bool, Any, str]:
    origin = typing.get_origin(hint)
    if origin is list:
        (inner,) = typing.get_args(hint)
        if isinstance(value, list) and all(_coerce(v, inner)[0] for v in value):
            return True, [_coerce(v, inner)[1] for v in value], f"a list of {_describe(inner)}"
        return False, None, f"a list of {_describe(inner)}"
    if origin in (types.UnionType, typing.Union):
        for arg in typing.get_args(hint):
            ok, conv, _ = _coerce(value, arg)
            if ok:
                return True, conv, ""
        return False, None, " or ".join(_describe(a) for a in typing.get_args(hint))
    if hint is type(None):
        return value is None, None, "empty"
    if hint is bool:
        return isinstance(value, bool), value, "true or false"
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value, "a whole number"
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok, float(value) if ok else None, "a number"
    if hint is str:
        return isinstance(value, str), value, "a text in quotes"
    return False, None, _describe(hint)


def _coerce_env(text: str, hint: Any) -> tuple[bool, Any, str]:
    origin = typing.get_origin(hint)
    if origin is list:
        (inner,) = typing.get_args(hint)
        parts = [p.strip() for p in text.split(",") if p.strip()]
        converted = [_coerce_env(p, inner) for p in parts]
        if all(c[0] for c in converted):
            return True, [c[1] for c in converted], ""
        return False, None, f"a comma-separated list of {_describe(inner)}"
    if hint is bool:
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True, True, ""
        if low in ("0", "false", "no", "off"):
            return True, False, ""
        return False, None, "true or false"
    if hint is int:
        try:
            return True, int(text), ""
        except ValueError:
            return False, None, "a whole number"
    if hint is float:
        try:
            return True, float(text), ""
        except ValueError:
            return False, None, "a number"
    return True, text, ""


def _describe(hint: Any) -> str:
    return {str: "texts", int: "whole numbers", float: "numbers", bool: "true/false"}.get(hint, str(hint))


def _check(cfg: Config) -> list[str]:
    problems = []
    if cfg.bot.default_language not in LANGUAGES:
        problems.append(f"bot.default_language must be one of {', '.join(LANGUAGES)}, got {cfg.bot.default_language!r}")
    if cfg.database.url and not cfg.database.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        problems.append(
            "database.url must start with sqlite+aiosqlite:// or postgresql+asyncpg://, "
            f"got {cfg.database.url.split('://')[0]}://..."
        )
    if cfg.telegram.mode not in ("polling", "webhook"):
        problems.append(f'telegram.mode must be "polling" or "webhook", got {cfg.telegram.mode!r}')
    if cfg.telegram.token and ":" not in cfg.telegram.token:
        problems.append("telegram.token does not look like a bot token (expected digits:letters from @BotFather)")
    if cfg.telegram.mode == "webhook" and cfg.telegram.token:
        if not cfg.telegram.webhook_url:
            problems.append("telegram.webhook_url is required when telegram.mode is \"webhook\"")
        if not cfg.telegram.webhook_secret:
            problems.append("telegram.webhook_secret is required when telegram.mode is \"webhook\"")
    if cfg.telegram.rate_per_second <= 0:
        problems.append("telegram.rate_per_second must be a positive number")
    if cfg.matrix.homeserver:
        if not cfg.matrix.homeserver.startswith(("http://", "https://")):
            problems.append(f"matrix.homeserver must be a URL starting with https://, got {cfg.matrix.homeserver!r}")
        if not cfg.matrix.user_id.startswith("@") or ":" not in cfg.matrix.user_id:
            problems.append(f"matrix.user_id must look like @bot:example.org, got {cfg.matrix.user_id!r}")
        if not (cfg.matrix.password or cfg.matrix.access_token):
            problems.append("matrix.password or matrix.access_token is required when matrix.homeserver is set")
    if cfg.matrix.recovery_key and cfg.matrix.reset_cross_signing:
        problems.append("matrix.recovery_key keeps the account's cross-signing identity and "
                        "matrix.reset_cross_signing replaces it: set only one of them")
    if cfg.matrix.rate_per_second <= 0:
        problems.append("matrix.rate_per_second must be a positive number")
    if cfg.matrix.join_policy == "servers" and not cfg.matrix.allowed_servers:
        problems.append('matrix.allowed_servers must list at least one server when matrix.join_policy is "servers"')
    if cfg.matrix.join_policy not in ("anyone", "servers"):
        problems.append(f'matrix.join_policy must be "anyone" or "servers", got {cfg.matrix.join_policy!r}')
    for uid in cfg.admins.matrix:
        if not uid.startswith("@") or ":" not in uid:
            problems.append(f"admins.matrix entries must look like @name:example.org, got {uid!r}")
    return problems
