"""Helpers the benchmark scripts share."""

from __future__ import annotations


async def scratch_postgres(url: str, create: bool, name: str) -> str:
    """Create (or drop) a throwaway database next to `url`, so a benchmark never touches real data."""
    import asyncpg

    server = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(server)
    try:
        if create:
            await conn.execute(f'CREATE DATABASE "{name}"')
        else:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
    base, _, _db = url.rpartition("/")
    return f"{base}/{name}"
