"""Times of day as people answer "At what time?": "18", "18.30", "14-17", "14 bis 17", "halb sieben".

The one-message announcement is read by `bot.meetings.when`, where a bare "12-14" may be a house number. An
answer to the time question is nothing but a time, so here bare numbers and ranges count, and the spoken
German forms ("halb sieben", "viertel nach 6", "dreiviertel acht") are read too. Round tables meet in the
afternoon or evening: an hour from 1 to 7 written without "Uhr" or a part of the day ("halb sieben", "7")
is taken as the evening one (18:30, 19:00); "morgens" or "Uhr" keeps it as written. A part of the day alone
("abends") is no time: the caller asks which hour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

_NUMBERS = {
    "eins": 1, "ein": 1, "one": 1, "zwei": 2, "two": 2, "drei": 3, "three": 3, "vier": 4, "four": 4,
    "fünf": 5, "fuenf": 5, "funf": 5, "five": 5, "sechs": 6, "six": 6, "sieben": 7, "seven": 7, "acht": 8,
    "eight": 8, "neun": 9, "nine": 9, "zehn": 10, "ten": 10, "elf": 11, "eleven": 11, "zwölf": 12, "zwoelf": 12,
    "zwolf": 12, "twelve": 12,
}
_HOUR = r"(?P<hour>\d{1,2}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + r")"
_SPOKEN = re.compile(
    r"\b(?:(?P<half>halb)|(?P<q3>drei\s*viertel|dreiviertel)|(?P<qpast>viertel\s+nach|viertel\s+über)"
    r"|(?P<qto>viertel\s+vor)|(?P<q1>viertel)|(?P<mpast>\d{1,2}|zehn|fünf|fuenf|zwanzig)\s+(?:minuten\s+)?nach"
    r"|(?P<mto>\d{1,2}|zehn|fünf|fuenf|zwanzig)\s+(?:minuten\s+)?vor)\s+" + _HOUR + r"\b",
    re.IGNORECASE,
)
_MINUTE_WORDS = {"fünf": 5, "fuenf": 5, "zehn": 10, "zwanzig": 20}
EVENING = re.compile(r"\b(?:abends?|nachmittags?|pm|p\.m\.|evening|afternoon|nachts?)\b", re.IGNORECASE)
MORNING = re.compile(r"\b(?:morgens?|früh|frueh|vormittags?|a\.m\.|morning)\b|(?<=\d)\s*am\b", re.IGNORECASE)
_NOON = re.compile(r"\b(?:mittags?|noon)\b", re.IGNORECASE)
_T = r"(?P<h{n}>\d{{1,2}})(?:\s*(?:[:.]|h|uhr)\s*(?P<m{n}>\d{{2}}))?(?P<u{n}>\s*(?:uhr|h)\b)?"
_ANSWER = re.compile(
    r"^(?:(?:von|um|ab|gegen|ca\.?|etwa|from|at|start|beginn)\s+)?" + _T.format(n=1)
    + r"(?:\s*(?:-|–|—|bis|to|until|till)\s*(?:um\s+)?" + _T.format(n=2) + r")?"
    + r"(?:\s*(?:uhr|h))?$",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"\b(?:abends?|nachmittags?|morgens?|früh|frueh|vormittags?|mittags?|nachts?|pm|am|a\.m\.|p\.m\.|"
    r"in\s+der\s+frühe|evening|afternoon|morning|noon|circa|ungefähr|ungefaehr)\b|[.!,]+$",
    re.IGNORECASE,
)
OVERNIGHT_FROM, OVERNIGHT_UNTIL = time(18), time(6)
"""An end before the start is the next day only for an evening that runs past midnight ("22-1 Uhr")."""


@dataclass(frozen=True)
class Clock:
    """What an answer to the time question said: start and end, or only the part of the day ("abends")."""

    start: time | None = None
    end: time | None = None
    part_of_day: str | None = None
    """"evening", "morning" or "noon" when that was all that was written: ask for the hour."""

    @property
    def reversed(self) -> bool:
        """The end is before the start, and it is not an evening running past midnight."""
        return self.start is not None and self.end is not None and ends_before_start(self.start, self.end)


def ends_before_start(start: time, end: time) -> bool:
    """True for "18-16 Uhr" (asked back), False for "22-1 Uhr" (ends the next day) and "14-17"."""
    if end > start:
        return False
    return not (start >= OVERNIGHT_FROM and end <= OVERNIGHT_UNTIL)


def _number(word: str) -> int:
    word = word.lower()
    return int(word) if word.isdigit() else _NUMBERS.get(word, _MINUTE_WORDS.get(word, -1))


def _spoken_value(m: re.Match) -> tuple[int, int] | None:
    """"halb sieben" -> (6, 30): the hour as written on a 12-hour clock face."""
    hour = _number(m.group("hour"))
    if not 0 <= hour <= 24:
        return None
    if m.group("half"):
        return (hour - 1) % 24, 30
    if m.group("q3"):
        return (hour - 1) % 24, 45
    if m.group("q1"):  # "viertel sieben" is a quarter past six in the south and east
        return (hour - 1) % 24, 15
    if m.group("qpast"):
        return hour, 15
    if m.group("qto"):
        return (hour - 1) % 24, 45
    if m.group("mpast"):
        minutes = _number(m.group("mpast"))
        return (hour, minutes) if 0 < minutes < 30 else None
    if m.group("mto"):
        minutes = _number(m.group("mto"))
        return ((hour - 1) % 24, 60 - minutes) if 0 < minutes < 30 else None
    return None


def _meeting_hour(hour: int, text: str) -> int:
    """A 12-hour clock hour in the afternoon or evening unless the text says morning."""
    if MORNING.search(text):
        return hour
    if EVENING.search(text):
        return hour + 12 if hour < 12 else hour
    return hour + 12 if 1 <= hour <= 7 else hour


def spoken_to_digits(text: str) -> str:
    """Spoken clock forms replaced by "HH:MM", padded to the same length so positions in `text` stay valid."""

    def replace(m: re.Match) -> str:
        value = _spoken_value(m)
        if value is None:
            return m.group(0)
        hour = _meeting_hour(value[0], text)
        digits = f"{hour:02d}:{value[1]:02d}"
        return digits.ljust(len(m.group(0))) if len(digits) <= len(m.group(0)) else m.group(0)

    return _SPOKEN.sub(replace, text)


def read_clock(text: str) -> Clock | None:
    """The answer to "At what time?", or None when it is not (only) a time."""
    raw = " ".join(text.strip().lower().replace("–", "-").replace("—", "-").split())
    spoken = spoken_to_digits(raw)
    core = " ".join(_FILLER.sub(" ", spoken).split())
    if not core:
        if EVENING.search(raw):
            return Clock(part_of_day="evening")
        if MORNING.search(raw):
            return Clock(part_of_day="morning")
        if _NOON.search(raw):
            return Clock(part_of_day="noon")
        return None
    m = _ANSWER.match(core)
    if not m:
        return None
    keep = spoken != raw or any(m.group(g) for g in ("u1", "u2")) or core.endswith(("uhr", "h"))
    start = _to_time(m.group("h1"), m.group("m1"), raw, keep=keep)
    end = _to_time(m.group("h2"), m.group("m2"), raw, keep=keep) if m.group("h2") else None
    if start is None or m.group("h2") and end is None:
        return None
    return Clock(start, end)


def _to_time(hour: str, minute: str | None, text: str, *, keep: bool) -> time | None:
    """`keep`: the hour was written with "Uhr" (or came from words): only "abends" moves it."""
    h, mi = int(hour), int(minute or 0)
    if h == 24 and mi == 0:
        h = 0
    if not (0 <= h <= 23 and 0 <= mi <= 59):
        return None
    if h <= 12 and (not keep or EVENING.search(text)):
        h = _meeting_hour(h, text)
    return time(h, mi)
