"""Meetings on a rhythm: "jeden zweiten Dienstag im Monat", "wöchentlich donnerstags", "alle zwei Wochen".

The rhythm is kept as an RFC 5545 RRULE, the form calendars understand, so the .ics carries the same rule the
bot expands. Expansion happens in Berlin wall-clock time and the zone is attached afterwards: a meeting at
18:00 stays at 18:00 across the change to summer time (its UTC time moves by an hour), as a calendar app that
reads DTSTART;TZID=Europe/Berlin shows it. A date cancelled or moved is a row of `OccurrenceChange`: an EXDATE
for the rule's date, and for a move an RDATE for the new one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrulestr

from bot.meetings.when import WEEKDAY_OF
from bot.timeutil import BERLIN, local

CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ORDINALS = {
    "ersten": 1, "erste": 1, "1.": 1, "first": 1, "1st": 1,
    "zweiten": 2, "zweite": 2, "2.": 2, "second": 2, "2nd": 2,
    "dritten": 3, "dritte": 3, "3.": 3, "third": 3, "3rd": 3,
    "vierten": 4, "vierte": 4, "4.": 4, "fourth": 4, "4th": 4,
    "letzten": -1, "letzte": -1, "last": -1,
}
_COUNTS = {"zwei": 2, "drei": 3, "vier": 4, "two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}
_DAY = "|".join(sorted((n for n in WEEKDAY_OF if len(n) > 3), key=len, reverse=True))
_ORD = "|".join(re.escape(o) for o in sorted(_ORDINALS, key=len, reverse=True))
_MONTHLY_BY_DAY = re.compile(
    rf"\b(?:(?:an\s+)?jede[mnrs]?|every|each|am|on\s+the|the)\s+(?P<ord>{_ORD})\s+(?P<day>{_DAY})s?\b\.?"
    rf"(?:\s+(?:im|des|eines|jedes|in\s+the|of\s+the|of\s+each|of\s+every|every|each)\s+(?:monats?|month))?",
    re.IGNORECASE,
)
_EVERY_N_WEEKS = re.compile(
    r"\b(?:alle|every)\s+(?P<n>zwei|drei|vier|two|three|four|\d)\s+(?:wochen|weeks)\b"
    r"|\b(?P<bi>vierzehntägig|vierzehntaegig|zweiwöchentlich|zweiwoechentlich|biweekly|fortnightly)\b",
    re.IGNORECASE,
)
_WEEKLY = re.compile(
    rf"\b(?:(?:wöchentlich|woechentlich|weekly|jede\s+woche|every\s+week)(?:\s*,?\s*(?:am\s+|on\s+)?"
    rf"(?P<day1>{_DAY})s?\b)?"
    rf"|(?:jeden|jede[nm]?|every|each)\s+(?P<day2>{_DAY})\b"
    rf"|(?P<day3>montags|dienstags|mittwochs|donnerstags|freitags|samstags|sonntags))",
    re.IGNORECASE,
)
_MONTHLY = re.compile(r"\b(?:monatlich|jeden\s+monat|monthly|every\s+month)\b", re.IGNORECASE)
_DAY_AFTER = re.compile(rf"^\s*,?\s*(?:am\s+|on\s+)?(?P<day>{_DAY})s?\b", re.IGNORECASE)
_COUNT = re.compile(r"\b(?P<n>\d{1,2})\s*(?:mal|x|termine|treffen|times)\b", re.IGNORECASE)
_UNTIL = re.compile(r"\b(?:bis|until)\s+(?:zum\s+|einschließlich\s+)?(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{2,4})?",
                    re.IGNORECASE)
_START = re.compile(r"\b(?:ab|from|beginnend|starting)\s+(?:dem\s+|am\s+)?(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{2,4})?",
                    re.IGNORECASE)


@dataclass
class Rule:
    """A rhythm read from text: the RRULE, where it was written, and a start date if one was given ("ab 3.12.")."""

    rrule: str
    spans: list[tuple[int, int]]
    starts_from: date | None = None


def _weekday(name: str) -> int:
    name = name.lower()
    if name not in WEEKDAY_OF and name.endswith("s"):
        name = name[:-1]
    return WEEKDAY_OF[name]


def _date(m: re.Match, today: date) -> date | None:
    year = m.group("y")
    y = (int(year) + 2000 if len(year) == 2 else int(year)) if year else today.year
    try:
        found = date(y, int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None
    if not year and found < today:
        found = found.replace(year=found.year + 1)
    return found


def find_rule(text: str, today: date) -> Rule | None:
    """The rhythm in `text`, or None for a single date. An end ("bis 30.6.", "10 mal") joins the rule."""
    spans: list[tuple[int, int]] = []
    parts: list[str] = []
    m = _MONTHLY_BY_DAY.search(text)
    if m:
        parts = ["FREQ=MONTHLY", f"BYDAY={_ORDINALS[m.group('ord').lower()]}{CODES[_weekday(m.group('day'))]}"]
        spans.append(m.span())
    elif m := _EVERY_N_WEEKS.search(text):
        n = 2 if m.group("bi") else _COUNTS[m.group("n").lower()]
        parts = ["FREQ=WEEKLY", f"INTERVAL={n}"]
        spans.append(m.span())
        day = _DAY_AFTER.match(text[m.end():]) or re.search(rf"\b(?P<day>{_DAY})s?\b", text, re.IGNORECASE)
        if day:
            parts.append(f"BYDAY={CODES[_weekday(day.group('day'))]}")
            if day.re is _DAY_AFTER:
                spans.append((m.end() + day.start(), m.end() + day.end()))
    elif m := _WEEKLY.search(text):
        name = m.group("day1") or m.group("day2") or m.group("day3")
        if name is None:
            day = re.search(rf"\b(?P<day>{_DAY})s?\b", text, re.IGNORECASE)
            name = day.group("day") if day else None
        parts = ["FREQ=WEEKLY"] + ([f"BYDAY={CODES[_weekday(name)]}"] if name else [])
        spans.append(m.span())
    elif m := _MONTHLY.search(text):
        parts = ["FREQ=MONTHLY"]
        spans.append(m.span())
    else:
        return None
    starts_from = None
    if until := _UNTIL.search(text):
        end = _date(until, today)
        if end is not None:
            parts.append(f"UNTIL={end.strftime('%Y%m%d')}T235959Z")
            spans.append(until.span())
    elif count := _COUNT.search(text):
        parts.append(f"COUNT={int(count.group('n'))}")
        spans.append(count.span())
    if start := _START.search(text):
        starts_from = _date(start, today)
        spans.append(start.span())
    return Rule(";".join(parts), sorted(spans), starts_from)


def blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _rule(rrule: str, first: datetime):
    """The dateutil rule in Berlin wall-clock time (naive), starting at `first`."""
    return rrulestr(rrule, dtstart=local(first).replace(tzinfo=None), ignoretz=True)


def first_date(rrule: str, earliest: date, at: time) -> date | None:
    """The first date of the rule on or after `earliest`, for a rule written without a date."""
    probe = datetime.combine(earliest, at)
    if "BYDAY=" not in rrule:
        return earliest  # "alle zwei Wochen" from the date written, or from today
    unbounded = ";".join(p for p in rrule.split(";") if not p.startswith(("COUNT=", "UNTIL=")))
    found = rrulestr(unbounded, dtstart=probe - timedelta(days=1), ignoretz=True).after(probe, inc=True)
    if found is None:
        return None
    return found.date()


@dataclass(frozen=True)
class Occurrence:
    """One date of a meeting: `key` is the rule's start (what RSVPs and changes refer to), `starts_at` the real one."""

    key: datetime
    starts_at: datetime
    ends_at: datetime | None
    cancelled: bool = False
    moved: bool = False
    reason: str = ""
    title: str | None = None
    """This date's own title (None: the series' title), and below its own address."""
    location: str | None = None


def occurrences(event, changes: Iterable = (), *, after: datetime, before: datetime,
                include_cancelled: bool = False) -> list[Occurrence]:
    """The dates of `event` that start in [after, before), with its cancelled and moved dates applied.

    `event` needs `starts_at`, `ends_at` and `rrule`; `changes` are its `OccurrenceChange` rows. A single
    (not recurring) event has one occurrence, itself.
    """
    length = event.ends_at - event.starts_at if event.ends_at else None
    by_key = {local(c.original_start).replace(tzinfo=None): c for c in changes}
    if not event.rrule:
        keys = [local(event.starts_at).replace(tzinfo=None)]
    else:
        rule = _rule(event.rrule, event.starts_at)
        # A moved date may lie outside the window while its rule date is inside, and the other way round.
        slack = timedelta(days=62)
        keys = rule.between(local(after).replace(tzinfo=None) - slack, local(before).replace(tzinfo=None) + slack,
                            inc=True)
    found = []
    for naive in keys:
        key = naive.replace(tzinfo=BERLIN)
        change = by_key.get(naive)
        start, end = key, (key + length if length else None)
        if end is not None:  # the same wall-clock length also on the night the clocks change
            end = datetime.combine((naive + length).date(), (naive + length).time(), tzinfo=BERLIN)
        cancelled = moved = False
        reason = ""
        title = location = None
        if change is not None:
            reason = change.reason or ""
            if change.status == "cancelled":
                cancelled = True
            else:
                title, location = getattr(change, "title", None), getattr(change, "location", None)
                if change.status == "moved" and change.starts_at is not None:
                    start, end, moved = local(change.starts_at), change.ends_at and local(change.ends_at), True
        if not (after <= start < before) or cancelled and not include_cancelled:
            continue
        found.append(Occurrence(key, start, end, cancelled, moved, reason, title, location))
    return sorted(found, key=lambda o: o.starts_at)


def next_occurrence(event, changes: Iterable = (), *, now: datetime) -> Occurrence | None:
    """The next date not over yet (a date counts until two hours after its start if it has no end)."""
    window = occurrences(event, changes, after=now - timedelta(days=1), before=now + timedelta(days=800))
    for o in window:
        if (o.ends_at or o.starts_at + timedelta(hours=2)) > now:
            return o
    return None


def last_start(event) -> datetime | None:
    """When the series ends (None for one without end): for the list of upcoming meetings."""
    if not event.rrule:
        return event.starts_at
    if "COUNT=" not in event.rrule and "UNTIL=" not in event.rrule:
        return None
    dates = list(_rule(event.rrule, event.starts_at))
    return dates[-1].replace(tzinfo=BERLIN) if dates else event.starts_at


def describe(t, rrule: str) -> str:
    """"every second Tuesday of the month" in the reader's language."""
    from bot.meetings.render import weekday_name

    _ = t.gettext
    parts = dict(p.split("=", 1) for p in rrule.split(";") if "=" in p)
    freq, byday, interval = parts.get("FREQ"), parts.get("BYDAY", ""), int(parts.get("INTERVAL", "1"))
    day = weekday_name(t, CODES.index(byday[-2:])) if byday else ""
    if freq == "MONTHLY" and byday:
        nth = int(byday[:-2] or "1")
        ordinal = {1: _("first"), 2: _("second"), 3: _("third"), 4: _("fourth"), -1: _("last")}[nth]
        text = _("every {ordinal} {weekday} of the month", ordinal=ordinal, weekday=day)
    elif freq == "MONTHLY":
        text = _("every month")
    elif interval > 1:
        text = _("every {n} weeks on {weekday}", n=interval, weekday=day) if day else \
            _("every {n} weeks", n=interval)
    else:
        text = _("every week on {weekday}", weekday=day) if day else _("every week")
    if "COUNT" in parts:
        text += ", " + t.ngettext("{n} date", "{n} dates", int(parts["COUNT"]))
    elif "UNTIL" in parts:
        until = datetime.strptime(parts["UNTIL"][:8], "%Y%m%d").date()
        written = until.strftime("%-d.%-m.%Y")
        text += ", " + _("until {date}", date=written)
    return text
