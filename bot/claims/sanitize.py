"""Text that ends up in money files, cleaned where it comes in.

A bank transfer carries names in a small Latin character set, and a spreadsheet or a reviewer's screen must not
get line breaks, control or bidi characters that a volunteer pasted (or planted) into a purpose: "Beleg:
beigefügt" on a line of its own looks like the bot's own words. So purposes and places become one plain line, and
a payee's name must be writable in a SEPA file - transliterated where possible (Müller -> Mueller, Олена ->
Olena), refused where nothing is left of it (an emoji is no name).
"""

from __future__ import annotations

import re
import unicodedata

SEPA_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
"""The Latin character set every SEPA bank accepts (EPC guidelines)."""
_GERMAN_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
_SPACES = re.compile(r"\s+")
_DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
"""Control, format (bidi marks and overrides, zero-width), surrogate, private and unassigned characters."""


def one_line(text: str) -> str:
    """`text` without control, bidi or other invisible characters, line breaks turned into spaces."""
    kept = []
    for char in unicodedata.normalize("NFC", text):
        if char in "\n\r\t\v\f\u2028\u2029\x85":
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED:
            kept.append(char)
    return _SPACES.sub(" ", "".join(kept)).strip()


def sepa_text(text: str, limit: int = 140) -> str:
    """`text` in the SEPA character set: German letters spelt out, others transliterated, the rest dropped."""
    from text_unidecode import unidecode  # its tables cost 3 MB; only names and purposes of claims need them

    latin = unidecode(one_line(text).translate(_GERMAN_LETTERS))
    return _SPACES.sub(" ", "".join(c if c in SEPA_CHARACTERS else " " for c in latin)).strip()[:limit]


def sepa_name(text: str) -> str | None:
    """The name as a SEPA file writes it, or None when too little of it can be written (an emoji is no name)."""
    name = sepa_text(text, 70)
    return name if sum(c.isalpha() for c in name) >= 2 else None


def spreadsheet_text(value: str) -> str:
    """What openpyxl refuses (control characters) removed, so one claim never breaks the list of all."""
    return "".join(c for c in value if c in "\n\t" or unicodedata.category(c) != "Cc")
