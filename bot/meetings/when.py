"""When an event takes place, read from how coordinators write it: "Dienstag 12. April 14-17 Uhr".

dateparser understands month names and relative words ("übermorgen", "in zwei Wochen") in German and English,
but it reads "2.12." as a time and "12.4." month first, picks next year for a date that is today, and does not
check a weekday against a date. So the spans are found here with patterns, numeric dates and times are read
here, month names and relative words go to dateparser, and the year is chosen here: the next time the date
comes round, or the year after if only then the written weekday fits. If neither fits, the caller asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import dateparser

from bot.meetings.times import ends_before_start, spoken_to_digits
from bot.timeutil import BERLIN

_WEEKDAY_NAMES = {
    0: ("montag", "monday", "mo", "mon"),
    1: ("dienstag", "tuesday", "di", "tue", "tues"),
    2: ("mittwoch", "wednesday", "mi", "wed"),
    3: ("donnerstag", "thursday", "do", "thu", "thur", "thurs"),
    4: ("freitag", "friday", "fr", "fri"),
    5: ("samstag", "sonnabend", "saturday", "sa", "sat"),
    6: ("sonntag", "sunday", "so", "sun"),
}
WEEKDAY_OF = {name: day for day, names in _WEEKDAY_NAMES.items() for name in names}
_LONG_DAYS = "|".join(n for names in _WEEKDAY_NAMES.values() for n in names if len(n) > 4)
# Two- and three-letter forms ("Di", "So", "Do") are ordinary words too; they count only before a date.
_SHORT_DAYS = "|".join(n for names in _WEEKDAY_NAMES.values() for n in names if len(n) <= 4)
_MONTHS = (
    r"januar|jänner|jan|februar|feb|märz|maerz|mär|mrz|april|apr|mai|juni|jun|juli|jul|august|aug"
    r"|september|sept|sep|oktober|okt|november|nov|dezember|dez|january|february|march|mar|may|june|july"
    r"|october|oct|december|dec"
)

_WEEKDAY = re.compile(
    rf"\b(?:(?:am|on|nächste[nrs]?|naechste[nrs]?|kommende[nrs]?|next|this)\s+)?"
    rf"(?:(?P<long>{_LONG_DAYS})\b\.?|(?P<short>{_SHORT_DAYS})\.?(?=,?\s*(?:den\s+|the\s+)?\d))",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(
    r"(?<![\w.:])(?P<pre>(?:am|on|den|vom)\s+)?(?P<d>\d{1,2})\.(?P<m>\d{1,2})(?P<dot>\.)?"
    r"(?:(?<=\.)(?P<y>\d{4}|\d{2})(?![\d:.])|(?<=\.)\s(?P<y4>\d{4})(?![\d:.]))?(?!\d)(?!\s*(?:uhr|h\b))",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"(?<![\d.])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)")
_NAMED_DATE = re.compile(
    rf"\b(?:(?:am|on|den|the)\s+)?(?:(?P<d>\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?(?P<mon>{_MONTHS})\b\.?"
    rf"|(?P<mon2>{_MONTHS})\b\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b)(?:,?\s+(?P<y>\d{{4}})\b)?",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    r"\b(?:heute|today|übermorgen|uebermorgen|morgen|tomorrow"
    r"|in\s+(?:\d+|einer|einem|zwei|drei|vier|fünf|one|two|three|four|five|a)\s+"
    r"(?:tagen?|wochen?|days?|weeks?))\b",
    re.IGNORECASE,
)
_T = r"(?P<h{n}>\d{{1,2}})(?:[:.](?P<m{n}>\d{{2}}))?"
_TIME_RANGE = re.compile(
    r"(?<![\w.:])(?P<pre>(?:von|from|zwischen|between)\s+)?" + _T.format(n=1)
    + r"\s*(?P<suf1>uhr|h\b|am\b|pm\b)?\s*(?:-|–|—|bis|to|until|und|and)\s*" + _T.format(n=2)
    + r"\s*(?P<suf2>uhr|h\b|am\b|pm\b)?(?![\d.])",
    re.IGNORECASE,
)
_TIME_SINGLE = re.compile(
    r"(?<![\w.:])(?P<pre>(?:um|ab|at|from|gegen|start|beginn)\s+)?" + _T.format(n=1)
    + r"\s*(?P<suf1>uhr|h\b|am\b|pm\b)?(?![\d.])",
    re.IGNORECASE,
)

_DATEPARSER_LANGUAGES = ["de", "en"]


@dataclass(frozen=True)
class WeekdayConflict:
    """The written weekday does not fit the date this year or next: the user chooses among `options`."""

    weekday: int
    written: date
    options: tuple[date, ...]


@dataclass
class When:
    day: date | None = None
    start: time | None = None
    end: time | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Where in the text the date and times were written, so the rest can be read as title and place."""
    conflict: WeekdayConflict | None = None
    weekday: int | None = None

    @property
    def reversed(self) -> bool:
        """"18-16 Uhr": the end is before the start and it is no evening past midnight; the caller asks."""
        return self.start is not None and self.end is not None and ends_before_start(self.start, self.end)

    @property
    def found(self) -> bool:
        return self.day is not None or self.start is not None or self.weekday is not None

    def starts_at(self) -> datetime | None:
        if self.day is None or self.start is None:
            return None
        return datetime.combine(self.day, self.start, tzinfo=BERLIN)

    def ends_at(self) -> datetime | None:
        if self.day is None or self.start is None or self.end is None:
            return None
        end = datetime.combine(self.day, self.end, tzinfo=BERLIN)
        if self.end <= self.start:
            end = datetime.combine(self.day + timedelta(days=1), self.end, tzinfo=BERLIN)
        return end


def _settings(today: date) -> dict:
    return {
        "PREFER_DATES_FROM": "future",
        "TIMEZONE": "Europe/Berlin",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "RELATIVE_BASE": datetime.combine(today, time(0, 0)),
        "DATE_ORDER": "DMY",
    }


def _dateparser(text: str, today: date) -> date | None:
    found = dateparser.parse(text, languages=_DATEPARSER_LANGUAGES, settings=_settings(today))
    return found.date() if found is not None else None


def _next_occurrence(day: int, month: int, today: date) -> date | None:
    for year in (today.year, today.year + 1, today.year + 2):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February, or a date that does not exist at all
            continue
        if candidate >= today:
            return candidate
    return None


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _clock(hour: str, minute: str | None, suffix: str | None) -> time | None:
    h, m = int(hour), int(minute or 0)
    suffix = (suffix or "").lower()
    if suffix == "pm" and h < 12:
        h += 12
    elif suffix == "am" and h == 12:
        h = 0
    if h == 24 and m == 0:
        h = 0
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return time(h, m)


def _date_from(
    text: str, today: date, spans: list[tuple[int, int]], after_weekday: int | None
) -> tuple[date | None, bool, str]:
    """The first written date: (day, year given, text with it blanked).

    "12.4" without the closing dot is a date only after "am"/"den" or a weekday; elsewhere it may be a time.
    """
    for pattern in (_ISO_DATE, _NUMERIC_DATE):
        for m in pattern.finditer(text):
            if pattern is _NUMERIC_DATE and not (
                m.group("dot") or m.group("pre")
                or (after_weekday is not None and not text[after_weekday:m.start()].strip(" ,"))
            ):
                continue
            d, mo = int(m.group("d")), int(m.group("m"))
            year = m.group("y") or (m.group("y4") if pattern is _NUMERIC_DATE else None)
            if not (1 <= d <= 31 and 1 <= mo <= 12):
                continue
            try:
                day = date(_full_year(year), mo, d) if year else _next_occurrence(d, mo, today)
            except ValueError:
                day = None
            if day is not None:
                spans.append(m.span())
                return day, bool(year), _blank(text, *m.span())
    m = _NAMED_DATE.search(text)
    if m:
        d = m.group("d") or m.group("d2")
        month = (m.group("mon") or m.group("mon2")).lower().replace("maerz", "märz")
        year = m.group("y")
        parsed = _dateparser(f"{int(d)}. {month} {year or today.year}", today)
        if parsed is not None:
            day = parsed if year else _next_occurrence(parsed.day, parsed.month, today)
            if day is not None:
                spans.append(m.span())
                return day, bool(year), _blank(text, *m.span())
    m = _RELATIVE.search(text)
    if m:
        parsed = _dateparser(m.group(0).replace("uebermorgen", "übermorgen"), today)
        if parsed is not None:
            spans.append(m.span())
            return parsed, True, _blank(text, *m.span())
    return None, False, text


def _times_from(text: str, spans: list[tuple[int, int]]) -> tuple[time | None, time | None, str]:
    for m in _TIME_RANGE.finditer(text):
        # "Hauptstraße 12-14" is an address: a range needs "Uhr", minutes or "von" to be a time.
        if not (m.group("pre") or m.group("suf1") or m.group("suf2") or m.group("m1") or m.group("m2")):
            continue
        suffix2 = m.group("suf2")
        start = _clock(m.group("h1"), m.group("m1"), m.group("suf1") or (suffix2 if suffix2 in ("am", "pm") else None))
        end = _clock(m.group("h2"), m.group("m2"), suffix2)
        if start is not None and end is not None:
            spans.append(m.span())
            return start, end, _blank(text, *m.span())
    for m in _TIME_SINGLE.finditer(text):
        if not (m.group("suf1") or m.group("m1") and ":" in m.group(0) or m.group("pre")):
            continue
        start = _clock(m.group("h1"), m.group("m1"), m.group("suf1"))
        if start is not None:
            spans.append(m.span())
            return start, None, _blank(text, *m.span())
    return None, None, text


def nearest_weekday(day: date, weekday: int) -> tuple[date, ...]:
    """The dates with `weekday` closest to `day` (two when they are equally far)."""
    after = day + timedelta(days=(weekday - day.weekday()) % 7)
    before = after - timedelta(days=7)
    if (after - day) < (day - before):
        return (after,)
    if (after - day) > (day - before):
        return (before,)
    return (before, after)


def find_when(text: str, today: date) -> When:
    """Find date, start and end time in `text`; `today` is the Berlin date the message was written."""
    spans: list[tuple[int, int]] = []
    when = When(spans=spans)
    text = spoken_to_digits(text)  # "halb sieben" -> "18:30", same length: the spans still fit the text
    weekday_match = _WEEKDAY.search(text)
    rest = text
    if weekday_match:
        name = (weekday_match.group("long") or weekday_match.group("short")).lower()
        when.weekday = WEEKDAY_OF[name]
        spans.append(weekday_match.span())
        rest = _blank(rest, *weekday_match.span())
        # "Dienstag Morgen" is a morning, not tomorrow: with a weekday, "morgen" is no date.
        rest = _no_morgen(rest, spans)
    day, year_given, rest = _date_from(rest, today, spans, weekday_match.end() if weekday_match else None)
    when.start, when.end, rest = _times_from(rest, spans)
    if day is None and when.weekday is not None:
        day = today + timedelta(days=(when.weekday - today.weekday()) % 7 or 7)
    elif day is not None and when.weekday is not None and day.weekday() != when.weekday:
        fitted = None
        if not year_given:
            try:
                following = day.replace(year=day.year + 1)
            except ValueError:
                following = None
            if following is not None and following.weekday() == when.weekday:
                fitted = following
        if fitted is not None:
            day = fitted
        else:
            options = tuple(d for d in (day, *nearest_weekday(day, when.weekday)) if d >= today)
            when.conflict = WeekdayConflict(when.weekday, day, options)
    when.day = day
    spans.sort()
    return when


def _no_morgen(text: str, spans: list[tuple[int, int]]) -> str:
    for m in re.finditer(r"\b(?:morgens?|früh|vormittags?|nachmittags?|abends?)\b", text, flags=re.IGNORECASE):
        spans.append(m.span())
        text = _blank(text, *m.span())
    return text
