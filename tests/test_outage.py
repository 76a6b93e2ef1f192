"""An unreachable database is told apart from a bug: the first makes messages wait, the second gets the apology."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.core.outage import Outage, is_outage
from bot.storage.db import Database


async def test_a_closed_port_is_an_outage_and_a_broken_statement_is_not(db):
    unreachable = Database("postgresql+asyncpg://postgres@127.0.0.1:9/none")
    try:
        with pytest.raises(Exception) as refused:
            async with unreachable.session() as session:
                await session.execute(text("SELECT 1"))
    finally:
        await unreachable.dispose()
    assert is_outage(refused.value)

    with pytest.raises(Exception) as bug:
        async with db.session() as session:
            await session.execute(text("SELECT * FROM no_such_table"))
    assert not is_outage(bug.value)


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(caplog):
    changes = []
    outage = Outage(changes.append)
    with caplog.at_level("WARNING", logger="bot.core.outage"):
        for _ in range(100):
            outage.failed("a loop")
        outage.ok()
        outage.ok()
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        "the database is unreachable (noticed by a loop)", caplog.records[1].getMessage()]
    assert caplog.records[1].getMessage().startswith("the database is back after")
    assert changes == [True, False]
    assert [outage.wait_seconds(n) for n in (1, 3, 20)] == [0.5, 2.0, 5.0]
