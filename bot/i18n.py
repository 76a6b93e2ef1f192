"""Translations through gettext catalogs managed with Babel.

Message ids are English; `locale/<code>/LC_MESSAGES/*.po` hold the other languages, German being the default
(one catalog per feature, merged at load, so features can be translated independently). The .po files are
compiled in memory at first use, so no build step and no binary files are needed.

A language is offered as soon as its catalog folder exists: `KNOWN_LANGUAGES` only says how a language calls
itself, so a catalog written on another branch plugs in by being there.
"""

from __future__ import annotations

import gettext
import unicodedata
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot import bidi

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "helferbot"
SOURCE_LANGUAGE = "en"
DEFAULT_LANGUAGE = "de"
# Each language in its own name, in the order /sprache lists them.
KNOWN_LANGUAGES = {
    "de": "Deutsch",
    "en": "English",
    "uk": "Українська",
    "ru": "Русский",
    "tr": "Türkçe",
    "ar": "العربية",
    "fa": "فارسی",
}


def available_languages(locale_dir: Path = LOCALE_DIR) -> dict[str, str]:
    """English (the source) and every language with a catalog on disk, each in its own name."""
    on_disk = {p.parent.parent.name for p in locale_dir.glob("*/LC_MESSAGES/*.po")}
    codes = [c for c in KNOWN_LANGUAGES if c == SOURCE_LANGUAGE or c in on_disk]
    codes += sorted(on_disk - set(KNOWN_LANGUAGES))
    return {code: KNOWN_LANGUAGES.get(code) or own_name(code) for code in codes}


def own_name(code: str) -> str:
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except ValueError:
        return code
    return name[:1].upper() + name[1:]


def is_rtl(language: str) -> bool:
    try:
        return Locale.parse(language).character_order == "right-to-left"
    except ValueError:
        return False


def plural_count(language: str) -> int:
    """How many plural forms the language has, from Babel's CLDR data (Arabic six, Ukrainian three)."""
    return get_plural(language).num_plurals


LANGUAGES = available_languages()


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold().replace("ı", "i"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def language_for_word(word: str) -> str | None:
    """The language someone means by "uk", "ukrainisch", "Ukrainian", "українська" or "turkce"."""
    wanted = _fold(word)
    if not wanted:
        return None
    for code, name in LANGUAGES.items():
        names = {code, name}
        for other in ("de", "en", code):
            try:
                names.add(Locale.parse(code).get_language_name(other) or "")
            except ValueError:
                pass
        names |= _EXTRA_NAMES.get(code, set())
        if wanted in {_fold(n) for n in names if n}:
            return code
    return None


_EXTRA_NAMES = {
    "de": {"german", "deutsch"},
    "fa": {"farsi", "persisch", "dari"},
    "uk": {"ukrainisch", "ua"},
    "ar": {"arabisch"},
}


def N_(message: str) -> str:
    """Mark a text for extraction where it is defined; it is translated where it is shown."""
    return message


@cache
def translations(language: str) -> gettext.NullTranslations:
    result: gettext.NullTranslations | None = None
    for po in catalog_files(language):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        buf = BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        part = gettext.GNUTranslations(buf)
        if result is None:
            result = part
        else:
            result.add_fallback(part)
    return result or gettext.NullTranslations()


def catalog_files(language: str) -> list[Path]:
    """The core catalog first, then the features' catalogs in name order."""
    files = sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))
    return sorted(files, key=lambda p: (p.stem != DOMAIN, p.name))


def catalog_conflicts(language: str) -> list[tuple[str, str, str]]:
    """Texts translated differently in two catalogs (the first catalog would silently win)."""
    seen: dict[str, tuple[str, object]] = {}
    conflicts = []
    for po in catalog_files(language):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=language):
                if not message.id or not message.string:
                    continue
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                if key in seen and seen[key][1] != message.string:
                    conflicts.append((key, seen[key][0], po.name))
                seen.setdefault(key, (po.name, message.string))
    return conflicts


def catalog_messages(language: str) -> dict[str, str | tuple]:
    """Every translated message of a language (for the completeness check)."""
    found: dict[str, str | tuple] = {}
    for po in catalog_files(language):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=language):
                if message.id and message.string and not message.fuzzy:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    found[key] = message.string
    return found


def source_messages(root: Path | None = None) -> set[str]:
    """Every text marked for translation in the code (what `make i18n` extracts)."""
    from babel.messages.extract import extract_from_dir

    root = root or Path(__file__).resolve().parents[1]
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    found: set[str] = set()
    for package in ("bot", "handlers", "knowledge"):
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            root / package, method_map=[("**.py", "python")], keywords=keywords
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def normalise_language(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Map a platform's language tag ("de-AT", "en_GB", "fr") to a language the bot speaks."""
    if not code:
        return default
    base = code.replace("_", "-").split("-")[0].lower()
    if base in LANGUAGES:
        return base
    # Someone whose phone speaks neither language is more likely to read English than German.
    return "en" if base else default


class Translator:
    """gettext bound to one language; handlers get one for the user they answer.

    In a right-to-left language every inserted value (a German place, a name, a number, a date, part of an
    IBAN) is wrapped in a Unicode isolate, so it keeps its own order inside the sentence around it."""

    def __init__(self, language: str):
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.rtl = is_rtl(self.language)
        self._t = translations(self.language)

    def gettext(self, message: str, **kwargs) -> str:
        text = self._t.gettext(message)
        return text.format(**self._values(kwargs)) if kwargs else text

    def ngettext(self, singular: str, plural: str, n: int, **kwargs) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text.format(**self._values({"n": n, **kwargs}))

    def _values(self, values: dict) -> dict:
        if not self.rtl:
            return values
        return {key: bidi.isolate(value) for key, value in values.items()}

    __call__ = gettext
