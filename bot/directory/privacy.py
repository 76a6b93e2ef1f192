"""What the contact directory keeps about a person: their entries, in /meinedaten and on /loeschen.

Deleting an account must not leave the person's name, phone and e-mail in the contact directory, shown by
/kontakt to everyone. A coordinator may prefer that their office's entry stays for a successor: then, and only
when they chose it, the entry is handed to the admins and coordinators of its place, who are told, and it no
longer belongs to the deleted account.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.privacy_export import Reader, Section, _records
from bot.storage.models import User
from bot.storage.models_directory import DirectoryEntry

HAND_OVER = "hand_over_entries"
"""The choice on /loeschen that keeps the entries for a successor instead of deleting them."""


async def _entries(r: Reader) -> Section | None:
    rows = (await r.session.scalars(sa.select(DirectoryEntry).where(
        DirectoryEntry.owner_user_id == r.user.id))).all()
    if not rows:
        return None
    return Section("directory", r.label("Your entries in the contact directory"), _records(r, [{
        N_("Place"): r.place(e.place_id), N_("Role"): e.role, N_("Name"): e.name,
        N_("Organisation"): e.organisation, N_("Phone"): e.phone, N_("E-mail"): e.email,
        N_("Confirmed on"): r.day(e.verified),
    } for e in rows]))


SECTIONS = (("directory_entries", _entries),)


async def entries_of(session: AsyncSession, user_id: int) -> list[DirectoryEntry]:
    return list(await session.scalars(
        sa.select(DirectoryEntry).where(DirectoryEntry.owner_user_id == user_id).order_by(DirectoryEntry.id)))


@dataclass
class EntriesErased:
    deleted: int = 0
    handed_over: list[DirectoryEntry] = field(default_factory=list)


async def erase(session: AsyncSession, user: User, choices: frozenset[str]) -> EntriesErased:
    """Delete the person's entries, or hand them over when they chose so."""
    done = EntriesErased()
    for entry in await entries_of(session, user.id):
        if HAND_OVER in choices:
            entry.owner_user_id = None
            entry.source = "handed over when its coordinator deleted their account"
            done.handed_over.append(entry)
        else:
            await session.delete(entry)
            done.deleted += 1
    await session.flush()
    return done
