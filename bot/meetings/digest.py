"""A weekly digest for subscribers who prefer one message a week to one push per announcement.

On Monday morning a digest reader gets the week's meetings (Monday to Sunday), grouped by their places, with
cancelled dates marked. Announcements and changes further ahead wait for the digest; a change or a
cancellation of a meeting less than `PUSH_WITHIN` away is still pushed, since a digest would come too late.
Reminders for meetings they said yes to come as for everyone. Sending is idempotent per week: a digest row
in the outbox for the week is the record that it went out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import buttons, outbox
from bot.i18n import Translator
from bot.meetings import people, recurrence, render, scope, service
from bot.messages import Button, Reply
from bot.storage.models import User
from bot.storage.models_meetings import CANCELLED, Meeting, MeetingUserSettings, OccurrenceChange
from bot.timeutil import BERLIN, local, now

if TYPE_CHECKING:
    from bot.core.app import App

DIGEST = "event_digest"
JOB_PERIOD = 900
PUSH_WITHIN = timedelta(hours=48)
SEND_AT = time(7)
"""Monday, Berlin time; quiet hours still apply on top."""


async def readers(session: AsyncSession, user_ids: Iterable[int | None]) -> set[int]:
    """Those of `user_ids` who chose the weekly digest."""
    wanted = [u for u in user_ids if u is not None]
    if not wanted:
        return set()
    found: set[int] = set()
    for start in range(0, len(wanted), service.CHUNK):
        found.update(await session.scalars(select(MeetingUserSettings.user_id).where(
            MeetingUserSettings.user_id.in_(wanted[start:start + service.CHUNK]), MeetingUserSettings.digest.is_(True))))
    return found


async def chosen(session: AsyncSession, user: User) -> bool:
    """Whether this person reads the weekly digest."""
    row = await session.get(MeetingUserSettings, user.id)
    return row is not None and row.digest


async def choose(session: AsyncSession, user: User, on: bool) -> bool:
    """The weekly digest on or off for this person; returns the choice."""
    row = await people.settings_row(session, user)
    row.digest, row.updated_at = on, now()
    await session.flush()
    return on


def still_pushed(event: Meeting, at: datetime | None = None) -> bool:
    """A change or cancellation this close to the meeting reaches digest readers at once."""
    return event.starts_at - (at or now()) < PUSH_WITHIN


def week_of(day: date) -> tuple[datetime, datetime]:
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=BERLIN)
    return start, datetime.combine(monday + timedelta(days=7), time(0), tzinfo=BERLIN)


async def week_meetings(app: App, session: AsyncSession, user: User, start: datetime, end: datetime
                        ) -> list[tuple[str, list[tuple[datetime, Meeting, bool]]]]:
    """The meetings of the week at the reader's places: [(place name, [(start, event, cancelled)])]."""
    places = [s.place_id for s in await scope.subscriptions_of(session, user)]
    if not places:
        return []
    from sqlalchemy import or_

    from bot.meetings import series

    query = select(Meeting).where(or_(*[scope.covering(Meeting.place_id, p) for p in places])).where(
        or_(Meeting.rrule != "", Meeting.starts_at.between(start, end)))
    grouped: dict[str, list[tuple[datetime, Meeting, bool]]] = {}
    for event in await session.scalars(query.order_by(Meeting.starts_at)):
        changes = list(await session.scalars(select(OccurrenceChange).where(OccurrenceChange.event_id == event.id)))
        for date_ in recurrence.occurrences(event, changes, after=start, before=end, include_cancelled=True):
            name = service.place_name(app, event.place_id)
            own = series.single(event, date_) if event.rrule else event  # a date's own title or address
            grouped.setdefault(name, []).append((date_.starts_at, own, date_.cancelled or event.status == CANCELLED))
    return [(name, sorted(items, key=lambda i: (i[0], i[1].id))) for name, items in sorted(grouped.items())]


def text_of(t: Translator, week: list, start: datetime) -> str:
    _ = t.gettext
    if not week:
        return _("No meetings at your places this week (from {date}).", date=render.date_text(t, start.date()))
    lines = [_("Your meetings this week (from {date}):", date=render.date_text(t, start.date()))]
    for place, items in week:
        lines += ["", place + ":"]
        for at, event, cancelled in items:
            line = f"• {render.short_day(t, at, start.date())} {render.clock(at)} – {event.title}"
            if event.location:
                line += f" ({event.location})"
            if cancelled:
                line += " – " + _("CANCELLED")
            lines.append(line)
    return "\n".join(lines)


async def send_digests(app: App, session: AsyncSession, at: datetime | None = None) -> int:
    """Queue this week's digest for every reader who has not had it yet (from Monday `SEND_AT` on)."""
    t = local(at or now())
    start, end = week_of(t.date())
    if t < start.replace(hour=SEND_AT.hour):
        return 0
    found = (await session.execute(
        select(User, MeetingUserSettings).join(MeetingUserSettings, MeetingUserSettings.user_id == User.id)
        .where(MeetingUserSettings.digest.is_(True), User.dm_chat_id.is_not(None))
        .order_by(User.id))).all()
    rows = []
    for person, settings in found:
        if settings.digest_week is not None and settings.digest_week >= start.date():
            continue
        settings.digest_week = start.date()
        week = await week_meetings(app, session, person, start, end)
        tr = Translator(person.language)
        shown = [event for _at, event in sorted(((at, event) for _place, items in week
                                                 for at, event, cancelled in items if not cancelled),
                                                key=lambda pair: (pair[0], pair[1].id))]
        choices = []
        for event in list(dict.fromkeys(shown))[:8]:
            token = await buttons.create(session, person, "event_show", {"e": event.id}, ttl=timedelta(days=8))
            choices.append([Button(event.title[:60], token)])
        rows.append(outbox.Outgoing(platform=person.platform, chat_id=person.dm_chat_id, user_id=person.id,
                                    reply=Reply(text=text_of(tr, week, start), buttons=choices), kind=DIGEST,
                                    quiet_hours=True))
    await outbox.enqueue_many(session, rows)
    return len(rows)


async def digest_job(app: App) -> None:
    """Every quarter hour: queue the week's digests that are due (each goes out once a week)."""
    while True:
        async with app.db.session() as session:
            queued = await send_digests(app, session)
            await session.commit()
        if queued:
            app.wake_workers()
        await asyncio.sleep(JOB_PERIOD)
