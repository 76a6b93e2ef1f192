"""The `[events]` configuration section, checked once at start so a mistake names the key it is in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import ConfigError


@dataclass(frozen=True)
class AnnounceChat:
    """A room or channel that gets every announcement for its place (and the places inside or around it)."""

    place: str
    platform: str
    chat_id: str


@dataclass(frozen=True)
class EventsSettings:
    announce_chats: tuple[AnnounceChat, ...] = ()
    quiet_from: int | None = 21 * 60
    """Default start of quiet hours, minutes after midnight, Berlin time; None: no default quiet hours."""
    quiet_to: int | None = 8 * 60
    reminder_hours: tuple[int, ...] = (24, 1)
    upcoming_limit: int = 10
    urgent_hours: int = 24
    """Changes and cancellations of events starting within this many hours ignore quiet hours."""


def parse_clock(text: str) -> int | None:
    """"21:00", "21", "7.30" -> minutes after midnight; None if it is no time of day."""
    text = text.strip().lower().removesuffix("uhr").strip()
    hours, _, minutes = text.replace(".", ":").partition(":")
    if not hours.isdigit() or (minutes and not minutes.isdigit()):
        return None
    h, m = int(hours), int(minutes or 0)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        return None
    return (h % 24) * 60 + m


def parse_window(text: str) -> tuple[int, int] | None:
    """"21:00-08:00" or "22-7" -> (from, to) in minutes; None if it is not a window."""
    for sep in ("–", "—", " bis ", " to ", "-"):
        if sep in text:
            a, _, b = text.partition(sep)
            start, end = parse_clock(a), parse_clock(b)
            if start is None or end is None or start == end:
                return None
            return start, end
    return None


def from_section(raw: dict[str, Any], known_places: Any = None) -> EventsSettings:
    """Validate `[events]`; raises ConfigError listing every problem.

    `known_places` is anything with `.get(place_id)` (the gazetteer), to catch a mistyped place key.
    """
    problems: list[str] = []
    allowed = {"announce_chats", "quiet_hours", "reminder_hours", "upcoming_limit", "urgent_hours"}
    for key in raw:
        if key not in allowed:
            problems.append(f"unknown key events.{key} (known keys: {', '.join(sorted(allowed))})")
    chats: list[AnnounceChat] = []
    entries = raw.get("announce_chats", [])
    if not isinstance(entries, list):
        problems.append("events.announce_chats must be a list of tables like "
                        '{ place = "06439", platform = "telegram", chat_id = "-100123" }')
        entries = []
    for i, entry in enumerate(entries):
        where = f"events.announce_chats[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a table with place, platform and chat_id")
            continue
        extra = set(entry) - {"place", "platform", "chat_id"}
        if extra:
            problems.append(f"{where} has unknown keys {', '.join(sorted(extra))} (known: place, platform, chat_id)")
        place, platform, chat_id = entry.get("place"), entry.get("platform"), entry.get("chat_id")
        if isinstance(chat_id, int) and not isinstance(chat_id, bool):
            chat_id = str(chat_id)
        if not isinstance(place, str) or not place.isdigit():
            problems.append(f"{where}.place must be an official key in quotes (e.g. \"06439\"), got {place!r}")
        elif known_places is not None and known_places.get(place) is None:
            problems.append(f"{where}.place {place!r} is not a known Land, Kreis or Gemeinde key")
        if not isinstance(platform, str) or not platform:
            problems.append(f"{where}.platform must be \"telegram\" or \"matrix\", got {platform!r}")
        if not isinstance(chat_id, str) or not chat_id:
            problems.append(f"{where}.chat_id must be the chat or room id in quotes, got {chat_id!r}")
        if not any(p.startswith(where) for p in problems):
            chats.append(AnnounceChat(place, platform, chat_id))
    quiet_from: int | None = 21 * 60
    quiet_to: int | None = 8 * 60
    if "quiet_hours" in raw:
        value = raw["quiet_hours"]
        window = parse_window(value) if isinstance(value, str) else None
        if isinstance(value, str) and value.strip().lower() == "off":
            quiet_from = quiet_to = None
        elif window is None:
            problems.append(f'events.quiet_hours must look like "21:00-08:00" or be "off", got {value!r}')
        else:
            quiet_from, quiet_to = window
    hours = raw.get("reminder_hours", [24, 1])
    if not (isinstance(hours, list) and all(isinstance(h, int) and not isinstance(h, bool) and 0 < h <= 24 * 14
                                            for h in hours)):
        problems.append(f"events.reminder_hours must be a list of whole hours between 1 and 336, got {hours!r}")
        hours = [24, 1]
    numbers = {}
    for key, default in (("upcoming_limit", 10), ("urgent_hours", 24)):
        value = raw.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(f"events.{key} must be a positive whole number, got {value!r}")
            value = default
        numbers[key] = value
    if problems:
        raise ConfigError(problems)
    return EventsSettings(
        announce_chats=tuple(chats), quiet_from=quiet_from, quiet_to=quiet_to,
        reminder_hours=tuple(sorted(set(hours), reverse=True)), **numbers,
    )
