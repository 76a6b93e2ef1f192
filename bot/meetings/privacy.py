"""What round tables keep about a person: their /meinedaten sections, and their name taken off the meetings they
announced when they delete their account (the meetings stay for those who follow them)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.privacy_export import Reader, Section, _records
from bot.storage.models import User
from bot.storage.models_meetings import Meeting, MeetingUserSettings, Rsvp, Subscription

ANSWERS = {"yes": N_("yes"), "no": N_("no"), "maybe": N_("maybe")}


def _minutes(value: int | None) -> str | None:
    return None if value is None else f"{value // 60:02d}:{value % 60:02d}"


async def _subscriptions(r: Reader) -> Section | None:
    rows = (await r.session.scalars(sa.select(Subscription).where(Subscription.user_id == r.user.id))).all()
    if not rows:
        return None
    return Section("subscriptions", r.label("Places you follow"), _records(r, [
        {N_("Place"): r.place(s.place_id), N_("Since"): r.when(s.created_at)} for s in rows]))


async def _answers(r: Reader) -> Section | None:
    rows = (await r.session.execute(sa.select(Rsvp, Meeting).join(Meeting, Meeting.id == Rsvp.event_id)
                                    .where(Rsvp.user_id == r.user.id).order_by(Meeting.starts_at))).all()
    if not rows:
        return None
    return Section("meeting_answers", r.label("Your answers to meetings"), _records(r, [{
        N_("Meeting"): event.title, N_("Date"): r.when(event.starts_at), N_("Place"): r.place(event.place_id),
        N_("Your answer"): r.label(ANSWERS.get(rsvp.answer, rsvp.answer)), N_("Answered at"): r.when(rsvp.updated_at),
    } for rsvp, event in rows]))


async def _settings(r: Reader) -> Section | None:
    found = await r.session.get(MeetingUserSettings, r.user.id)
    if found is None:
        return None
    return Section("meeting_settings", r.label("Your settings for meetings"), _records(r, [{
        N_("Quiet hours on"): found.quiet_enabled, N_("Quiet from"): _minutes(found.quiet_from),
        N_("Quiet until"): _minutes(found.quiet_to), N_("Personal calendar link made"): bool(found.feed_token),
    }]))


async def _organised(r: Reader) -> Section | None:
    rows = (await r.session.scalars(sa.select(Meeting).where(Meeting.created_by == r.user.id)
                                    .order_by(Meeting.starts_at))).all()
    if not rows:
        return None
    return Section("meetings_organised", r.label("Meetings you announced"), _records(r, [{
        N_("Meeting"): e.title, N_("Date"): r.when(e.starts_at), N_("Place"): r.place(e.place_id),
        N_("Address"): e.location, N_("Organiser"): e.organiser, N_("Status"): e.status,
    } for e in rows]))


SECTIONS = (("event_subscriptions", _subscriptions), ("event_rsvps", _answers),
            ("event_user_settings", _settings), ("events", _organised))


async def named_as_organiser(session: AsyncSession, user_id: int) -> int:
    """How many meetings show the person's name as organiser (told before /loeschen is confirmed)."""
    return await session.scalar(sa.select(sa.func.count()).select_from(Meeting).where(
        Meeting.created_by == user_id, Meeting.organiser != "")) or 0


@dataclass(frozen=True)
class OrganiserNamesCleared:
    meetings: int


async def erase(session: AsyncSession, user: User, choices: frozenset[str]) -> OrganiserNamesCleared:
    result = await session.execute(sa.update(Meeting).where(Meeting.created_by == user.id, Meeting.organiser != "")
                                   .values(organiser="").execution_options(synchronize_session=False))
    return OrganiserNamesCleared(result.rowcount or 0)
