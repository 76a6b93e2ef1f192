"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when HELFERBOT_TEST_DATABASE_URL is set), a bot
wired to a recording platform, and chats to talk to it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

import bot.storage.all_models  # noqa: F401  (every table, for TRUNCATE)
from bench.common import scratch_postgres
from bot import config as config_mod
from bot.storage.base import Base
from bot.storage.db import Database, sqlite_url
from bot.wiring import build_app
from tests.support.backend import Chat, RecordingAdapter
from tests.support.config import PG_URL, SCRATCH, make_config

pytest_plugins = [p for p in ("tests.support.synapse",) if Path(__file__).parent.joinpath(
    "support", p.rsplit(".", 1)[1] + ".py").exists()]



@pytest.fixture(scope="session")
def database_backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="session")
async def _template(tmp_path_factory) -> str:
    """Migrate once per session: a template SQLite file, or the PostgreSQL test database."""
    if PG_URL:
        db = Database(PG_URL)
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await db.migrate()
        await db.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    db = Database(sqlite_url(path))
    await db.migrate()
    await db.dispose()
    return str(path)


@pytest.fixture
async def db_url(_template: str, tmp_path: Path) -> str:
    """A clean, migrated database for one test."""
    if PG_URL:
        db = Database(PG_URL)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with db.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await db.dispose()
        return PG_URL
    path = tmp_path / "bot.sqlite3"
    shutil.copy(_template, path)
    return sqlite_url(path)


@pytest.fixture
async def db(db_url: str):
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> config_mod.Config:
    return make_config(tmp_path, db_url)


@pytest.fixture
async def app(config, db):
    bot = build_app(config, db=db)
    adapter = RecordingAdapter("test")
    bot.add_adapter(adapter)
    await adapter.start(bot)
    yield bot


@pytest.fixture
def adapter(app) -> RecordingAdapter:
    return app.adapters["test"]


@pytest.fixture
def chat(app):
    """A volunteer in a private chat; call chat(...) style helpers via `new_chat`."""
    return Chat(app, "anna")


@pytest.fixture
def new_chat(app):
    def make(user_id: str, **kwargs) -> Chat:
        return Chat(app, user_id, **kwargs)

    return make


@pytest.fixture
async def scratch(tmp_path):
    """An empty database of the backend under test, for upgrading step by step."""
    if not PG_URL:
        database = Database(sqlite_url(tmp_path / "old.sqlite3"))
        yield database
        await database.dispose()
        return
    await scratch_postgres(PG_URL, False, SCRATCH)
    database = Database(await scratch_postgres(PG_URL, True, SCRATCH))
    yield database
    await database.dispose()
    await scratch_postgres(PG_URL, False, SCRATCH)
