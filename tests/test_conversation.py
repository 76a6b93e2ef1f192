"""Plain words and sentences typed as people type them on phones, through the whole bot."""

from __future__ import annotations

import pytest

from bot import directory
from bot.roles import ADMIN, COORDINATOR
from tests.support.backend import grant_role
from tests.test_meetings import announce, future

NOT_UNDERSTOOD = "leider nicht verstanden"


@pytest.fixture
async def seeded(app):
    async with app.db.session() as session:
        await directory.seed_once(session)
        await session.commit()
    return app


async def test_a_greeting_gets_a_welcome_with_the_three_main_things(chat):
    await chat.say("Hallo")
    assert NOT_UNDERSTOOD not in chat.text
    assert "Hallo!" in chat.text
    labels = [b.label for r in chat.replies for row in r.buttons for b in row]
    assert labels == ["Ansprechpartner finden", "Nächste Termine", "Fahrtkosten abrechnen"]
    await chat.press("Fahrtkosten abrechnen")
    assert "Wo hat die Fahrt begonnen?" in chat.text


async def test_moin_and_thanks(chat):
    await chat.say("moin")
    assert "Ansprechpartner finden" in [b.label for r in chat.replies for row in r.buttons for b in row]
    await chat.say("danke dir!")
    assert "Gern geschehen" in chat.text


async def test_cancel_with_nothing_open_says_so_and_names_no_place(chat):
    await chat.say("abbrechen")
    assert chat.text == "Es gibt nichts abzubrechen."


async def test_cancel_at_the_delete_question_leaves_the_account(chat):
    await chat.say("/loeschen")
    await chat.say("abbrechen")
    assert "Brechen" not in chat.text
    assert "Es wurde nichts geändert" in chat.text
    await chat.say("Löschen")
    assert "wirklich" in chat.text and "Lotschen" not in chat.text


@pytest.mark.parametrize("text", ["Ich komme", "mir ist kalt", "essen gehen?"])
async def test_everyday_words_are_not_read_as_places(chat, text):
    await chat.say(text)
    assert "Ansprechpartner für" not in chat.text and "Kontakte für" not in chat.text
    assert NOT_UNDERSTOOD in chat.text


async def test_plain_words_start_what_they_name(chat):
    await chat.say("Hilfe")
    assert "Was ich kann" in chat.text
    await chat.say("fahrtkosten")
    assert "Wo hat die Fahrt begonnen?" in chat.text
    await chat.say("/abbrechen")
    await chat.say("Ich möchte Fahrtkosten abrechnen")
    assert "Wo hat die Fahrt begonnen?" in chat.text
    await chat.say("/abbrechen")
    await chat.say("Termine")
    assert NOT_UNDERSTOOD not in chat.text and "abonniert" in chat.text


async def test_termine_in_a_place_lists_its_meetings(app, chat, new_chat):
    coordinator = new_chat("kora", language="en")
    await grant_role(app, coordinator, COORDINATOR, "06439")
    await announce(coordinator, f"Runder Tisch Idstein, {future(3)} 14 Uhr, Idstein")
    await chat.say("welche termine gibt es in idstein")
    assert "Runder Tisch Idstein" in chat.text and NOT_UNDERSTOOD not in chat.text
    await chat.say("Termine in Esslingen")
    labels = [b.label for r in chat.replies for row in r.buttons for b in row]
    assert any(label.startswith("Esslingen am Neckar") for label in labels)
    await chat.press("Esslingen am Neckar")
    assert chat.text == "Dort stehen zurzeit keine Termine an."


async def test_sentences_about_contacts_with_topics(seeded, chat):
    await chat.say("Hallo, wer ist in Nürtingen zuständig?")
    assert "Nürtingen" in chat.text and "Ekin-Atik" in chat.text
    await chat.say("Deutschkurse in Offenbach")
    assert "Offenbach am Main" in [b.label.split(" (")[0] for r in chat.replies for row in r.buttons for b in row]
    await chat.say("Brauche Hilfe mit Wohnung")
    assert "Für welchen Ort" in chat.text and "Unterkunft" in chat.text
    await chat.say("Landkreis Esslingen")
    assert "Thema: Unterkunft" in chat.text or "Unterkunft" in chat.text


async def test_help_is_grouped_by_what_the_person_may_do(app, chat, new_chat):
    await chat.say("hilfe")
    assert "Für alle:" in chat.text and "/fahrtkosten" in chat.text
    for admin_only in ("/auszahlung", "/pruefen", "/runder_tisch", "/einladen", "Für Admins"):
        assert admin_only not in chat.text
    coordinator = new_chat("kora")
    await grant_role(app, coordinator, COORDINATOR, "08116")
    await coordinator.say("Was kannst du?")
    assert "Für Koordinierungsstellen:" in coordinator.text and "/runder_tisch" in coordinator.text
    assert "/auszahlung" not in coordinator.text
    admin = new_chat("ada")
    await grant_role(app, admin, ADMIN)
    await admin.say("/hilfe")
    assert "/auszahlung" in admin.text and "Für Admins:" in admin.text


async def test_language_and_privacy_in_plain_words(chat):
    await chat.say("english please")
    assert "English" in chat.text
    await chat.say("was speicherst du über mich?")
    assert "store" in chat.text.lower()
