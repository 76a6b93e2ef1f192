"""Announcing, changing and cancelling events; answers and reminders. Every push is an outbox row.

All of it runs inside the caller's transaction: the event, the list of who was told and every message to them
are committed together or not at all, and the outbox worker sends them at the platform's rate afterwards.

Messages about one event that have not left yet are replaced rather than followed up: whoever has not yet
received the announcement when the event changes gets the new announcement instead of two messages, and
nothing at all if it is cancelled before it reached them. The replacement only takes rows still pending
(`UPDATE ... WHERE status = 'pending'`), so a row a worker has already taken is never changed under it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import buttons, outbox
from bot.i18n import Translator
from bot.meetings import digest, quiet, render, scope
from bot.meetings.settings import EventsSettings
from bot.messages import Button, Reply
from bot.storage.models import User
from bot.storage.models_meetings import (
    ANNOUNCED,
    CANCELLED,
    Meeting,
    MeetingRecipient,
    MeetingReminder,
    Rsvp,
)
from bot.timeutil import BERLIN, now
from bot.tokens import new_token

if TYPE_CHECKING:
    from bot.core.app import App
    from bot.services import Places

ANSWERS = ("yes", "maybe", "no")
ANNOUNCE, CHANGE, CANCEL, REMINDER = "event_announce", "event_change", "event_cancel", quiet.REMINDER
CHUNK = 5000
"""Ids per IN (...) list: PostgreSQL takes at most 32767 parameters in one statement."""
BUTTON_GRACE = timedelta(days=14)


@dataclass
class Fields:
    """What a coordinator fills in; the same for a new event and a change."""

    title: str
    starts_at: datetime
    place_id: str
    ends_at: datetime | None = None
    location: str = ""
    topic: str = ""
    organiser: str = ""
    description: str = ""
    rrule: str = ""

    @classmethod
    def of(cls, event: Meeting) -> Fields:
        """The values as they are now, to show old -> new in a change notice."""
        return cls(**{f.name: getattr(event, f.name) for f in fields(cls)})

    def changes(self, event: Meeting) -> list[str]:
        """Names of what differs from `event`, as the change notice lists them ("when" for both times)."""
        changed = []
        for f in fields(self):
            if getattr(event, f.name) != getattr(self, f.name):
                name = {"starts_at": "when", "ends_at": "when", "rrule": "when", "place_id": "place"}.get(f.name, f.name)
                if name not in changed:
                    changed.append(name)
        return changed

    def apply(self, event: Meeting) -> None:
        for f in fields(self):
            setattr(event, f.name, getattr(self, f.name))


@dataclass
class Fanout:
    """What was queued: people and rooms per platform, and reminders."""

    people: Counter = field(default_factory=Counter)
    chats: int = 0
    reminders: int = 0

    @property
    def total_people(self) -> int:
        return sum(self.people.values())

    def add(self, other: Fanout) -> Fanout:
        self.people.update(other.people)
        self.chats += other.chats
        self.reminders += other.reminders
        return self


@dataclass(frozen=True)
class Target:
    platform: str
    chat_id: str
    user_id: int | None
    language: str


def settings_of(app: App) -> EventsSettings:
    return app.services.meetings.settings


def place_name(app: App, place_id: str) -> str:
    return app.services.places.name(place_id)


# --- creating, changing, cancelling -----------------------------------------------------------------------------

async def create(app: App, session: AsyncSession, values: Fields, author: User | None) -> tuple[Meeting, Fanout]:
    event = Meeting(uid=f"{new_token(16)}@helferbot", sequence=0, status=ANNOUNCED,
                  created_by=author.id if author else None, created_at=now(), updated_at=now())
    values.apply(event)
    session.add(event)
    await session.flush()
    fan = await _announce_to_new(app, session, event)
    fan.reminders = await _schedule_for_recipients(app, session, event)
    return event, fan


async def change(app: App, session: AsyncSession, event: Meeting, values: Fields) -> tuple[list[str], Fanout]:
    """Apply changes and tell everyone who was told; new subscribers of a new place get the announcement."""
    changed = values.changes(event)
    if not changed or event.status == CANCELLED:
        return [], Fanout()
    before = Fields.of(event)
    values.apply(event)
    event.sequence += 1
    event.updated_at = now()
    await session.flush()
    await _drop_reminders(session, event.id)
    fan = await _notify_recipients(app, session, event, CHANGE, changed, before)
    fan.add(await _announce_to_new(app, session, event))
    fan.reminders = await _schedule_for_recipients(app, session, event)
    return changed, fan


async def cancel(app: App, session: AsyncSession, event: Meeting, reason: str = "") -> Fanout:
    if event.status == CANCELLED:
        return Fanout()
    event.status = CANCELLED
    event.cancel_reason = reason
    event.sequence += 1
    event.updated_at = event.cancelled_at = now()
    await session.flush()
    await _drop_reminders(session, event.id)
    return await _notify_recipients(app, session, event, CANCEL, [])


# --- answers ----------------------------------------------------------------------------------------------------

CLOSED_CANCELLED, CLOSED_OVER = "cancelled", "over"


def closed(event: Meeting) -> str | None:
    """Why an event takes no more answers ("cancelled" or "over"), or None while it does."""
    if event.status == CANCELLED:
        return CLOSED_CANCELLED
    if (event.ends_at or event.starts_at) < now():
        return CLOSED_OVER
    return None


def is_cancelled(event: Meeting) -> bool:
    return event.status == CANCELLED


async def answer(app: App, session: AsyncSession, event: Meeting, user: User, value: str) -> str | None:
    """Record yes/maybe/no; "no" drops the person's reminders, yes/maybe (re)schedules them. Returns the old one."""
    if value not in ANSWERS:
        raise ValueError(value)
    row = await session.get(Rsvp, (event.id, user.id))
    previous = row.answer if row is not None else None
    if row is None:
        session.add(Rsvp(event_id=event.id, user_id=user.id, answer=value, updated_at=now()))
    else:
        row.answer, row.updated_at = value, now()
    # Whoever answers hears about changes and gets reminders, also if they found the event with /termine.
    if user.dm_chat_id:
        known = await session.scalar(select(MeetingRecipient.id).where(
            MeetingRecipient.event_id == event.id, MeetingRecipient.platform == user.platform,
            MeetingRecipient.chat_id == user.dm_chat_id))
        if known is None:
            session.add(MeetingRecipient(event_id=event.id, platform=user.platform, chat_id=user.dm_chat_id,
                                       user_id=user.id, created_at=now()))
    await session.flush()
    await _drop_reminders(session, event.id, user.id)
    if value != "no" and event.status != CANCELLED:
        await _schedule_reminders(app, session, event, [user])
    return previous


async def answer_of(session: AsyncSession, event: Meeting, user: User) -> str | None:
    return await session.scalar(select(Rsvp.answer).where(Rsvp.event_id == event.id, Rsvp.user_id == user.id))


async def counts(session: AsyncSession, event: Meeting) -> tuple[dict[str, int], int]:
    """Answers per kind, and how many people were told about the event."""
    rows = await session.execute(
        select(Rsvp.answer, func.count()).where(Rsvp.event_id == event.id).group_by(Rsvp.answer))
    found = {a: 0 for a in ANSWERS} | {a: n for a, n in rows}
    told = await session.scalar(select(func.count()).select_from(MeetingRecipient).where(
        MeetingRecipient.event_id == event.id, MeetingRecipient.user_id.is_not(None)))
    return found, told or 0


# --- finding events ---------------------------------------------------------------------------------------------

async def upcoming(
    session: AsyncSession, places: Sequence[str], *, everywhere: bool = False, limit: int = 10,
    since: timedelta = timedelta(hours=12), finished: bool = False,
) -> list[Meeting]:
    """Events not over yet (or, with `finished`, started after now - `since`) that reach any of `places` (or all
    with `everywhere`), soonest first."""
    if not places and not everywhere:
        return []
    t = now()
    query = select(Meeting).where(or_(Meeting.starts_at >= t - since, Meeting.rrule != "")).order_by(Meeting.starts_at,
                                                                                              Meeting.id)
    if not everywhere:
        query = query.where(or_(*[scope.covering(Meeting.place_id, p) for p in places]))
    found, recurring = [], []
    for event in await session.scalars(query):
        if event.rrule:
            recurring.append(event)
            continue
        if not finished and (event.ends_at or event.starts_at + timedelta(hours=2)) < t:
            continue
        found.append(event)
        if len(found) >= limit and not recurring:
            break
    if recurring:  # a series counts with its next date, or not at all once its last date is over
        from bot.meetings import series

        starts = {e.id: e.starts_at for e in found}
        for event in recurring:
            following = await series.next_date(session, event, t - since if finished else t)
            if following is not None:
                starts[event.id] = following.starts_at
                found.append(event)
        found.sort(key=lambda e: (starts[e.id], e.id))
    return found[:limit]


async def attended_on(places: Places, session: AsyncSession, user: User, day: date) -> list[tuple[int, str]]:
    """Events on `day` (Berlin) the person said yes or maybe to, as (event id, label) for a travel-cost claim."""
    begin = datetime.combine(day, time(0), tzinfo=BERLIN)
    rows = await session.scalars(
        select(Meeting)
        .join(Rsvp, Rsvp.event_id == Meeting.id)
        .where(Rsvp.user_id == user.id, Rsvp.answer.in_(("yes", "maybe")), Meeting.status != CANCELLED)
        .where(Meeting.starts_at >= begin, Meeting.starts_at < begin + timedelta(days=1))
        .order_by(Meeting.starts_at)
    )
    return [(e.id, f"{e.title} ({places.name(e.place_id)}, {render.clock(e.starts_at)})") for e in rows]


# --- messages ---------------------------------------------------------------------------------------------------

async def _event_tokens(session: AsyncSession, event: Meeting) -> dict[str, str]:
    """One set of answer buttons per message batch, not bound to a person: whoever presses answers for
    themselves (also in an announcement room), and thousands of recipients do not need thousands of tokens."""
    ttl = (event.ends_at or event.starts_at) + BUTTON_GRACE - now()
    ttl = max(ttl, timedelta(days=1))
    tokens = {a: await buttons.create(session, None, "event_rsvp", {"e": event.id, "a": a}, ttl=ttl) for a in ANSWERS}
    tokens["ics"] = await buttons.create(session, None, "event_ics", {"e": event.id}, ttl=ttl)
    return tokens


def event_buttons(t: Translator, tokens: dict[str, str], *, answers: bool = True) -> list[list[Button]]:
    """Answer and calendar buttons; a cancellation (no answers) has neither: nothing to add to a calendar."""
    if not answers:
        return []
    return [[Button(render.answer_label(t, a), tokens[a]) for a in ANSWERS],
            [Button(t.gettext("Add to calendar (.ics)"), tokens["ics"])]]


class Renderer:
    """One reply per language for a batch, so ten thousand recipients cost two renderings."""

    def __init__(self, text: Callable[[Translator], str], tokens: dict[str, str], answers: bool = True):
        self.text, self.tokens, self.answers = text, tokens, answers
        self._cache: dict[str, Reply] = {}

    def __call__(self, language: str) -> Reply:
        if language not in self._cache:
            t = Translator(language)
            self._cache[language] = Reply(text=self.text(t), html=True,
                                          buttons=event_buttons(t, self.tokens, answers=self.answers))
        return self._cache[language]


async def queue(
    session: AsyncSession, targets: Sequence[Target], render_for: Renderer, kind: str, *, quiet_hours: bool,
    not_before: datetime | None = None,
) -> list[int]:
    return await outbox.enqueue_many(session, [
        outbox.Outgoing(platform=t.platform, chat_id=t.chat_id, reply=render_for(t.language), user_id=t.user_id,
                        kind=kind, not_before=not_before, quiet_hours=quiet_hours and t.user_id is not None)
        for t in targets
    ])


async def _announce_to_new(app: App, session: AsyncSession, event: Meeting) -> Fanout:
    """Announce to subscribers and rooms the event reaches that were not told yet, and record them."""
    settings = settings_of(app)
    known = set((await session.execute(select(MeetingRecipient.platform, MeetingRecipient.chat_id).where(
        MeetingRecipient.event_id == event.id))).all())
    targets: list[Target] = []
    for user in await scope.subscribers(session, event.place_id):
        key = (user.platform, user.dm_chat_id)
        if key not in known:
            known.add(key)
            targets.append(Target(user.platform, user.dm_chat_id, user.id, user.language))
    chats = 0
    for chat in scope.announce_chats(settings.announce_chats, event.place_id):
        if (chat.platform, chat.chat_id) not in known:
            known.add((chat.platform, chat.chat_id))
            targets.append(Target(chat.platform, chat.chat_id, None, app.config.bot.default_language))
            chats += 1
    fan = Fanout(chats=chats)
    weekly = await digest.readers(session, [g.user_id for g in targets])
    if weekly:  # told in Monday's digest: recorded now, so changes and reminders reach them
        await session.execute(insert(MeetingRecipient), [
            {"event_id": event.id, "platform": g.platform, "chat_id": g.chat_id, "user_id": g.user_id,
             "last_delivery_id": None, "created_at": now()} for g in targets if g.user_id in weekly])
        fan.people.update(g.platform for g in targets if g.user_id in weekly)
        targets = [g for g in targets if g.user_id not in weekly]
    if not targets:
        return fan
    name = place_name(app, event.place_id)
    tokens = await _event_tokens(session, event)
    ids = await queue(session, targets, Renderer(lambda t: render.announcement(t, event, name), tokens),
                       ANNOUNCE, quiet_hours=True)
    t = now()
    rows = [{"event_id": event.id, "platform": g.platform, "chat_id": g.chat_id, "user_id": g.user_id,
             "last_delivery_id": i, "created_at": t} for g, i in zip(targets, ids, strict=True)]
    await session.execute(insert(MeetingRecipient), rows)
    fan.people.update(g.platform for g in targets if g.user_id is not None)
    return fan


async def _notify_recipients(app: App, session: AsyncSession, event: Meeting, kind: str, changed: list[str],
                             before: Fields | None = None) -> Fanout:
    """Tell everyone recorded for the event about a change or the cancellation."""
    settings = settings_of(app)
    found = (await session.execute(
        select(MeetingRecipient, User.language)
        .outerjoin(User, User.id == MeetingRecipient.user_id)
        .where(MeetingRecipient.event_id == event.id)
        .order_by(MeetingRecipient.id)
    )).all()
    states = await outbox.status_of(session, [r.last_delivery_id for r, _l in found])
    rows = [(r, *states.get(r.last_delivery_id, (None, None)), language) for r, language in found]
    replaced = await cancel_pending(session, [r.last_delivery_id for r, status, _k, _l in rows
                                              if status == outbox.PENDING])
    name = place_name(app, event.place_id)
    fresh, notice = [], []
    weekly = set() if digest.still_pushed(event) else await digest.readers(session, [r.user_id for r, *_ in rows])
    for recipient, _status, last_kind, language in rows:
        if recipient.user_id in weekly:
            continue  # the digest shows the meeting as it is by then
        target = Target(recipient.platform, recipient.chat_id, recipient.user_id,
                         language or app.config.bot.default_language)
        if recipient.last_delivery_id in replaced and last_kind == ANNOUNCE:
            if kind == CHANGE:
                fresh.append((recipient, target))
            continue  # cancelled before the announcement reached them: they need not hear of it at all
        notice.append((recipient, target))
    tokens = await _event_tokens(session, event)
    urgent = event.starts_at - now() < timedelta(hours=settings.urgent_hours)
    if kind == CHANGE:
        old_name = place_name(app, before.place_id) if before is not None else name
        text = Renderer(lambda t: render.change_notice(t, event, name, changed, before, old_name), tokens)
    else:
        text = Renderer(lambda t: render.cancel_notice(t, event, name), tokens, answers=False)
    fan = Fanout()
    batches = [(notice, text, kind)]
    if fresh:
        batches.append((fresh, Renderer(lambda t: render.announcement(t, event, name), tokens), ANNOUNCE))
    for pairs, renderer, batch_kind in batches:
        ids = await queue(session, [g for _r, g in pairs], renderer, batch_kind, quiet_hours=not urgent)
        for (recipient, target), delivery_id in zip(pairs, ids, strict=True):
            recipient.last_delivery_id = delivery_id
            if target.user_id is None:
                fan.chats += 1
            else:
                fan.people[target.platform] += 1
    await session.flush()
    return fan


async def cancel_pending(session: AsyncSession, ids: Sequence[int | None]) -> set[int]:
    return await outbox.cancel_pending(session, ids, "replaced")


# --- reminders --------------------------------------------------------------------------------------------------

async def _drop_reminders(session: AsyncSession, event_id: int, user_id: int | None = None) -> int:
    query = select(MeetingReminder.delivery_id).where(MeetingReminder.event_id == event_id)
    if user_id is not None:
        query = query.where(MeetingReminder.user_id == user_id)
    dropped = await cancel_pending(session, list(await session.scalars(query)))
    ordered = sorted(dropped)
    for start in range(0, len(ordered), CHUNK):
        await session.execute(delete(MeetingReminder).where(MeetingReminder.delivery_id.in_(ordered[start:start + CHUNK])))
    return len(dropped)


async def _schedule_for_recipients(app: App, session: AsyncSession, event: Meeting) -> int:
    declined = select(Rsvp.user_id).where(Rsvp.event_id == event.id, Rsvp.answer == "no")
    people = list(await session.scalars(
        select(User)
        .where(User.id.in_(select(MeetingRecipient.user_id).where(MeetingRecipient.event_id == event.id)))
        .where(User.id.not_in(declined))
        .where(User.dm_chat_id.is_not(None))
        .order_by(User.id)
    ))
    weekly = await digest.readers(session, [p.id for p in people])
    if weekly:  # digest readers are reminded only of what they said they would come to
        coming = set(await session.scalars(select(Rsvp.user_id).where(
            Rsvp.event_id == event.id, Rsvp.answer.in_(("yes", "maybe")))))
        people = [p for p in people if p.id not in weekly or p.id in coming]
    return await _schedule_reminders(app, session, event, people)


async def _schedule_reminders(app: App, session: AsyncSession, event: Meeting, people: Sequence[User]) -> int:
    """Queue the reminders still ahead for these people (see `bot.meetings.quiet` for quiet hours)."""
    if event.rrule:  # a recurring meeting: per date, for the coming days (see bot.meetings.series)
        from bot.meetings import series

        return await series.top_up(app, session, event)
    settings = settings_of(app)
    people = [p for p in people if p.dm_chat_id]
    t = now()
    times = [event.starts_at - timedelta(hours=h) for h in settings.reminder_hours]
    times = [at for at in times if at > t]
    if not times or not people or event.status == CANCELLED:
        return 0
    windows = await quiet.windows(session, (p.id for p in people), settings)
    name = place_name(app, event.place_id)
    tokens = await _event_tokens(session, event)
    renderer = Renderer(lambda tr: render.reminder(tr, event, name), tokens)
    total = 0
    for at in times:
        targets = []
        for person in people:
            until = quiet.quiet_until(at, windows.get(person.id))
            if until is not None and until >= event.starts_at:
                continue
            targets.append(Target(person.platform, person.dm_chat_id, person.id, person.language))
        ids = await queue(session, targets, renderer, REMINDER, quiet_hours=True, not_before=at)
        if ids:
            await session.execute(insert(MeetingReminder), [
                {"delivery_id": i, "event_id": event.id, "user_id": g.user_id}
                for g, i in zip(targets, ids, strict=True)
            ])
        total += len(ids)
    return total
