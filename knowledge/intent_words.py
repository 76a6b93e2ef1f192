"""The small-talk words of every language (intent_words.toml), folded the way messages are folded.

Loaded by the language guess for first messages on Matrix, and meant for the free-text understanding
(greeting, thanks, help, cancel, "contact in <place>") so it answers in all the bot's languages.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from pathlib import Path

WORDS_FILE = Path(__file__).with_name("intent_words.toml")
INTENTS = ("greeting", "thanks", "help", "cancel", "contact")
_WORD = re.compile(r"[\w'\u200c-]+")
# Arabic and Persian forms of the same letters, so "كمك" and "کمک" meet; harakat are dropped by the fold.
_ARABIC_SCRIPT = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "\u200c": " "})


def fold(text: str) -> str:
    """Lower case without accents or diacritics (ı and i, ş and s meet), Arabic letter variants unified."""
    text = text.casefold().replace("ı", "i").replace("İ", "i").replace("’", "'")
    kept: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            # Accents on Latin letters and Arabic vowel signs go; "й" and "ї" keep theirs, they are letters.
            if base < "\u0250" or "\u0600" <= base <= "\u06ff":
                continue
        else:
            base = ch
        if ch != "\u0640":
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)).translate(_ARABIC_SCRIPT)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@cache
def lexicon() -> dict[str, dict[str, tuple[str, ...]]]:
    """language -> key -> folded phrases, longest first."""
    with WORDS_FILE.open("rb") as fh:
        raw = tomllib.load(fh)
    return {
        language: {key: tuple(sorted({fold(p) for p in phrases}, key=len, reverse=True))
                   for key, phrases in keys.items()}
        for language, keys in raw.items()
    }


def has_phrase(text_words: list[str], phrase: str) -> bool:
    wanted = phrase.split()
    n = len(wanted)
    return any(text_words[i:i + n] == wanted for i in range(len(text_words) - n + 1))


def intents_in(text: str, language: str | None = None) -> dict[str, set[str]]:
    """Which intents' words a message holds, per language (all languages unless one is given)."""
    found: dict[str, set[str]] = {}
    tokens = words(text)
    for lang, keys in lexicon().items():
        if language and lang != language:
            continue
        for intent in INTENTS:
            if any(has_phrase(tokens, phrase) for phrase in keys.get(intent, ())):
                found.setdefault(lang, set()).add(intent)
    return found


OTHER_LANGUAGES = ("uk", "ru", "tr", "ar", "fa")
"""German and English are read by knowledge/understand.py's own patterns; these by the word lists here."""
PRIORITY = ("contact", "cancel", "help", "thanks", "greeting")
_TURKISH_CASE = re.compile(r"'(?:da|de|ta|te|dan|den|tan|ten|a|e|ya|ye)\b")


def place_words(text: str, language: str) -> str | None:
    """What is left in Latin letters once the language's own words are taken out: place names stay German."""
    tokens = words(_TURKISH_CASE.sub("", text.replace("’", "'")))
    covered = [False] * len(tokens)
    for phrases in lexicon().get(language, {}).values():
        for phrase in phrases:
            wanted = phrase.split()
            for i in range(len(tokens) - len(wanted) + 1):
                if tokens[i:i + len(wanted)] == wanted:
                    covered[i:i + len(wanted)] = [True] * len(wanted)
    rest = [t for t, c in zip(tokens, covered, strict=True) if not c and re.fullmatch(r"[a-z0-9][a-z0-9.\-]*", t)]
    return " ".join(rest) or None


def reading(text: str) -> tuple[str, str | None] | None:
    """(intent, the words that may name a place) for a message in one of the other languages, or None."""
    found = intents_in(text)
    for language in OTHER_LANGUAGES:
        intents = found.get(language)
        if not intents:
            continue
        intent = next(i for i in PRIORITY if i in intents)
        return intent, place_words(text, language) if intent == "contact" else None
    return None
