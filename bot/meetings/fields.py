"""What a title, address or topic may be: the checks a coordinator's text goes through before it is kept.

A title goes to every subscriber, so it must say something: "-", emoji alone or a pasted page are turned back
with a message that says why, instead of being cut off or stored as they are. "-" means "leave empty" for the
optional fields, where the question says so.
"""

from __future__ import annotations

LIMITS = {"title": 120, "location": 255, "topic": 120, "organiser": 200, "description": 3000, "reason": 500}
EMPTY = ("-", "–", "—", "--")


def cleaned(name: str, value: str) -> str:
    """The text to keep: stripped, and "" where "-" stands for empty."""
    value = value.strip()
    return "" if value in EMPTY else value


def problem(name: str, value: str) -> str | None:
    """Why `value` cannot be kept as `name`: "empty", "no_letters", "too_long"; None if it can."""
    value = cleaned(name, value)
    if name == "title":
        if not value:
            return "empty"
        if not any(c.isalnum() for c in value):
            return "no_letters"
    if len(value) > LIMITS[name]:
        return "too_long"
    return None
