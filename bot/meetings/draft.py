"""An announcement being written: what is known so far, kept in the dialog state between messages.

The draft is plain JSON in the database, so a coordinator can answer the next question after a restart of the
bot. It knows which required piece is still missing; the handler asks for exactly that.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from bot.meetings.fields import LIMITS
from bot.meetings.parse import Parsed
from bot.meetings.service import Fields
from bot.meetings.when import When
from bot.storage.models_meetings import Meeting
from bot.timeutil import BERLIN, local

TEXT_FIELDS = ("title", "location", "topic", "organiser", "description")
OPTIONAL = ("location", "topic", "organiser", "description")
ASKED_IN_GUIDED = ("location", "topic")
"""Optional pieces the guided dialog asks for after the place (the one-message form finds them in the text)."""


@dataclass
class Draft:
    title: str = ""
    start: str | None = None
    """ISO datetime with offset, Berlin time."""
    end: str | None = None
    day: str | None = None
    """A date without a time yet (ISO)."""
    place_id: str | None = None
    location: str = ""
    topic: str = ""
    organiser: str = ""
    description: str = ""
    event_id: int | None = None
    """Set when an existing event is being changed."""
    pending_times: list[str | None] | None = None
    """Times read together with a date whose weekday has to be settled first."""
    guided: bool = False
    """Asked piece by piece: the address and topic are asked too, and the topic is not taken from the title."""
    asked: list[str] | None = None
    """Optional pieces already asked in the guided dialog."""
    rrule: str = ""
    """The rule of a recurring meeting (RFC 5545 RRULE without DTSTART), or "" for a single date."""
    following: int | None = None
    """Changing a recurring meeting from this date on (see `bot.meetings.series.key_of`), not all of it."""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> Draft:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    @classmethod
    def from_event(cls, event: Meeting) -> Draft:
        return cls(
            title=event.title, start=local(event.starts_at).isoformat(), day=local(event.starts_at).date().isoformat(),
            end=local(event.ends_at).isoformat() if event.ends_at else None, place_id=event.place_id,
            location=event.location, topic=event.topic, organiser=event.organiser, description=event.description,
            event_id=event.id, rrule=event.rrule or "",
        )

    @property
    def starts_at(self) -> datetime | None:
        return datetime.fromisoformat(self.start) if self.start else None

    @property
    def ends_at(self) -> datetime | None:
        return datetime.fromisoformat(self.end) if self.end else None

    def missing(self) -> str | None:
        """The first required piece not known yet: "title", "when", "time" or "place"."""
        if not self.title:
            return "title"
        if not self.start and not self.day:
            return "when"
        if not self.start:
            return "time"
        if not self.place_id:
            return "place"
        if self.guided and self.event_id is None:
            for name in ASKED_IN_GUIDED:
                if name not in (self.asked or []):
                    return name
        return None

    def mark_asked(self, name: str) -> None:
        self.asked = [*(self.asked or []), name]

    def fields(self) -> Fields:
        assert self.start is not None and self.place_id is not None
        return Fields(
            title=self.title, starts_at=self.starts_at, ends_at=self.ends_at, place_id=self.place_id,
            location=self.location, topic=self.topic, organiser=self.organiser, description=self.description,
            rrule=self.rrule,
        )

    def set_text(self, name: str, value: str) -> None:
        setattr(self, name, value.strip()[: LIMITS[name]])

    def set_times(self, day: date, start: time | None, end: time | None) -> None:
        if start is None:
            self.day, self.start, self.end = day.isoformat(), None, None
            return
        begin = datetime.combine(day, start, tzinfo=BERLIN)
        finish = None
        if end is not None:
            finish = datetime.combine(day, end, tzinfo=BERLIN)
            if finish <= begin:
                finish += timedelta(days=1)
        self.day, self.start, self.end = day.isoformat(), begin.isoformat(), finish.isoformat() if finish else None

    def apply_when(self, when: When) -> bool:
        """Take date and times from `when`; a time alone goes with the date known so far. False if nothing fit."""
        if when.conflict is not None:
            self.pending_times = [when.start.isoformat() if when.start else None,
                                  when.end.isoformat() if when.end else None]
            return True
        day = when.day or (date.fromisoformat(self.day) if self.day else None)
        if day is None:
            return False
        start, end = when.start, when.end
        if start is None and when.day is None:
            return False
        if start is None and self.starts_at is not None and when.day is not None:
            # A new date for an event that had a time: keep the hours.
            start = self.starts_at.timetz().replace(tzinfo=None)
            end = self.ends_at.timetz().replace(tzinfo=None) if self.ends_at else None
        self.set_times(day, start, end)
        return True

    def choose_day(self, day: date) -> None:
        """The coordinator picked a date after a weekday question; the times read with it still apply."""
        start, end = self.pending_times or [None, None]
        self.pending_times = None
        self.set_times(day, time.fromisoformat(start) if start else None, time.fromisoformat(end) if end else None)

    def merge(self, parsed: Parsed) -> None:
        for name in TEXT_FIELDS:
            value = getattr(parsed, name)
            if value:
                self.set_text(name, value)
        if parsed.when.found:
            self.apply_when(parsed.when)
