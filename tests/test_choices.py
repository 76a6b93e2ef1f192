"""Numbered choices that always work, dialogs that are never dropped silently, contact answers that fit a phone.

Driven through the test backend on a platform without buttons (as Matrix and the console are): choices come as
numbers and are answered by typing them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import directory, users
from bot.i18n import LANGUAGES
from bot.storage.models import DialogState
from bot.storage.models_directory import DirectoryEntry
from tests.support.backend import Chat, RecordingAdapter, grant_role


def numbered(reply) -> list[str]:
    return [b.label for row in reply.buttons for b in row if b.token]


@pytest.fixture
def plain(app):
    app.add_adapter(RecordingAdapter("plain", native_buttons=False))

    def make(user_id: str) -> Chat:
        return Chat(app, user_id, platform="plain")

    return make


@pytest.fixture
async def seeded(app):
    async with app.db.session() as session:
        await directory.seed_once(session)
        await session.commit()
    return app


async def own_entries(app, chat: Chat, *roles_: str) -> None:
    async with app.db.session() as session:
        user = await users.find(session, chat.platform, chat.user_id)
        for role in roles_:
            session.add(DirectoryEntry(place_id="08116049", role=role, owner_user_id=user.id, origin="chat"))
        await session.commit()


async def test_two_menus_in_one_answer_are_numbered_on_and_all_answerable(app, plain):
    coord = plain("kora")
    await grant_role(app, coord, "coordinator", "08116049")
    await own_entries(app, coord, "Koordination Flüchtlingshilfe", "Sprachkurse")
    replies = await coord.say("/meineintrag")
    menus = [r for r in replies if numbered(r)]
    assert [r.number_from for r in menus] == [1, 4, 7]  # three choices each, then "New entry"
    # The first entry's "Still correct" (1) and the second's "Delete" (6) both work by number.
    await coord.say("1")
    assert "bestätigt" in coord.text
    await coord.say("/meineintrag")
    await coord.say("6")
    assert "gelöscht" in coord.text
    async with app.db.session() as session:
        roles_left = list(await session.scalars(select(DirectoryEntry.role).where(DirectoryEntry.origin == "chat")))
    assert roles_left == ["Koordination Flüchtlingshilfe"]


async def test_a_number_not_on_the_menu_shows_it_again_and_keeps_it(plain):
    paul = plain("paul")
    await paul.say("/sprache")
    await paul.say("12")
    assert "Eine Auswahl 12 gibt es nicht" in paul.text
    assert numbered(paul.replies[-1]) == list(LANGUAGES.values())
    await paul.say("2")
    assert "English" in paul.text


async def test_an_unknown_label_shows_the_menu_again(plain):
    paul = plain("paul")
    await paul.say("/sprache")
    await paul.say("klingonisch")
    assert numbered(paul.replies[-1]) == list(LANGUAGES.values())
    await paul.say("english")
    assert "English" in paul.text


async def test_a_wrong_answer_in_the_claim_dialog_repeats_the_question_with_its_choices(plain):
    anna = plain("anna")
    await anna.say("/fahrtkosten")
    await anna.say("nurtingen")
    await anna.say("tuebingen")
    assert numbered(anna.replies[-1]) == ["Nürtingen", "Tübingen"]  # where was the work?
    await anna.say("qqqq")
    assert numbered(anna.replies[-1]) == ["Nürtingen", "Tübingen"]
    await anna.say("2")
    assert "An welchem Tag" in anna.text


async def test_a_command_in_the_middle_of_a_claim_offers_to_continue_it(seeded, plain):
    anna = plain("anna")
    await anna.say("/fahrtkosten")
    await anna.say("Nürtingen")
    await anna.say("/kontakt Hanau")
    assert "Hanau" in anna.text
    assert "Ihr Fahrtkostenantrag ist noch offen – weiter?" in anna.text
    await anna.say("Weiter")
    assert "Wohin sind Sie gefahren?" in anna.text
    await anna.say("Tübingen")
    assert numbered(anna.replies[-1]) == ["Nürtingen", "Tübingen"]


async def test_the_interrupted_claim_can_be_dropped_by_choice(app, seeded, plain):
    anna = plain("anna")
    await anna.say("/fahrtkosten")
    await anna.say("/rollen")
    assert "noch offen" in anna.text
    await anna.say("2")
    assert "Abgebrochen" in anna.text
    async with app.db.session() as session:
        assert (await session.scalars(select(DialogState))).first() is None


async def test_a_command_that_opens_its_own_dialog_says_the_old_one_was_closed(plain):
    anna = plain("anna")
    await anna.say("/fahrtkosten")
    await anna.say("/abonnieren")
    assert "wurde beendet" in anna.text


async def test_a_long_contact_answer_comes_in_pages_that_fit_a_phone(seeded, chat):
    from handlers.contact import PAGE_CHARS, shown_length

    await chat.say("Wer ist mein Ansprechpartner in Nürtingen?")
    first = chat.replies[-1]
    assert shown_length(first.text) <= PAGE_CHARS + 50
    assert "Kommunaler Flüchtlingsdialog" in first.text  # the Gemeinde's own entry comes first
    assert "weitere Einträge" in first.text
    seen = first.text
    pages = 1
    while any(b.label == "Mehr anzeigen" for row in chat.replies[-1].buttons for b in row):
        await chat.press("Mehr anzeigen")
        assert shown_length(chat.replies[-1].text) <= PAGE_CHARS + 400
        seen += chat.replies[-1].text
        pages += 1
    assert pages >= 2
    async with seeded.db.session() as session:
        names = [e.name for e in await session.scalars(select(DirectoryEntry).where(
            DirectoryEntry.place_id.in_(("08116049", "08116", "08")))) if e.name]
    assert names and all(name in seen or name.replace("&", "&amp;") in seen for name in names)
