"""Plain words in the bot's other languages: greetings, thanks, help, cancel and "contact in <place>" with the place
written in German, as it stands on a letter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.i18n import Translator
from knowledge.places import default_index
from knowledge.understand import understand
from tests.support.backend import Chat

SETS = Path(__file__).resolve().parents[1] / "bench" / "data"
LANGUAGES = ("uk", "ru", "tr", "ar", "fa")


def expected_place(name: str) -> str:
    found = default_index().resolve(name)
    return found.best.id if found.best is not None else found.status


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_is_read_for_intent_and_german_place(language):
    rows = [json.loads(line) for line in (SETS / f"understand_{language}.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    wrong = []
    for row in rows:
        reading = understand(row["text"])
        place_ok = not row["place"] or reading.place == expected_place(row["place"])
        if reading.intent != row["intent"] or not place_ok:
            wrong.append((row["text"], reading.intent, reading.place))
    assert len(wrong) <= len(rows) // 20, wrong  # at least 95 %


@pytest.mark.parametrize("language, hello, thanks, contact", [
    ("uk", "привіт", "дякую", "хто координатор у Nürtingen?"),
    ("ru", "здравствуйте", "спасибо", "кто координатор в Nürtingen?"),
    ("tr", "merhaba", "teşekkürler", "Nürtingen'de koordinatör kim?"),
    ("ar", "مرحبا", "شكرا", "من هو المنسق في Nürtingen؟"),
    ("fa", "سلام", "ممنون", "هماهنگ‌کننده در Nürtingen کیست؟"),
])
async def test_a_conversation_in_plain_words_answers_in_the_language(app, language, hello, thanks, contact):
    person = Chat(app, f"p-{language}", language=language)
    t = Translator(language)
    [welcome] = await person.say(hello)
    assert welcome.text == t.gettext("Hello! I help volunteers and coordinators in refugee and integration work. "
                                     "What would you like to do?")
    assert len(welcome.buttons) == 3
    [reply] = await person.say(thanks)
    assert reply.text == t.gettext("You're welcome! Just write whenever you need something.")
    [answer] = await person.say(contact)
    nurtingen = default_index().resolve("Nürtingen").best
    assert answer.text == t.gettext(  # the test's directory is empty: the answer for a place without contacts
        "For {place} no contact is registered yet. What you can do: ask at the town hall or the district office "
        "(Landratsamt), or tell your coordinator about this gap. Coordinators can add their entry with /myentry.",
        place=nurtingen.label)
    assert t.gettext("Sorry, I did not understand that. Send /help to see what I can do.") not in answer.text
