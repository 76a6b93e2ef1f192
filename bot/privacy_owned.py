"""What a person made that others see: their directory entries and their name on meetings they announced.

Deleting an account must not leave the person's name, phone and e-mail in the contact directory, shown by
/kontakt to everyone, nor their name as organiser of a meeting. A coordinator may prefer that their office's entry
stays for a successor: then, and only when they chose it, the entry is handed to the admins and coordinators of
its place, who are told, and it no longer belongs to the deleted account.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models_directory import DirectoryEntry
from bot.storage.models_meetings import Meeting


@dataclass
class Owned:
    entries: list[DirectoryEntry] = field(default_factory=list)
    meetings: int = 0


async def owned_by(session: AsyncSession, user_id: int) -> Owned:
    entries = list(await session.scalars(
        sa.select(DirectoryEntry).where(DirectoryEntry.owner_user_id == user_id).order_by(DirectoryEntry.id)))
    meetings = await session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(
        Meeting.created_by == user_id, Meeting.organiser != "")) or 0
    return Owned(entries, meetings)


@dataclass
class Erased:
    entries_deleted: int = 0
    entries_handed_over: list[DirectoryEntry] = field(default_factory=list)
    meetings_unnamed: int = 0


async def erase_owned(session: AsyncSession, user_id: int, *, hand_over_entries: bool) -> Erased:
    """Delete (or hand over) the person's directory entries and clear the organiser name of their meetings."""
    done = Erased()
    owned = await owned_by(session, user_id)
    for entry in owned.entries:
        if hand_over_entries:
            entry.owner_user_id = None
            entry.source = "handed over when its coordinator deleted their account"
            done.entries_handed_over.append(entry)
        else:
            await session.delete(entry)
            done.entries_deleted += 1
    result = await session.execute(sa.update(Meeting).where(Meeting.created_by == user_id, Meeting.organiser != "")
                                   .values(organiser="").execution_options(synchronize_session=False))
    done.meetings_unnamed = result.rowcount or 0
    await session.flush()
    return done
