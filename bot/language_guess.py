"""The language of a first message, where the platform does not tell it (Matrix has no language_code).

People's first messages are short ("привіт", "سلام", "hallo"), where statistical detectors are unsure and
heavy (py3langid: +120 MB and 1-5 s to load, see bench/understand_languages.py). The script a message is
written in, a few letters only one language of that script uses, and the small-talk words of
knowledge/intent_words.toml decide it instead; when they cannot, the answer is None and the bot keeps its
default language (/sprache changes it any time).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Collection

from knowledge.intent_words import fold, lexicon, words

_ONLY = {
    "uk": set("іїєґ"),
    "ru": set("ыэъё"),
    "fa": set("پچژگ\u06cc\u06a9"),  # and the Persian forms of yeh and kaf a Persian keyboard types
    "ar": set("ةيكىئؤ"),
    "tr": set("ğşıç"),
    "de": set("äß"),  # ö and ü are Turkish too, and in German place names inside any language
}
_SCRIPT_LANGUAGES = {"CYRILLIC": ("uk", "ru"), "ARABIC": ("ar", "fa"), "LATIN": ("tr", "de", "en")}
_TIE_BREAK = {"CYRILLIC": "uk", "ARABIC": "ar", "LATIN": None}
"""Most people writing Cyrillic to a refugee-work bot in Germany are Ukrainian; Arabic script without a letter
only Persian has is read by more people as Arabic. Latin letters alone say nothing (German stays)."""


def _script(text: str) -> str | None:
    counts: Counter[str] = Counter()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            counts[name.split(" ")[0]] += 1
    # German place names are written in Latin letters inside any language: another script wins.
    others = [(n, s) for s, n in counts.items() if s in _SCRIPT_LANGUAGES and s != "LATIN"]
    if others:
        return max(others)[1]
    if not counts:
        return None
    script, _ = counts.most_common(1)[0]
    return script if script in _SCRIPT_LANGUAGES else None


def guess(text: str, languages: Collection[str]) -> str | None:
    """One of `languages` when the message clearly is in it, else None."""
    script = _script(text)
    if script is None:
        return None
    candidates = [c for c in _SCRIPT_LANGUAGES[script] if c in languages]
    if not candidates:
        return None
    lowered = text.casefold()
    tokens = words(text)
    folded = " ".join(tokens)
    scores: Counter[str] = Counter()
    for code in candidates:
        scores[code] += 3 * sum(1 for ch in lowered if ch in _ONLY.get(code, ()))
        for key, phrases in lexicon().get(code, {}).items():
            for phrase in phrases:
                if f" {phrase} " in f" {folded} ":
                    scores[code] += 1 if key == "common" else 2
    ranked = scores.most_common()
    if ranked and ranked[0][1] > 0 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    tie = _TIE_BREAK[script]
    return tie if tie in candidates else None


__all__ = ["fold", "guess"]
