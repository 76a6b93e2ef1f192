"""The bot in every language it has a catalog for, as people meet it: the platform's language or their first
message decides, /sprache lists each language in its own name, German and English command words work for
everyone, and no answer mixes two languages.

Parametrized over the catalogs on disk, so a language added later is held to the same rules.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime

import pytest

from bot import bidi, directory, formats
from bot.i18n import LANGUAGES, Translator, catalog_messages, is_rtl
from bot.language_guess import guess
from bot.messages import Button, Reply
from bot.platforms import matrix_text
from tests.support.scenes import telegram_bot

OTHERS = [code for code in LANGUAGES if code not in ("de", "en")]
SWITCHED = "I will speak English with you from now on."
WELCOME = ("Hello! I am helferbot, the assistant for volunteers and coordinators in refugee and integration work."
           "\n\nAsk me for example: \"Who is my contact in Nürtingen?\"")


def tr(language: str, msgid: str) -> str:
    return Translator(language).gettext(msgid)


# --- choosing the language -------------------------------------------------------------------------------------

async def test_sprache_lists_every_language_in_its_own_name(chat):
    replies = await chat.say("/sprache")
    offered = [b.label for row in replies[-1].buttons for b in row]
    assert offered == list(LANGUAGES.values())
    assert "Deutsch" in offered and "English" in offered
    for code in OTHERS:
        await chat.press(LANGUAGES[code], replies)
        assert chat.text == tr(code, SWITCHED)
        assert (await chat.say("/hilfe"))[0].text.startswith(tr(code, "What I can do:"))


@pytest.mark.parametrize("language", OTHERS)
async def test_language_named_in_german_english_or_its_own_name(new_chat, language):
    from babel import Locale

    locale = Locale.parse(language)
    for i, word in enumerate([locale.get_language_name("de").lower(), locale.get_language_name("en"),
                              LANGUAGES[language], language]):
        person = new_chat(f"p{i}-{language}")
        await person.say(f"/sprache {word}")
        assert person.text == tr(language, SWITCHED), word


async def test_an_unknown_language_gets_the_list_and_the_buttons(chat):
    replies = await chat.say("/sprache klingonisch")
    assert ", ".join(LANGUAGES.values()) in replies[0].text
    assert [b.label for row in replies[-1].buttons for b in row] == list(LANGUAGES.values())


@pytest.mark.parametrize("language", OTHERS)
async def test_platform_language_decides_and_german_and_english_commands_work(new_chat, language):
    person = new_chat(f"tg-{language}", language=f"{language}-XX")
    help_text = tr(language, "What I can do:")
    assert (await person.say("/hilfe"))[0].text.startswith(help_text)
    assert (await person.say("/help"))[0].text.startswith(help_text)
    await person.say("/abbrechen")
    assert person.text == tr(language, "There is nothing to cancel.")
    await person.say("/cancel")
    assert person.text == tr(language, "There is nothing to cancel.")


async def test_a_language_without_catalog_reads_english(new_chat):
    person = new_chat("amani", language="sw")
    assert (await person.say("/help"))[0].text.startswith("What I can do:")


@pytest.mark.parametrize("language", OTHERS)
async def test_first_message_decides_where_the_platform_does_not_tell(app, adapter, new_chat, language):
    greeting = {"uk": "привіт", "ru": "здравствуйте", "tr": "merhaba", "ar": "مرحبا", "fa": "سلام، خوبی؟"}
    if language not in greeting:
        pytest.skip(f"no greeting written down for {language}")
    adapter.guesses_language = True  # as the Matrix adapter
    person = new_chat(f"mx-{language}", language=None)
    await person.say(greeting[language])
    assert (await person.say("hallo"))[0].text  # a later German word does not switch
    assert (await person.say("/hilfe"))[0].text.startswith(tr(language, "What I can do:"))


async def test_first_message_in_german_places_only_keeps_the_default(app, adapter, new_chat):
    adapter.guesses_language = True
    person = new_chat("mx-place", language=None)
    await person.say("esslingen")
    assert (await person.say("/help"))[0].text.startswith(tr("de", "What I can do:"))


def test_language_guess_on_phone_typed_first_messages():
    every = list(LANGUAGES) + ["ar", "fa", "tr"]
    assert guess("привіт, хто контакт в Esslingen?", every) == "uk"
    assert guess("дякую", every) == "uk"
    assert guess("спасибо большое", every) == "ru"
    assert guess("здравствуйте, где контакт в nurtingen", every) == "ru"
    assert guess("merhaba", every) == "tr"
    assert guess("tesekkurler", every) == "tr"
    assert guess("مرحبا", every) == "ar"
    assert guess("ممنون", every) == "fa"
    assert guess("hallo wer ist mein ansprechpartner", every) == "de"
    assert guess("hi who is my contact in esslingen", every) == "en"
    assert guess("72622", every) is None
    # Only languages the bot has catalogs for are answered.
    assert guess("merhaba", ["de", "en"]) is None


# --- the command menu on Telegram ------------------------------------------------------------------------------

async def test_telegram_menu_in_every_language_with_latin_command_names(tmp_path, db_url, db):
    async with telegram_bot(tmp_path, db_url, db) as (_app, emu):
        for _ in range(100):
            if all(emu.commands(language_code=code) for code in LANGUAGES):
                break
            await asyncio.sleep(0.05)
        for code in LANGUAGES:
            menu = {c["command"]: c["description"] for c in emu.commands(language_code=code)}
            assert all(re.fullmatch(r"[a-z0-9_]{1,32}", name) for name in menu), code
            help_name = "hilfe" if code == "de" else "help"
            assert menu[help_name] == tr(code, "What I can do")
        for i, code in enumerate(OTHERS):
            emu.push_text(4711 + i, "/start", language_code=code)
            [welcome] = await emu.wait_for_sent(chat_id=4711 + i)
            assert welcome.visible_text == tr(code, WELCOME)


# --- no answer mixes two languages -----------------------------------------------------------------------------

def fragments(language: str) -> set[str]:
    """Pieces of this language's texts long enough (three words) that they cannot be shared by accident."""
    texts = catalog_messages(language).values() if language != "en" else catalog_messages("de").keys()
    found = set()
    for text in texts:
        for form in text if isinstance(text, tuple) else (text,):
            for piece in re.split(r"\{\w*\}|\n|[«»\"“”()]|[.!?;:](?:\s|$)", form):
                piece = piece.strip(" .,:;!?–-•…")
                if len(piece.split()) >= 3 and len(piece) >= 12:
                    found.add(piece)
    return found


CONVERSATION = [
    "/start", "/hilfe", "/kontakt Nürtingen", "/kontakt xyzzy", "/termine", "/abonnieren Nürtingen",
    "/termine", "/fahrtkosten", "Nürtingen", "/abbrechen", "/meinedaten", "/datenschutz", "/gibtsnicht",
    "/sprache", "/abbrechen",
]


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "de"] + ["de"])
async def test_no_reply_mixes_two_languages(app, new_chat, language):
    async with app.db.session() as session:
        await directory.seed_once(session)
        await session.commit()
    person = new_chat(f"mix-{language}", language=language)
    others = {code: fragments(code) - fragments(language) for code in LANGUAGES if code != language}
    said = []
    for text in CONVERSATION:
        for reply in await person.say(text):
            said.append(reply.text)
            labels = [b.label for row in reply.buttons for b in row]
            for piece_of in (reply.text, *labels):
                for code, pieces in others.items():
                    leaked = [p for p in pieces if p in piece_of]
                    assert not leaked, f"{language} answer to {text!r} holds {code} text: {leaked}"
    assert len(said) >= len(CONVERSATION)
    if language != "en":
        english = "\n".join(said)
        assert tr(language, "What I can do:") in english


# --- right to left -----------------------------------------------------------------------------------------------

@pytest.fixture
def rtl_language(monkeypatch):
    """Arabic, with its catalog when it exists, else the English texts (the isolating does not depend on it)."""
    import bot.i18n as i18n

    monkeypatch.setitem(i18n.LANGUAGES, "ar", "العربية")
    return "ar"


def test_values_in_rtl_sentences_are_isolated(rtl_language):
    t = Translator(rtl_language)
    assert t.rtl
    text = t.gettext("Contacts for {place}:", place="Esslingen am Neckar")
    assert f"{bidi.FSI}Esslingen am Neckar{bidi.PDI}" in text
    due = t.gettext("Payout to: {holder}, IBAN {iban}", holder="Anna Müller", iban="DE89 … 3000")
    assert f"{bidi.FSI}DE89 … 3000{bidi.PDI}" in due and f"{bidi.FSI}Anna Müller{bidi.PDI}" in due
    when = t.gettext("{date}, {start}–{end}", date="07.03.2026", start="18:30", end="20:00")
    assert when.count(bidi.FSI) == 3 and when.count(bidi.PDI) == 3
    counted = t.ngettext("{n} person", "{n} people", 12)
    assert f"{bidi.FSI}12{bidi.PDI}" in counted
    # Arabic text inserted into Arabic is left alone; a German line inside a block is isolated on its own.
    assert bidi.isolate("مرحبا") == "مرحبا"
    assert bidi.isolate("مرحبا\nRathaus Nürtingen") == f"مرحبا\n{bidi.FSI}Rathaus Nürtingen{bidi.PDI}"


def test_ltr_languages_get_no_invisible_marks():
    for code in [c for c in LANGUAGES if not is_rtl(c)]:
        text = Translator(code).gettext("Contacts for {place}:", place="Esslingen")
        assert bidi.FSI not in text and bidi.PDI not in text


def test_paragraph_direction_ignores_isolated_german_at_the_start():
    sentence = f"{bidi.FSI}Esslingen{bidi.PDI}: جهات الاتصال"
    assert bidi.first_strong("Esslingen: جهات الاتصال") == "L"
    assert bidi.looks_rtl(sentence)


def test_numbered_choices_read_right_to_left_in_matrix():
    reply = Reply("أي مكان تقصد؟", buttons=[[Button("Esslingen am Neckar", token="a")], [Button("نعم", token="b")]])
    content = matrix_text.text_content(reply, hint=None, commands=())
    lines = content["body"].split("\n")
    assert f"{bidi.RLM}1. {bidi.FSI}Esslingen am Neckar{bidi.PDI}" in lines
    assert f"{bidi.RLM}2. نعم" in lines
    assert '<ol dir="rtl">' in content["formatted_body"]
    german = matrix_text.text_content(Reply("Welchen Ort?", buttons=[[Button("Esslingen", token="a")]]),
                                      hint=None, commands=())
    assert "1. Esslingen" in german["body"] and bidi.RLM not in german["body"]


# --- dates, times, amounts ---------------------------------------------------------------------------------------

def spaced(text: str) -> str:
    """Babel's narrow and no-break spaces and direction marks as people read them."""
    return re.sub("[\u00a0\u202f]", " ", text).replace("\u200f", "").replace("\u200e", "")


def test_amounts_dates_and_times_per_locale():
    assert spaced(formats.money(123450, "de")) == "1.234,50 €"
    assert spaced(formats.money(123450, "en")) == "1.234,50 €"
    assert spaced(formats.money(123450, "uk")) == "1 234,50 EUR"
    assert spaced(formats.money(123450, "ru")) == "1 234,50 €"
    assert spaced(formats.money(123450, "tr")) == "€1.234,50"
    # Latin digits in Arabic and Persian too: the amount must match the receipt and the bank statement.
    assert spaced(formats.money(123450, "ar")) == "1,234.50 €"
    assert spaced(formats.money(123450, "fa")) == "€ 1,234.50"
    day = date(2026, 3, 7)
    assert spaced(formats.full_date(day, "uk")) == "субота, 7 березня 2026 р."
    assert spaced(formats.full_date(day, "ru")) == "суббота, 7 марта 2026 г."
    assert formats.full_date(day, "tr") == "7 Mart 2026 Cumartesi"
    assert formats.medium_date(day, "de") == "07.03.2026"
    assert formats.full_date(day, "xx") == formats.full_date(day, "de")
    # 17:30 UTC is 18:30 in Berlin in March, 19:30 in July.
    assert formats.clock(datetime(2026, 3, 7, 17, 30, tzinfo=UTC), "ar") == "18:30"
    assert formats.clock(datetime(2026, 7, 7, 17, 30, tzinfo=UTC), "uk") == "19:30"


@pytest.mark.parametrize("language", OTHERS)
def test_claims_and_meetings_speak_the_locale(language):
    from bot.claims import amounts
    from bot.meetings import render

    assert amounts.money(1275, language) == formats.money(1275, language)
    t = Translator(language)
    assert render.date_text(t, date(2026, 3, 7)) == formats.full_date(date(2026, 3, 7), language)


# --- the small-talk words --------------------------------------------------------------------------------------

def test_intent_words_cover_every_language_and_the_bench_sets_parse():
    import json
    from pathlib import Path

    from knowledge.intent_words import INTENTS, intents_in, lexicon

    words = lexicon()
    for code in [*LANGUAGES, "uk", "ru", "ar", "fa", "tr"]:
        assert all(words[code].get(intent) for intent in INTENTS), code
    data = Path(__file__).resolve().parents[1] / "bench" / "data"
    for path in data.glob("understand_*.jsonl"):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert len(rows) >= 15 and {r["intent"] for r in rows} == set(INTENTS), path.name
    # Typed as on a phone: without the Turkish letters, Arabic and Persian letter forms mixed.
    assert intents_in("tesekkurler", "tr") == {"tr": {"thanks"}}
    assert intents_in("كمك", "fa") == {"fa": {"help"}}
    assert intents_in("дякую й до побачення", "uk") == {"uk": {"thanks"}}
