"""The coordinator directory in the database: seeding, import, export and the lookup behind "who is my contact"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import User
from bot.storage.models_directory import BotState, DirectoryEntry
from bot.timeutil import local, now
from knowledge.directory_io import DirectoryRow, load_seed

SEEDED = "directory_seeded"
OUTDATED_AFTER = timedelta(days=365)


@dataclass
class Level:
    """The entries of one level (the place itself, its Kreis, its Land), for one answer."""

    place: object
    entries: list[DirectoryEntry]


def to_entry(row: DirectoryRow, origin: str) -> DirectoryEntry:
    return DirectoryEntry(
        place_id=row.place, role=row.role, name=row.name, organisation=row.organisation, phone=row.phone,
        email=row.email, website=row.website, topics=list(row.topics), notes=row.notes, source=row.source,
        verified=row.verified, origin=origin,
    )


def to_row(entry: DirectoryEntry) -> DirectoryRow:
    return DirectoryRow(
        place=entry.place_id, role=entry.role, name=entry.name, organisation=entry.organisation, phone=entry.phone,
        email=entry.email, website=entry.website, topics=tuple(entry.topics), notes=entry.notes, source=entry.source,
        verified=entry.verified,
    )


def key(place: str, role: str, name: str, organisation: str) -> tuple[str, str, str, str]:
    return (place, role.strip().lower(), name.strip().lower(), organisation.strip().lower())


async def seed_once(session: AsyncSession) -> int:
    """Load the shipped seed the first time the bot starts on a database; never again after that."""
    if await session.get(BotState, SEEDED) is not None:
        return 0
    rows = load_seed()
    for row in rows:
        session.add(to_entry(row, "seed"))
    session.add(BotState(key=SEEDED, value=now().isoformat()))
    await session.flush()
    return len(rows)


async def import_rows(session: AsyncSession, rows: list[DirectoryRow], *, replace: bool = False) -> tuple[int, int]:
    """Add the rows; an entry with the same place, role, name and organisation is updated instead.

    With `replace`, entries that came from files or the seed are dropped first; entries coordinators keep
    themselves in the chat stay.
    """
    if replace:
        await session.execute(delete(DirectoryEntry).where(DirectoryEntry.origin.in_(("seed", "import"))))
        await session.flush()
    existing = {
        key(e.place_id, e.role, e.name, e.organisation): e for e in await session.scalars(select(DirectoryEntry))
    }
    added = updated = 0
    for row in rows:
        found = existing.get(key(row.place, row.role, row.name, row.organisation))
        if found is None:
            entry = to_entry(row, "import")
            session.add(entry)
            existing[key(row.place, row.role, row.name, row.organisation)] = entry
            added += 1
        else:
            for attr in ("phone", "email", "website", "notes", "source"):
                setattr(found, attr, getattr(row, attr))
            found.topics = list(row.topics)
            found.verified = row.verified
            found.updated_at = now()
            updated += 1
    await session.flush()
    return added, updated


async def all_rows(session: AsyncSession) -> list[DirectoryRow]:
    entries = await session.scalars(select(DirectoryEntry).order_by(DirectoryEntry.place_id, DirectoryEntry.id))
    return [to_row(e) for e in entries]


COORDINATING = re.compile(r"koordinat|beauftragt|ansprech|coordinat", re.IGNORECASE)


def rank(entry: DirectoryEntry) -> tuple[int, int, int]:
    """Coordinating roles first (that is what people ask for), then entries that can be reached directly."""
    return (0 if COORDINATING.search(entry.role) else 1, 0 if entry.phone or entry.email else 1, entry.id)


async def entries_at(session: AsyncSession, place_id: str) -> list[DirectoryEntry]:
    found = await session.scalars(select(DirectoryEntry).where(DirectoryEntry.place_id == place_id))
    return sorted(found, key=rank)


async def contacts_for(session: AsyncSession, gazetteer, place, topic: str | None) -> tuple[list[Level], bool]:
    """Entries for the place, then its Kreis, then its Land (only levels that have any).

    With a topic, entries on that topic are preferred; if no level has one, all entries are returned and the
    second value says the topic filter found nothing.
    """
    chain = [place, *gazetteer.parents(place)]
    levels = [Level(p, await entries_at(session, p.id)) for p in chain]
    levels = [level for level in levels if level.entries]
    if topic is None:
        return levels, True
    filtered = [Level(level.place, [e for e in level.entries if topic in e.topics]) for level in levels]
    filtered = [level for level in filtered if level.entries]
    if filtered:
        return filtered, True
    return levels, False


def is_outdated(entry: DirectoryEntry, today: date | None = None) -> bool:
    today = today or local(now()).date()
    return entry.verified is None or today - entry.verified > OUTDATED_AFTER


async def owned_by(session: AsyncSession, user: User) -> list[DirectoryEntry]:
    """The entries a coordinator keeps themselves."""
    return list(await session.scalars(
        select(DirectoryEntry).where(DirectoryEntry.owner_user_id == user.id).order_by(DirectoryEntry.id)))


async def remove(session: AsyncSession, entry: DirectoryEntry) -> None:
    await session.delete(entry)
