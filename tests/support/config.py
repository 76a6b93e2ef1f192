"""The test database chosen by the environment, and configs for a bot under test."""

from __future__ import annotations

import os
from pathlib import Path

from bot import config as config_mod

PG_URL = os.environ.get("HELFERBOT_TEST_DATABASE_URL", "")
"""The PostgreSQL database to test on; empty: SQLite."""
SCRATCH = "helferbot_migration_check"
"""A second PostgreSQL database, created empty for the migration checks."""


def make_config(tmp_path: Path, db_url: str, **sections) -> config_mod.Config:
    cfg = config_mod.Config()
    cfg.bot.data_dir = str(tmp_path / "data")
    cfg.bot.secret_key = "test-secret-key-0123456789abcdef"
    cfg.database.url = db_url
    for name, values in sections.items():
        if name in config_mod.EXTRA_SECTIONS:
            cfg.extra[name] = values
            continue
        for key, value in values.items():
            setattr(getattr(cfg, name), key, value)
    return cfg
