"""Translations through gettext catalogs managed with Babel.

Message ids are English; `locale/de/LC_MESSAGES/*.po` hold the German text, which is the default language
(one catalog per feature, merged at load, so features can be translated independently). The .po files are
compiled in memory at first use, so no build step and no binary files are needed.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "helferbot"
LANGUAGES = {"de": "Deutsch", "en": "English"}
DEFAULT_LANGUAGE = "de"


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
    """gettext bound to one language; handlers get one for the user they answer."""

    def __init__(self, language: str):
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._t = translations(self.language)

    def gettext(self, message: str, **kwargs) -> str:
        text = self._t.gettext(message)
        return text.format(**kwargs) if kwargs else text

    def ngettext(self, singular: str, plural: str, n: int, **kwargs) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text.format(n=n, **kwargs)

    __call__ = gettext
