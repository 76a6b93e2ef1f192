"""An announcement written in one message, taken apart into title, time, place and the rest.

Coordinators write the way they would in an e-mail subject: "Runder Tisch Asyl, Dienstag 12. April 14-17 Uhr,
Rathaus Taunusstein-Hahn". What stands before the date is the title, what follows it is where; further lines
are the description, and lines like "Thema: ..." or "Ort: ..." say what they are. Whatever is missing or
doubtful is asked afterwards, so a guess here never goes out unseen: the coordinator confirms a preview.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.meetings.when import When, find_when

_FIELD_WORDS = {
    "titel": "title", "title": "title", "was": "title", "what": "title",
    "wann": "when", "when": "when", "datum": "when", "date": "when", "zeit": "when", "time": "when",
    "uhrzeit": "when", "termin": "when",
    "ort": "location", "adresse": "location", "address": "location", "raum": "location", "room": "location",
    "wo": "location", "where": "location", "place": "location", "location": "location",
    "thema": "topic", "topic": "topic",
    "veranstalter": "organiser", "veranstalterin": "organiser", "organisator": "organiser",
    "organisatorin": "organiser", "organiser": "organiser", "organizer": "organiser", "organisation": "organiser",
    "einladung": "organiser", "kontakt": "organiser", "contact": "organiser",
    "beschreibung": "description", "description": "description", "info": "description", "infos": "description",
    "details": "description",
}
_FIELD_LINE = re.compile(r"^\s*(?P<key>[A-Za-zÄÖÜäöüß]+)\s*:\s*(?P<value>.*)$")
#: Kinds of meeting that start a title; what follows them is the topic ("Runder Tisch Asyl" -> "Asyl").
_KINDS = re.compile(
    r"^(?:runde[rn]?\s+tisch(?:es)?|fachforum|fachtag|fachaustausch|netzwerktreffen|vernetzungstreffen|treffen"
    r"|stammtisch|arbeitskreis|ak|austauschtreffen|info(?:rmations)?abend|round\s+table|meeting|forum)\b[\s:–-]*",
    re.IGNORECASE,
)
_LEADING = re.compile(r"^(?:(?:im|in\s+der|in\s+dem|in|at|bei|beim|ort|at\s+the|wo)\b\s*:?\s*)+", re.IGNORECASE)
_TRAILING = re.compile(r"(?:\s+(?:am|on|um|at|von|ab|from|den|the|jeweils))+$", re.IGNORECASE)
_EDGES = " \t,;:–—-/|"


@dataclass
class Parsed:
    title: str = ""
    when: When = field(default_factory=When)
    location: str = ""
    topic: str = ""
    organiser: str = ""
    description: str = ""

    @property
    def place_texts(self) -> list[str]:
        """Where to look for the Gemeinde or Kreis, most telling first."""
        return [t for t in (self.location, self.title) if t]


def _clean_title(text: str) -> str:
    return _TRAILING.sub("", text.strip(_EDGES)).strip(_EDGES)


def clean_location(text: str) -> str:
    return _LEADING.sub("", text.strip(_EDGES)).strip(_EDGES)


def topic_of(title: str) -> str:
    """The topic a title names after its kind of meeting: "Fachforum Wohnen" -> "Wohnen"."""
    m = _KINDS.match(title.strip())
    if not m:
        return ""
    return title.strip()[m.end():].strip(_EDGES)


def _split_head(head: str, when: When) -> tuple[str, str]:
    """(title, location) from the first line, around the date and time written in it."""
    if when.spans:
        before = head[: when.spans[0][0]]
        after = head[when.spans[-1][1]:]
    else:
        before, after = head, ""
    before, after = before.strip(_EDGES), after.strip(_EDGES)
    if before:
        parts = [p.strip() for p in re.split(r"[,;]", before) if p.strip()]
        title = parts[0]
        location = ", ".join([*parts[1:], after] if after else parts[1:])
        return _clean_title(title), clean_location(location)
    parts = [p.strip() for p in re.split(r"[,;]", after) if p.strip()]
    if not parts:
        return "", ""
    if len(parts) > 1:
        return _clean_title(parts[0]), clean_location(", ".join(parts[1:]))
    m = re.search(r"\s+(?:in|im|at)\s+", parts[0], re.IGNORECASE)
    if m:
        return _clean_title(parts[0][: m.start()]), clean_location(parts[0][m.end():])
    return _clean_title(parts[0]), ""


def parse_announcement(text: str, today: date) -> Parsed:
    """Read an announcement; `today` is the Berlin date it was written (for "Dienstag", "morgen")."""
    lines = [line.strip() for line in text.strip().splitlines()]
    fields: dict[str, str] = {}
    free: list[str] = []
    for line in lines:
        m = _FIELD_LINE.match(line)
        key = _FIELD_WORDS.get(m.group("key").lower()) if m else None
        if m and key and m.group("value").strip():
            value = m.group("value").strip()
            fields[key] = f"{fields[key]}\n{value}" if key == "description" and key in fields else value
        else:
            free.append(line)
    head = ""
    if "title" not in fields and free and free[0]:
        head = free.pop(0)
    head_when = find_when(head, today)
    when = find_when(fields["when"], today) if "when" in fields else head_when
    if not when.found:
        when = head_when
    title, location = _split_head(head, head_when)
    parsed = Parsed(
        title=fields.get("title", title),
        when=when,
        location=clean_location(fields["location"]) if "location" in fields else location,
        organiser=fields.get("organiser", ""),
    )
    parsed.topic = fields.get("topic") or topic_of(parsed.title)
    description = [line for line in free if line]
    if "description" in fields:
        description.insert(0, fields["description"])
    parsed.description = "\n".join(description)
    return parsed
