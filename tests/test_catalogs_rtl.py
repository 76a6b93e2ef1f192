"""The Arabic, Persian and Turkish catalogs must be complete and keep what the code fills in.

A missing or broken translation would show a person English, or crash `str.format` on a placeholder the
translation renamed; a wrong number of plural forms makes gettext pick the wrong sentence for "2 claims".
"""

import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[1] / "bot" / "locale"
DOMAINS = sorted(p.stem for p in (LOCALE_DIR / "de" / "LC_MESSAGES").glob("*.po"))
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"</?(?:a|b|i|u|s|em|strong|code|pre|br|span|blockquote|tg-spoiler)\b[^>]*>")
COMMAND = re.compile(r"(?<![\w/])/[a-z_]+")
LANGUAGES = ["ar", "fa", "tr"]


def _read(language: str, domain: str):
    with open(LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po", "rb") as fh:
        return read_po(fh, locale=language)


def _keys(text: str) -> tuple[list[str], list[str]]:
    return sorted(set(PLACEHOLDER.findall(text))), sorted(TAG.findall(text))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_catalog_is_complete_and_keeps_placeholders(language, domain):
    german = _read("de", domain)
    catalog = _read(language, domain)
    nplurals = get_plural(language).num_plurals
    assert catalog.num_plurals == nplurals
    assert f"nplurals={nplurals};" in catalog.plural_forms
    assert catalog.locale == Locale.parse(language)
    problems = []
    for source in german:
        if not source.id:
            continue
        key = source.id[0] if source.pluralizable else source.id
        message = catalog.get(source.id, source.context)
        if message is None:
            problems.append(f"missing: {key!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        if source.pluralizable:
            assert message.id == source.id, key
            forms = list(message.string) if isinstance(message.string, tuple) else [message.string]
            if len(forms) != nplurals:
                problems.append(f"{len(forms)} plural forms instead of {nplurals}: {key!r}")
            expected = _keys(source.id[1])
            commands = set(COMMAND.findall(source.id[1]))
        else:
            forms = [message.string]
            expected = _keys(source.id)
            commands = set(COMMAND.findall(source.id))
        for form in forms:
            if not form or not form.strip():
                problems.append(f"empty: {key!r}")
            elif _keys(form) != expected:
                problems.append(f"placeholders or tags differ: {key!r} -> {form!r}")
            elif not commands <= set(COMMAND.findall(form)):
                problems.append(f"bot command changed: {key!r} -> {form!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_text_shared_by_two_catalogs_reads_the_same(language):
    """The bot merges all catalogs of a language; the first one wins, so a shared text must agree."""
    seen: dict[str, object] = {}
    differing = []
    for domain in DOMAINS:
        for message in _read(language, domain):
            if not message.id:
                continue
            key = message.id[0] if message.pluralizable else message.id
            if key in seen and seen[key] != message.string:
                differing.append(f"{key!r} in {domain}.po")
            seen.setdefault(key, message.string)
    assert not differing, "\n".join(differing)
