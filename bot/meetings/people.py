"""Who said yes, by the name each person chose to share, and a message from the organiser to them.

A volunteer's answer is counted for the organiser in any case; a name is shown only if the person wrote one
when asked (once, after their first "yes" or "maybe"). "" records that they were asked and chose not to, so
they are not asked again. The name lives in the person's settings and goes with them when they delete
their data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import outbox
from bot.storage.models import User
from bot.storage.models_meetings import MeetingUserSettings, OccurrenceRsvp, Rsvp
from bot.timeutil import now

if TYPE_CHECKING:
    from datetime import datetime

    from bot.core.app import App
    from bot.storage.models_meetings import Meeting

NAME_LIMIT = 80
MESSAGE = "event_message"


async def settings_row(session: AsyncSession, user: User) -> MeetingUserSettings:
    """This person's meeting settings, created with the defaults on first use."""
    row = await session.get(MeetingUserSettings, user.id)
    if row is None:
        row = MeetingUserSettings(user_id=user.id, quiet_enabled=True, updated_at=now())
        session.add(row)
    return row


async def should_ask_name(session: AsyncSession, user: User) -> bool:
    row = await session.get(MeetingUserSettings, user.id)
    return row is None or row.shared_name is None


async def share_name(session: AsyncSession, user: User, name: str) -> None:
    """Keep the name to show organisers; "" = do not show a name (and do not ask again)."""
    row = await settings_row(session, user)
    row.shared_name = " ".join(name.split())[:NAME_LIMIT]
    row.updated_at = now()
    await session.flush()


async def shared_name(session: AsyncSession, user: User) -> str | None:
    row = await session.get(MeetingUserSettings, user.id)
    return row.shared_name if row is not None else None


async def yes_sayers(session: AsyncSession, event: Meeting, key: datetime | None = None) -> list[User]:
    """Everyone whose answer is yes: to the event, or for one date of a series (that date's answer first)."""
    answers = dict((await session.execute(select(Rsvp.user_id, Rsvp.answer).where(Rsvp.event_id == event.id))).all())
    if key is not None:
        answers.update((await session.execute(select(OccurrenceRsvp.user_id, OccurrenceRsvp.answer).where(
            OccurrenceRsvp.event_id == event.id, OccurrenceRsvp.occurrence == key))).all())
    ids = [u for u, a in answers.items() if a == "yes"]
    if not ids:
        return []
    return list(await session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))


async def names(session: AsyncSession, people: list[User]) -> tuple[list[str], int]:
    """The shared names (sorted) and how many said yes without sharing one."""
    if not people:
        return [], 0
    rows = dict((await session.execute(select(MeetingUserSettings.user_id, MeetingUserSettings.shared_name).where(
        MeetingUserSettings.user_id.in_([p.id for p in people])))).all())
    shown = sorted((rows.get(p.id) or "" for p in people if rows.get(p.id)), key=str.lower)
    return shown, len(people) - len(shown)


async def message_yes_sayers(app: App, session: AsyncSession, event: Meeting, text_for, key: datetime | None = None) -> int:
    """Queue `text_for(translator)` to everyone who said yes and can be written to privately."""
    from bot.i18n import Translator
    from bot.messages import Reply

    people = [p for p in await yes_sayers(session, event, key) if p.dm_chat_id]
    cache: dict[str, Reply] = {}

    def reply(language: str) -> Reply:
        if language not in cache:
            cache[language] = Reply(text=text_for(Translator(language)))
        return cache[language]

    ids = await outbox.enqueue_many(session, [
        outbox.Outgoing(platform=p.platform, chat_id=p.dm_chat_id, reply=reply(p.language), user_id=p.id,
                        kind=MESSAGE, quiet_hours=True)
        for p in people
    ])
    return len(ids)

