"""Database engine, sessions and migrations.

SQLite in the data directory is the embedded default so the bot runs with nothing installed; PostgreSQL is
selected by `database.url` for real deployments and for more than one bot process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

MIGRATIONS = Path(__file__).parent / "migrations"
DATABASE = "helferbot.database"


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    database = session.info.get(DATABASE)
    if database is not None:
        for hook in database.after_commit:
            hook(session.info)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


class Database:
    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        # A failed statement's values are personal data (names, IBANs, message texts): errors quote only the SQL.
        kwargs: dict = {"echo": echo, "hide_parameters": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, info={DATABASE: self})
        self.after_commit: list[Callable[[dict], None]] = []
        """Called with a session's `info` after it committed (the outbox wakes its workers for new rows)."""

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    async def migrate(self, target: str = "heads") -> None:
        """Bring the schema to the newest revision (or `target`); safe to run on every start.

        On SQLite, foreign-key enforcement is off while migrations run: changing a table there means rebuilding
        it, and dropping the old copy with enforcement on would cascade-delete the rows that point to it. The
        references are checked afterwards instead, and the start fails loudly if a migration broke one.
        """
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                await conn.commit()
            try:
                await conn.run_sync(_upgrade, target)
                if self.is_sqlite:
                    broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        await conn.rollback()
                        raise RuntimeError(f"migration left {len(broken)} broken references, e.g. {broken[0]!r}")
                await conn.commit()
            finally:
                if self.is_sqlite:
                    await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    await conn.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(connection, target: str = "heads") -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, target)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def run_migrations_sync(url: str) -> None:
    """For the CLI: migrate without a running loop."""

    async def go() -> None:
        db = Database(url)
        try:
            await db.migrate()
        finally:
            await db.dispose()

    asyncio.run(go())
