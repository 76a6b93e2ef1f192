"""The dates of a recurring meeting: answers, reminders, a date cancelled or moved, "this and all following".

A series is announced once. An answer to the announcement holds for every date; an answer to one date (from
its reminder or the list of dates) overrides it for that date. Reminders cannot all be queued up front for a
rule without end, so they are queued for the dates of the coming days: when the series is announced, changed
or answered, and by a job that runs every hour (`top_up_all`). A reminder records its date, so a "no" for one
date or a cancelled date removes exactly its reminders.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import buttons, outbox
from bot.meetings import digest, quiet, recurrence, render, service
from bot.meetings.recurrence import Occurrence
from bot.storage.models import User
from bot.storage.models_meetings import (
    CANCELLED,
    Meeting,
    MeetingRecipient,
    MeetingReminder,
    OccurrenceChange,
    OccurrenceRsvp,
    Rsvp,
)
from bot.timeutil import local, now

if TYPE_CHECKING:
    from bot.core.app import App

JOB_PERIOD = 3600
HORIZON = timedelta(days=8)
"""How far ahead reminders are queued; the hourly job keeps it filled."""


def key_of(occurrence: datetime) -> int:
    """A date as a button names it: minutes since 1970 (UTC), a small whole number that survives JSON."""
    return int(occurrence.timestamp()) // 60


def from_key(value) -> datetime | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        return None
    return datetime.fromtimestamp(value * 60, UTC)


async def changes_of(session: AsyncSession, event_id: int) -> list[OccurrenceChange]:
    return list(await session.scalars(select(OccurrenceChange).where(OccurrenceChange.event_id == event_id)))


async def dates(session: AsyncSession, event: Meeting, *, after: datetime, count: int = 6,
                include_cancelled: bool = True) -> list[Occurrence]:
    """The next `count` dates from `after` (a cancelled date is shown as cancelled)."""
    found = recurrence.occurrences(event, await changes_of(session, event.id), after=after,
                                   before=after + timedelta(days=400), include_cancelled=include_cancelled)
    return found[:count]


async def next_date(session: AsyncSession, event: Meeting, at: datetime | None = None) -> Occurrence | None:
    """The next date not over yet at `at` (a cancelled one is skipped)."""
    return recurrence.next_occurrence(event, await changes_of(session, event.id), now=at or now())


async def occurrence(session: AsyncSession, event: Meeting, key: datetime) -> Occurrence | None:
    """The date of `event` whose rule start is `key`, as it is now (moved or cancelled)."""
    found = recurrence.occurrences(event, await changes_of(session, event.id), after=key - timedelta(days=400),
                                   before=key + timedelta(days=400), include_cancelled=True)
    return next((o for o in found if o.key == key), None)


def single(event: Meeting, date: Occurrence) -> Meeting:
    """A transient copy of `event` for one date, for the texts of reminders and notices about that date."""
    return Meeting(id=event.id, uid=event.uid, title=date.title if date.title is not None else event.title,
                 starts_at=date.starts_at, ends_at=date.ends_at, place_id=event.place_id,
                 location=date.location if date.location is not None else event.location, topic=event.topic, organiser=event.organiser,
                 description=event.description, status=CANCELLED if date.cancelled else event.status, rrule="",
                 cancel_reason=date.reason)


# --- answers ----------------------------------------------------------------------------------------------------

async def answer_for(session: AsyncSession, event: Meeting, user: User, key: datetime) -> str | None:
    """The answer that holds for one date: the one given for it, else the one for the whole series."""
    found = await session.scalar(select(OccurrenceRsvp.answer).where(
        OccurrenceRsvp.event_id == event.id, OccurrenceRsvp.user_id == user.id, OccurrenceRsvp.occurrence == key))
    return found or await service.answer_of(session, event, user)


async def answer(app: App, session: AsyncSession, event: Meeting, user: User, key: datetime, value: str) -> None:
    """Yes/maybe/no for one date; makes the person a recipient of the series and moves their reminders."""
    if value not in service.ANSWERS:
        raise ValueError(value)
    row = await session.get(OccurrenceRsvp, (event.id, user.id, key))
    if row is None:
        session.add(OccurrenceRsvp(event_id=event.id, user_id=user.id, occurrence=key, answer=value, updated_at=now()))
    else:
        row.answer, row.updated_at = value, now()
    if user.dm_chat_id and await session.scalar(select(MeetingRecipient.id).where(
            MeetingRecipient.event_id == event.id, MeetingRecipient.platform == user.platform,
            MeetingRecipient.chat_id == user.dm_chat_id)) is None:
        session.add(MeetingRecipient(event_id=event.id, platform=user.platform, chat_id=user.dm_chat_id,
                                   user_id=user.id, created_at=now()))
    await session.flush()
    await drop_reminders(session, event.id, key, user.id)
    await top_up(app, session, event)


async def counts(session: AsyncSession, event: Meeting, key: datetime) -> dict[str, int]:
    """Answers for one date: the series answers, overridden by the ones given for this date."""
    series = dict((await session.execute(select(Rsvp.user_id, Rsvp.answer).where(Rsvp.event_id == event.id))).all())
    series.update((await session.execute(select(OccurrenceRsvp.user_id, OccurrenceRsvp.answer).where(
        OccurrenceRsvp.event_id == event.id, OccurrenceRsvp.occurrence == key))).all())
    found = {a: 0 for a in service.ANSWERS}
    for value in series.values():
        found[value] += 1
    return found


# --- reminders --------------------------------------------------------------------------------------------------

async def drop_reminders(session: AsyncSession, event_id: int, key: datetime | None = None,
                         user_id: int | None = None) -> int:
    query = select(MeetingReminder.delivery_id).where(MeetingReminder.event_id == event_id)
    if key is not None:
        query = query.where(MeetingReminder.occurrence == key)
    if user_id is not None:
        query = query.where(MeetingReminder.user_id == user_id)
    dropped = sorted(await service.cancel_pending(session, list(await session.scalars(query))))
    if dropped:
        await session.execute(delete(MeetingReminder).where(MeetingReminder.delivery_id.in_(dropped)))
    return len(dropped)


async def top_up(app: App, session: AsyncSession, event: Meeting, at: datetime | None = None) -> int:
    """Queue the reminders due within `HORIZON` of `at` (default now) that are not queued yet."""
    if not event.rrule or event.status == CANCELLED:
        return 0
    t = at or now()
    settings = service.settings_of(app)
    longest = timedelta(hours=max(settings.reminder_hours, default=0))
    coming = recurrence.occurrences(event, await changes_of(session, event.id), after=t,
                                    before=t + HORIZON + longest)
    if not coming:
        return 0
    people = list(await session.scalars(
        select(User).where(User.id.in_(select(MeetingRecipient.user_id).where(MeetingRecipient.event_id == event.id)))
        .where(User.dm_chat_id.is_not(None)).order_by(User.id)))
    if not people:
        return 0
    series = dict((await session.execute(select(Rsvp.user_id, Rsvp.answer).where(Rsvp.event_id == event.id))).all())
    own = {(u, local(o)): a for u, o, a in (await session.execute(select(
        OccurrenceRsvp.user_id, OccurrenceRsvp.occurrence, OccurrenceRsvp.answer).where(
        OccurrenceRsvp.event_id == event.id))).all()}
    reminders = (await session.execute(
        select(MeetingReminder.user_id, MeetingReminder.occurrence, MeetingReminder.delivery_id)
        .where(MeetingReminder.event_id == event.id, MeetingReminder.occurrence.is_not(None)))).all()
    send_at_of = await outbox.send_times(session, [d for _u, _o, d in reminders])
    queued = {(u, local(o), local(send_at_of[d])) for u, o, d in reminders if d in send_at_of}
    windows = await quiet.windows(session, (p.id for p in people), settings)
    weekly = await digest.readers(session, [p.id for p in people])
    name = service.place_name(app, event.place_id)
    total = 0
    for date in coming:
        copy = single(event, date)
        tokens = await _date_tokens(session, event, date)
        renderer = service.Renderer(lambda tr, copy=copy: render.reminder(tr, copy, name), tokens)
        for hours in settings.reminder_hours:
            send_at = date.starts_at - timedelta(hours=hours)
            if not (t < send_at <= t + HORIZON):
                continue
            targets = []
            for person in people:
                answer = own.get((person.id, date.key), series.get(person.id))
                if answer == "no" or person.id in weekly and answer not in ("yes", "maybe") \
                        or (person.id, date.key, local(send_at)) in queued:
                    continue
                until = quiet.quiet_until(send_at, windows.get(person.id))
                if until is not None and until >= date.starts_at:
                    continue
                targets.append(service.Target(person.platform, person.dm_chat_id, person.id, person.language))
            ids = await service.queue(session, targets, renderer, service.REMINDER, quiet_hours=True,
                                       not_before=send_at)
            if ids:
                await session.execute(insert(MeetingReminder), [
                    {"delivery_id": i, "event_id": event.id, "user_id": g.user_id, "occurrence": date.key}
                    for g, i in zip(targets, ids, strict=True)])
            total += len(ids)
    return total


async def top_up_all(app: App, session: AsyncSession, at: datetime | None = None) -> int:
    """Every announced recurring meeting: the hourly job."""
    total = 0
    for event in await session.scalars(select(Meeting).where(Meeting.rrule != "", Meeting.status != CANCELLED)):
        total += await top_up(app, session, event, at)
    return total


async def _date_tokens(session: AsyncSession, event: Meeting, date: Occurrence) -> dict[str, str]:
    """Answer buttons for one date, not bound to a person (as for the announcement)."""
    ttl = max((date.ends_at or date.starts_at) + service.BUTTON_GRACE - now(), timedelta(days=1))
    payload = {"e": event.id, "o": key_of(date.key)}
    tokens = {a: await buttons.create(session, None, "event_date_rsvp", payload | {"a": a}, ttl=ttl)
              for a in service.ANSWERS}
    tokens["ics"] = await buttons.create(session, None, "event_ics", {"e": event.id}, ttl=ttl)
    return tokens


# --- one date cancelled or moved, or this and all following changed --------------------------------------------

async def _tell(app: App, session: AsyncSession, event: Meeting, text) -> service.Fanout:
    """A notice about one date to everyone told about the series."""
    rows = (await session.execute(select(MeetingRecipient, User.language)
                                  .outerjoin(User, User.id == MeetingRecipient.user_id)
                                  .where(MeetingRecipient.event_id == event.id).order_by(MeetingRecipient.id))).all()
    default = app.config.bot.default_language
    targets = [service.Target(r.platform, r.chat_id, r.user_id, language or default) for r, language in rows]
    renderer = service.Renderer(text, {}, answers=False)
    await service.queue(session, targets, renderer, service.CHANGE, quiet_hours=True)
    fan = service.Fanout()
    for target in targets:
        if target.user_id is None:
            fan.chats += 1
        else:
            fan.people[target.platform] += 1
    return fan


async def cancel_date(app: App, session: AsyncSession, event: Meeting, key: datetime, reason: str = "") -> service.Fanout:
    date = await occurrence(session, event, key)
    if date is None or date.cancelled:
        return service.Fanout()
    row = await session.scalar(select(OccurrenceChange).where(
        and_(OccurrenceChange.event_id == event.id, OccurrenceChange.original_start == key)))
    if row is None:
        row = OccurrenceChange(event_id=event.id, original_start=key, created_at=now())
        session.add(row)
    row.status, row.starts_at, row.ends_at, row.reason = "cancelled", None, None, reason
    event.sequence += 1
    event.updated_at = now()
    await session.flush()
    await drop_reminders(session, event.id, key)
    name = service.place_name(app, event.place_id)
    copy = single(event, date)
    copy.cancel_reason = reason
    return await _tell(app, session, event, lambda t: render.cancel_notice(t, copy, name))


async def move_date(app: App, session: AsyncSession, event: Meeting, key: datetime, starts_at: datetime,
                    ends_at: datetime | None) -> service.Fanout:
    date = await occurrence(session, event, key)
    if date is None or date.cancelled:
        return service.Fanout()
    row = await session.scalar(select(OccurrenceChange).where(
        OccurrenceChange.event_id == event.id, OccurrenceChange.original_start == key))
    if row is None:
        row = OccurrenceChange(event_id=event.id, original_start=key, created_at=now(), reason="")
        session.add(row)
    row.status, row.starts_at, row.ends_at = "moved", starts_at, ends_at
    event.sequence += 1
    event.updated_at = now()
    await session.flush()
    await drop_reminders(session, event.id, key)
    await top_up(app, session, event)
    name = service.place_name(app, event.place_id)
    before = single(event, date)
    after = single(event, Occurrence(key, starts_at, ends_at, moved=True, title=date.title, location=date.location))
    return await _tell(app, session, event, lambda t: render.change_notice(t, after, name, ["when"], before, name))


async def change_date(app: App, session: AsyncSession, event: Meeting, key: datetime, name: str,
                      value: str) -> service.Fanout:
    """"Only this date": its own title or address (`name` "title" or "location"), the other dates keep theirs."""
    date = await occurrence(session, event, key)
    if date is None or date.cancelled or name not in ("title", "location"):
        return service.Fanout()
    before = single(event, date)
    if getattr(before, name) == value:
        return service.Fanout()
    row = await session.scalar(select(OccurrenceChange).where(
        OccurrenceChange.event_id == event.id, OccurrenceChange.original_start == key))
    if row is None:
        row = OccurrenceChange(event_id=event.id, original_start=key, status="changed", created_at=now(), reason="")
        session.add(row)
    setattr(row, name, None if value == getattr(event, name) else value)
    event.sequence += 1
    event.updated_at = now()
    await session.flush()
    after = single(event, (await occurrence(session, event, key)))
    await _refresh_reminders(app, session, event, key)
    place = service.place_name(app, event.place_id)
    return await _tell(app, session, event, lambda t: render.change_notice(t, after, place, [name], before, place))


async def _refresh_reminders(app: App, session: AsyncSession, event: Meeting, key: datetime) -> None:
    """Reminders already queued for the date carry its old text: queue them anew."""
    await drop_reminders(session, event.id, key)
    await top_up(app, session, event)


async def change_following(app: App, session: AsyncSession, event: Meeting, key: datetime,
                           values: service.Fields) -> tuple[Meeting, service.Fanout]:
    """"This and all following": the series ends before `key` and a new one with `values` takes over from there,
    with the same people told and their answers for the whole series, as calendar apps split a series."""
    first = await dates(session, event, after=event.starts_at - timedelta(minutes=1), count=1)
    if first and first[0].key == key:
        changed, fan = await service.change(app, session, event, values)
        await top_up(app, session, event)
        return event, fan
    earlier = recurrence.occurrences(event, await changes_of(session, event.id), after=event.starts_at,
                                     before=key, include_cancelled=True)
    rule = values.rrule or event.rrule
    count = re.search(r"COUNT=(\d+)", rule)
    if count:
        rule = re.sub(r"COUNT=\d+", f"COUNT={max(int(count.group(1)) - len(earlier), 1)}", rule)
    ending = re.sub(r";?(?:COUNT|UNTIL)=[^;]*", "", event.rrule)
    until = (key - timedelta(minutes=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    event.rrule = f"{ending};UNTIL={until}"
    event.sequence += 1
    event.updated_at = now()
    values.rrule = rule
    successor = Meeting(uid=f"{event.uid.split('@')[0]}-{key_of(key)}@helferbot", sequence=0, status=event.status,
                      created_by=event.created_by, created_at=now(), updated_at=now())
    values.apply(successor)
    session.add(successor)
    await session.flush()
    for r in await session.scalars(select(MeetingRecipient).where(MeetingRecipient.event_id == event.id)):
        session.add(MeetingRecipient(event_id=successor.id, platform=r.platform, chat_id=r.chat_id, user_id=r.user_id,
                                   created_at=now()))
    for r in await session.scalars(select(Rsvp).where(Rsvp.event_id == event.id)):
        session.add(Rsvp(event_id=successor.id, user_id=r.user_id, answer=r.answer, updated_at=now()))
    await session.flush()
    await _drop_from(session, event.id, key)
    length = event.ends_at - event.starts_at if event.ends_at else None
    was = single(event, Occurrence(key, key, key + length if length else None))
    changed = values.changes(was) or ["when"]
    old = service.Fields.of(was)
    name = service.place_name(app, successor.place_id)
    fan = await _tell(app, session, successor,
                      lambda t: render.change_notice(t, successor, name, changed, old, service.place_name(
                          app, was.place_id)))
    await top_up(app, session, successor)
    return successor, fan


async def _drop_from(session: AsyncSession, event_id: int, key: datetime) -> None:
    """Reminders of the dates from `key` on, which now belong to the new series."""
    rows = list(await session.scalars(select(MeetingReminder.delivery_id).where(
        MeetingReminder.event_id == event_id, MeetingReminder.occurrence >= key)))
    dropped = sorted(await service.cancel_pending(session, rows))
    if dropped:
        await session.execute(delete(MeetingReminder).where(MeetingReminder.delivery_id.in_(dropped)))


async def reminder_job(app: App) -> None:
    """Every hour: the reminders of recurring meetings for the coming days."""
    while True:
        async with app.db.session() as session:
            queued = await top_up_all(app, session)
            await session.commit()
        if queued:
            app.wake_workers()
        await asyncio.sleep(JOB_PERIOD)
