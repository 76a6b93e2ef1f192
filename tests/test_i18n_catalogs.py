"""Every catalog on disk is complete and keeps the source's placeholders, tags and the language's plural forms.

Parametrized over the language folders found under bot/locale, so a catalog added later is checked the moment
it exists, by the same rules as German.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALE_DIR, available_languages, catalog_conflicts

PLACEHOLDER = re.compile(r"\{(\w*)\}")
TAG = re.compile(r"</?(?:b|i|u|s|a|code|pre|blockquote)\b[^>]*>")
LANGUAGES_ON_DISK = sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())
TRANSLATIONS = [code for code in LANGUAGES_ON_DISK if code != "de"]


def messages(language: str, domain: str) -> dict:
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    return catalog, {m.id: m for m in catalog if m.id}


def domains() -> list[str]:
    return sorted(p.stem for p in (LOCALE_DIR / "de" / "LC_MESSAGES").glob("*.po"))


def test_every_language_folder_is_offered_in_its_own_name():
    assert {"de", "en"} <= set(LANGUAGES)
    assert set(LANGUAGES) == {"en", *LANGUAGES_ON_DISK}
    for code in LANGUAGES_ON_DISK:
        assert LANGUAGES[code] and LANGUAGES[code] != code
    if "uk" in LANGUAGES:
        assert LANGUAGES["uk"] == "Українська"


def test_a_language_without_a_catalog_is_not_offered(tmp_path: Path):
    (tmp_path / "uk" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "uk" / "LC_MESSAGES" / "helferbot.po").write_text('msgid ""\nmsgstr ""\n')
    (tmp_path / "fa" / "LC_MESSAGES").mkdir(parents=True)  # a folder with no catalog yet
    assert available_languages(tmp_path) == {"en": "English", "uk": "Українська"}


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_catalog_has_every_text_of_the_german_catalogs_and_nothing_fuzzy(language):
    missing, fuzzy = [], []
    for domain in domains():
        _, german = messages("de", domain)
        path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
        assert path.exists(), f"{language}: no catalog {domain}.po"
        _, translated = messages(language, domain)
        for msgid in german:
            message = translated.get(msgid)
            strings = message.string if message and isinstance(message.string, tuple) else (
                (message.string,) if message else ())
            if message is None or not all(strings):
                missing.append(f"{domain}: {msgid}")
            elif message.fuzzy:
                fuzzy.append(f"{domain}: {msgid}")
    assert not missing, f"{language} untranslated: {missing}"
    assert not fuzzy, f"{language} fuzzy: {fuzzy}"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translations_keep_placeholders_and_tags(language):
    wrong = []
    for domain in domains():
        _, translated = messages(language, domain)
        for message in translated.values():
            if isinstance(message.id, tuple):
                needed = set(PLACEHOLDER.findall(message.id[0])) | set(PLACEHOLDER.findall(message.id[1]))
                tags = Counter(TAG.findall(message.id[1]))
                for form in message.string:
                    found = set(PLACEHOLDER.findall(form))
                    # A form for exactly one or two may say the number in words (Arabic), never anything else.
                    if not (needed - {"n"} <= found <= needed) or Counter(TAG.findall(form)) != tags:
                        wrong.append(form)
            elif message.string:
                if (set(PLACEHOLDER.findall(message.string)) != set(PLACEHOLDER.findall(message.id))
                        or Counter(TAG.findall(message.string)) != Counter(TAG.findall(message.id))):
                    wrong.append(message.string)
    assert not wrong, f"{language}: {wrong}"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_plural_forms_follow_the_languages_rule(language):
    expected = get_plural(language)
    for domain in domains():
        catalog, translated = messages(language, domain)
        assert catalog.num_plurals == expected.num_plurals, f"{language}/{domain}: Plural-Forms header"
        assert str(catalog.locale).split("_")[0] == language
        for message in translated.values():
            if isinstance(message.id, tuple):
                assert len(message.string) == expected.num_plurals, f"{language}: {message.id[0]}"


@pytest.mark.parametrize("language", LANGUAGES_ON_DISK)
def test_no_text_is_translated_differently_in_two_catalogs(language):
    assert catalog_conflicts(language) == []


def test_plural_counts_come_from_babel():
    from bot.i18n import plural_count

    assert plural_count("ar") == 6
    assert plural_count("uk") == plural_count("ru") == 3
    assert plural_count("de") == plural_count("tr") == 2


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_glossary_terms_kept_in_german_appear_in_the_catalog(language):
    import csv

    glossary = LOCALE_DIR / "glossary" / f"{language}.tsv"
    if not glossary.exists():
        pytest.skip(f"no glossary for {language}")
    with glossary.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert rows and all(row["german"] and row["translation"] for row in rows)
    texts = "\n".join(
        "\n".join(s) if isinstance(s, tuple) else s
        for domain in domains() for m in messages(language, domain)[1].values() for s in [m.string])
    for row in rows:
        bracketed = re.search(r"\(([^)]+)\)$", row["translation"])
        if bracketed and re.search(r"[A-Za-zÄÖÜäöüß]", bracketed.group(1)):  # a German term, not an explanation
            assert f"({bracketed.group(1)}" in texts, f"{language}: {row['german']} never shown in brackets"
