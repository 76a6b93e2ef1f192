"""Calendar files (RFC 5545) for one event and for a person's feed.

The UID stays with the event and SEQUENCE goes up with every change, so a calendar that imported the file
before updates its entry; a cancellation carries METHOD:CANCEL and STATUS:CANCELLED so it is removed. Times
are written in UTC, which every calendar reads correctly without a VTIMEZONE block.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from icalendar import Calendar, vRecur
from icalendar import Event as VEvent

from bot.meetings.recurrence import occurrences
from bot.meetings.render import where_text
from bot.storage.models_meetings import CANCELLED, Meeting, OccurrenceChange
from bot.timeutil import local, now

PRODID = "-//helferbot//Runde Tische//DE"
DEFAULT_LENGTH = timedelta(hours=2)


def _calendar(method: str | None, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    return cal


def vevent(event: Meeting, place_name: str, changes: Sequence[OccurrenceChange] = ()) -> VEvent:
    """One VEVENT; a recurring meeting keeps its RRULE, with an EXDATE for each cancelled or moved date and an
    RDATE for each new date of a moved one. Its times are written in Berlin time (with a VTIMEZONE added by
    the calendar), because a rule in UTC would shift the meeting by an hour across the change to summer time."""
    item = VEvent()
    item.add("uid", event.uid)
    item.add("sequence", event.sequence)
    item.add("dtstamp", now())
    item.add("last-modified", event.updated_at)
    if not event.rrule:
        item.add("dtstart", event.starts_at)
        item.add("dtend", event.ends_at or event.starts_at + DEFAULT_LENGTH)
    else:
        item.add("dtstart", local(event.starts_at))
        item.add("dtend", local(event.ends_at or event.starts_at + DEFAULT_LENGTH))
        item.add("rrule", vRecur.from_ical(event.rrule))
        skipped = sorted(local(c.original_start) for c in changes if not c.overrides)
        if skipped:
            item.add("exdate", skipped)
        extra = sorted(local(c.starts_at) for c in changes
                       if c.status == "moved" and c.starts_at is not None and not c.overrides)
        if extra:
            item.add("rdate", extra)
    item.add("summary", event.title)
    item.add("location", where_text(event.location, place_name))
    text = "\n\n".join(p for p in (event.topic, event.organiser, event.description) if p)
    if text:
        item.add("description", text)
    item.add("status", "CANCELLED" if event.status == CANCELLED else "CONFIRMED")
    return item


def overrides(event: Meeting, place_name: str, changes: Sequence[OccurrenceChange]) -> list[VEvent]:
    """A VEVENT with RECURRENCE-ID for each date with its own title or address (RFC 5545 3.8.4.4), as calendar
    apps write "only this date": same UID, the rule's start as RECURRENCE-ID, the date's own values."""
    found = []
    if not event.rrule:
        return found
    length = (event.ends_at - event.starts_at) if event.ends_at else DEFAULT_LENGTH
    own = [c for c in changes if c.overrides]
    if not own:
        return found
    # Only dates the rule still has: after "this and all following" the later ones belong to the new series.
    first, last = min(c.original_start for c in own), max(c.original_start for c in own)
    keys = {o.key for o in occurrences(event, (), after=first - timedelta(minutes=1),
                                       before=last + timedelta(minutes=1))}
    for c in own:
        if c.original_start not in keys:
            continue
        start = c.starts_at if c.status == "moved" and c.starts_at is not None else c.original_start
        end = c.ends_at if c.status == "moved" and c.starts_at is not None and c.ends_at else start + length
        item = VEvent()
        item.add("uid", event.uid)
        item.add("recurrence-id", local(c.original_start))
        item.add("sequence", event.sequence)
        item.add("dtstamp", now())
        item.add("last-modified", event.updated_at)
        item.add("dtstart", local(start))
        item.add("dtend", local(end))
        item.add("summary", c.title if c.title is not None else event.title)
        item.add("location", where_text(c.location if c.location is not None else event.location, place_name))
        text = "\n\n".join(p for p in (event.topic, event.organiser, event.description) if p)
        if text:
            item.add("description", text)
        item.add("status", "CANCELLED" if event.status == CANCELLED else "CONFIRMED")
        found.append(item)
    return sorted(found, key=lambda v: v["recurrence-id"].dt)


def event_file(event: Meeting, place_name: str, changes: Sequence[OccurrenceChange] = ()) -> bytes:
    """One event, to import or to update/remove a copy imported earlier."""
    cal = _calendar("CANCEL" if event.status == CANCELLED else "PUBLISH")
    cal.add_component(vevent(event, place_name, changes))
    for item in overrides(event, place_name, changes):
        cal.add_component(item)
    if event.rrule:
        cal.add_missing_timezones()
    return cal.to_ical()


def feed(events: Iterable[tuple[Meeting, str]], name: str,
         changes: dict[int, Sequence[OccurrenceChange]] | None = None) -> bytes:
    """A subscribed calendar: every event with its place name; cancelled ones stay listed as cancelled."""
    cal = _calendar(None, name)
    for event, place_name in events:
        own = (changes or {}).get(event.id, ())
        cal.add_component(vevent(event, place_name, own))
        for item in overrides(event, place_name, own):
            cal.add_component(item)
    cal.add_missing_timezones()
    return cal.to_ical()


def filename(event: Meeting) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in event.title.lower()).strip("-")
    while "--" in safe:
        safe = safe.replace("--", "-")
    return f"{safe[:40] or 'termin'}.ics"
