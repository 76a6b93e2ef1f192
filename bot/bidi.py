"""Keeping left-to-right pieces readable inside right-to-left sentences (Arabic, Persian).

A German place ("Esslingen am Neckar"), a time ("18:30–20:00"), a date ("07.03.2026") or part of an IBAN
("DE89 …") dropped into an Arabic sentence is reordered by the Unicode bidi algorithm: neutral characters
around it take the sentence's direction and the pieces swap places. Wrapping the piece in a first-strong
isolate (U+2068 … U+2069) keeps its own order and hides it from the paragraph's direction guess, which
Telegram and Element both take from the first strong character of the paragraph.
"""

from __future__ import annotations

import unicodedata

FSI = "\u2068"
"""First-strong isolate: the piece takes the direction of its own first letter (digits alone read left to right)."""
LRI = "\u2066"
RLI = "\u2067"
PDI = "\u2069"
RLM = "\u200f"
_OPENERS = {FSI, LRI, RLI}


def first_strong(text: str) -> str | None:
    """"L" or "R" for the first strong letter outside isolates, None when there is none."""
    depth = 0
    for ch in text:
        if ch in _OPENERS:
            depth += 1
        elif ch == PDI:
            depth = max(0, depth - 1)
        elif depth == 0:
            kind = unicodedata.bidirectional(ch)
            if kind == "L":
                return "L"
            if kind in ("R", "AL"):
                return "R"
    return None


def looks_rtl(text: str) -> bool:
    return first_strong(text) == "R"


def _needs_isolating(line: str) -> bool:
    direction = first_strong(line)
    if direction == "L":
        return True
    if direction == "R":
        return False
    return any(unicodedata.bidirectional(ch) in ("EN", "AN") for ch in line)


def isolate(value: object) -> str:
    """The value as text, each left-to-right or numeric line wrapped in an isolate.

    Line by line, because a line break ends every isolate; lines already right-to-left stay as they are, so a
    block of translated lines keeps deciding its own direction."""
    text = value if isinstance(value, str) else str(value)
    if not text:
        return text
    lines = text.split("\n")
    return "\n".join(
        f"{FSI}{line}{PDI}" if line.strip() and _needs_isolating(line) else line for line in lines
    )


def strip_isolates(text: str) -> str:
    """The text without the invisible marks (for matching what a person typed back)."""
    return text.translate({ord(c): None for c in (FSI, LRI, RLI, PDI, RLM, "\u200e")})


def numbered_line(number: int, label: str, rtl: bool) -> str:
    """One numbered choice; in a right-to-left answer the line starts right to left even when the label is a
    German place, and the label keeps its own order."""
    if not rtl:
        return f"{number}. {label}"
    return f"{RLM}{number}. {isolate(label)}"
