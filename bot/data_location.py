"""Where the data tools find the bot's data, or a clear word that they did not.

The bot creates its data directory on first start. A data tool (claims export, directory import/export) run from
another folder must not quietly create an empty one there and then report "0 claims": it works on the data the bot
uses, or says where it looked and how to point it at the right place.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import Config


class DataNotFound(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _origin(cfg: Config) -> str:
    if cfg.source is not None:
        return f"bot.data_dir of {cfg.source}"
    return "the default, relative to the current folder"


def existing_data_dir(cfg: Config, *, needs_key: bool = False) -> Path:
    """The bot's data directory; raises DataNotFound when there is no bot data where the configuration points.

    The directory matters when the database is the default SQLite file in it, or when the tool needs the key that
    encrypts IBANs (kept there unless bot.secret_key is set)."""
    path = cfg.data_dir
    if cfg.database.url and not (needs_key and not cfg.bot.secret_key):
        return path
    if not path.is_dir():
        raise DataNotFound(
            f"no helferbot data directory at {path.resolve()} ({_origin(cfg)}). Run this command in the folder "
            "where the bot runs, or pass the bot's config file with --config, or set HELFERBOT_BOT_DATA_DIR."
        )
    if not cfg.database.url and not (path / "helferbot.sqlite3").is_file():
        raise DataNotFound(
            f"no helferbot database in {path.resolve()} ({_origin(cfg)}): start the bot once "
            "(`make demo` or `.venv/bin/helferbot run`), or pass its config file with --config."
        )
    return path


def require_data_dir(cfg: Config, *, needs_key: bool = False) -> Path | None:
    """existing_data_dir for command-line tools: prints the problem as one line and returns None."""
    try:
        return existing_data_dir(cfg, needs_key=needs_key)
    except DataNotFound as exc:
        print(f"helferbot: {exc.message}", file=sys.stderr)
        return None
