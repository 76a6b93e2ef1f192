"""German is complete and every translation keeps the placeholders of its English original."""

from __future__ import annotations

import re

from bot.i18n import Translator, catalog_messages, normalise_language, source_messages

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def test_every_text_has_a_german_translation():
    missing = sorted(source_messages() - set(catalog_messages("de")))
    assert not missing, f"untranslated: {missing}"


def test_translations_keep_placeholders():
    for msgid, translated in catalog_messages("de").items():
        texts = translated if isinstance(translated, tuple) else (translated,)
        for text in texts:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(msgid)), msgid


def test_translator():
    assert Translator("de").gettext("What I can do:") == "Was ich kann:"
    assert Translator("en").gettext("What I can do:") == "What I can do:"
    assert Translator("xx").language == "de"


def test_platform_language_tags():
    assert normalise_language("de-AT") == "de"
    assert normalise_language("en_GB") == "en"
    assert normalise_language("uk-UA") == "uk"
    assert normalise_language("ru") == "ru"
    # A language without a catalog yet reads English rather than German.
    assert normalise_language("fr") == "en"
    assert normalise_language(None) == "de"
    assert normalise_language("", "en") == "en"


def test_no_text_is_translated_differently_in_two_catalogs():
    from bot.i18n import catalog_conflicts

    assert catalog_conflicts("de") == []


def test_every_catalog_loads_as_the_bot_loads_it():
    """The bot compiles each .po in memory with gettext at the first message; a broken header (a Plural-Forms
    that runs into the next line) would fail there, for every person speaking that language."""
    from bot.i18n import LANGUAGES, translations

    for language in LANGUAGES:
        translations.cache_clear()
        t = translations(language)
        assert all(t.ngettext("{n} claim", "{n} claims", n) for n in range(0, 30)), language
