"""Quiet hours: pushes that can wait are held back until the recipient's morning.

The check runs when the outbox worker takes a row, not only when it is queued, so a person who changes their
quiet hours is heard for rows already waiting, and a row queued at 20:59 for 21:30 still waits.

A reminder "an hour before" that would only leave the quiet hours after the event has started is dropped: the
reminder the day before has already gone out, and a reminder for something already running helps nobody. A
reminder that is still in time after the quiet hours (08:00 for an event at 09:30) goes out at their end.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.meetings.settings import EventsSettings
from bot.storage.models import Delivery
from bot.storage.models_meetings import Meeting, MeetingReminder, MeetingUserSettings
from bot.timeutil import BERLIN

Window = tuple[int, int]
REMINDER = "event_reminder"


def inside(window: Window, minute: int) -> bool:
    start, end = window
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def quiet_until(at: datetime, window: Window | None) -> datetime | None:
    """The end of the quiet period `at` falls into, or None if `at` is not quiet."""
    if window is None:
        return None
    local = at.astimezone(BERLIN)
    if not inside(window, local.hour * 60 + local.minute):
        return None
    end = time(window[1] // 60, window[1] % 60)
    day = local.date()
    if local.time() >= end:
        day += timedelta(days=1)
    return datetime.combine(day, end, tzinfo=BERLIN)


def window_of(row: MeetingUserSettings | None, settings: EventsSettings) -> Window | None:
    if row is not None and not row.quiet_enabled:
        return None
    if row is not None and row.quiet_from is not None and row.quiet_to is not None:
        return row.quiet_from, row.quiet_to
    if settings.quiet_from is None or settings.quiet_to is None:
        return None
    return settings.quiet_from, settings.quiet_to


async def windows(session: AsyncSession, user_ids: Iterable[int], settings: EventsSettings) -> dict[int, Window | None]:
    ids = sorted(set(user_ids))
    rows: dict[int, MeetingUserSettings] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        rows.update({r.user_id: r for r in await session.scalars(
            select(MeetingUserSettings).where(MeetingUserSettings.user_id.in_(chunk)))})
    return {uid: window_of(rows.get(uid), settings) for uid in ids}


class QuietHoursPolicy:
    """The outbox's `QuietHours` policy (see `bot.core.outbox.QUIET_HOURS`)."""

    def __init__(self, settings: EventsSettings):
        self.settings = settings

    async def hold(self, session: AsyncSession, rows: list[Delivery], at: datetime) -> dict[int, datetime | None]:
        people = [r for r in rows if r.user_id is not None]
        if not people:
            return {}
        found = await windows(session, (r.user_id for r in people), self.settings)
        held: dict[int, datetime | None] = {}
        for row in people:
            until = quiet_until(at, found.get(row.user_id))
            if until is not None:
                held[row.id] = until
        reminders = [r.id for r in people if r.id in held and r.kind == REMINDER]
        if reminders:
            starts = dict((await session.execute(
                select(MeetingReminder.delivery_id, Meeting.starts_at)
                .join(Meeting, Meeting.id == MeetingReminder.event_id)
                .where(MeetingReminder.delivery_id.in_(reminders))
            )).all())
            for delivery_id, starts_at in starts.items():
                until = held[delivery_id]
                if until is not None and until >= starts_at:
                    held[delivery_id] = None
        return held
