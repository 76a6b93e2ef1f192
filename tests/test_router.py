"""Routing, languages, dialogs and crash safety, as a user in a chat sees them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.core.router import Router, parse_command
from bot.storage.models import DialogState, RoleGrant
from bot.timeutil import now
from tests.support.backend import Chat, grant_role


def test_parse_command_forms():
    assert parse_command("/hilfe") == ("hilfe", "")
    assert parse_command("/Kontakt Nürtingen") == ("kontakt", "Nürtingen")
    assert parse_command("/kontakt@helferbot  Bad Homburg ", "helferbot") == ("kontakt", "Bad Homburg")
    assert parse_command("/start@otherbot", "helferbot") is None
    assert parse_command("hallo /hilfe") is None
    assert parse_command("/") is None
    assert parse_command("/ä?") is None


async def test_help_in_german_by_default_and_english_after_switch(chat):
    text = "\n".join(r.text for r in await chat.say("/hilfe"))
    assert "Was ich kann" in text and "/sprache" in text
    await chat.say("/sprache en")
    assert "English" in chat.text
    text = "\n".join(r.text for r in await chat.say("/help"))
    assert "What I can do" in text and "/language" in text and "/sprache" not in text


async def test_language_comes_from_platform_until_chosen(new_chat):
    english = new_chat("bob", language="en-GB")
    assert "What I can do" in (await english.say("/hilfe"))[0].text
    french = new_chat("claire", language="fr")
    assert "What I can do" in (await french.say("/help"))[0].text
    unknown = new_chat("dora", language=None)
    assert "Was ich kann" in (await unknown.say("/help"))[0].text
    # A choice made in the chat wins over the platform's language.
    await english.say("/sprache de")
    assert "Was ich kann" in (await english.say("/help"))[0].text


async def test_language_buttons(chat):
    replies = await chat.say("/sprache")
    assert [b.label for b in replies[-1].buttons[0]] == ["Deutsch", "English"]
    await chat.press("English")
    assert "English" in chat.text
    assert "What I can do" in (await chat.say("/hilfe"))[0].text


async def test_unknown_command_and_free_text_get_friendly_answers(chat):
    await chat.say("/gibtsnicht")
    assert "/gibtsnicht" in chat.text and "/hilfe" in chat.text
    await chat.say("xyzzy qwertz")
    assert "nicht verstanden" in chat.text


async def test_too_long_message_is_refused(chat):
    await chat.say("a" * 5000)
    assert "zu lang" in chat.text


async def test_guided_dialog_and_cancel(app, chat):
    await grant_role(app, chat, "admin")
    await chat.say("/einladen")
    assert "Rolle" in chat.text
    await chat.press("Koordinierungsstelle")
    assert "Für welchen Ort" in chat.text
    # Help in the middle of a dialog keeps it open.
    await chat.say("/hilfe")
    await chat.say("/abbrechen")
    assert "Abgebrochen" in chat.text
    await chat.say("/abbrechen")
    assert "nichts abzubrechen" in chat.text


async def test_cancel_typed_without_the_slash_ends_a_dialog(app, chat):
    await chat.say("/fahrtkosten")
    await chat.say("Abbrechen!")  # not a town where the trip started
    assert "Abgebrochen" in chat.text and "Wohin" not in chat.text
    await chat.say("stopp")  # outside a dialog it is just a word
    assert "Abgebrochen" not in chat.text


async def test_another_command_keeps_an_open_dialog_and_offers_it(app, chat):
    await grant_role(app, chat, "admin")
    await chat.say("/einladen")
    await chat.press("Koordinierungsstelle")
    await chat.say("/rollen")
    assert "Ihre Rollen" in chat.text and "noch offen – weiter?" in chat.text
    await chat.press("Abbrechen")
    await chat.say("Landkreis Esslingen")
    assert "Einladung" not in chat.text


async def test_expired_dialog_is_closed_with_a_note(app, chat):
    await grant_role(app, chat, "admin")
    await chat.say("/einladen")
    await chat.press("Koordinierungsstelle")
    async with app.db.session() as session:
        await session.execute(update(DialogState).values(expires_at=now() - timedelta(minutes=1)))
        await session.commit()
    await chat.say("Landkreis Esslingen")
    assert "abgelaufen" in chat.text and "Einladung" not in chat.text


async def test_numbered_choice_on_a_platform_without_buttons(app):
    from tests.support.backend import RecordingAdapter

    app.add_adapter(RecordingAdapter("plain", native_buttons=False))
    chat = Chat(app, "paul", platform="plain")
    await chat.say("/sprache")
    await chat.say("2")
    assert "English" in chat.text
    # A number that is not on the menu is just text.
    await chat.say("7")
    assert "did not understand" in chat.text


def trip_router() -> Router:
    """A dialog as the claims use it: a menu of choices, then a question that wants a number typed."""
    from bot import users
    from bot.messages import OutgoingFile

    trip = Router()

    @trip.command("fahrt")
    async def start(ctx, args):
        ctx.reply("Schön, dass Sie unterwegs waren.")
        ctx.reply("Wie sind Sie gefahren?", buttons=[[await ctx.button("Bus", "trip_by", {"by": "bus"}),
                                                      await ctx.button("Auto", "trip_by", {"by": "car"})]])
        ctx.reply("Ihre Strecke", file=OutgoingFile("strecke.txt", "text/plain", b"Nuertingen - Esslingen"))

    @trip.button("trip_by")
    async def by(ctx, payload):
        await ctx.start_dialog("trip", "km", {"by": payload["by"]})
        ctx.reply("Wie viele Kilometer?")

    @trip.dialog("trip")
    async def km(ctx):
        by = ctx.dialog.data["by"]
        await ctx.end_dialog()
        ctx.reply(f"{by}: {ctx.text} km")

    @trip.command("gruss")
    async def greet(ctx, args):
        ctx.reply("Ich sage Paul Bescheid.")
        paul = await users.find(ctx.session, ctx.platform, "paul")
        await ctx.notify(paul, "Rita lässt grüßen.")

    return trip


async def test_a_typed_number_answers_the_question_without_choices(app):
    from tests.support.backend import RecordingAdapter

    app.add_adapter(RecordingAdapter("plain", native_buttons=False))
    app.router.include(trip_router())
    paul = Chat(app, "paul", platform="plain")
    await paul.say("/fahrt")
    await paul.say("2")  # the choices count, not the file sent after them: "2" is "Auto"
    assert paul.text == "Wie viele Kilometer?"
    await paul.say("2")
    assert paul.text == "car: 2 km"
    await paul.say("2")  # the menu is gone with the question, so this is just text
    assert "nicht verstanden" in paul.text


async def test_another_chat_leaves_the_numbered_choices_alone(app):
    from tests.support.backend import RecordingAdapter, deliver_due

    adapter = RecordingAdapter("plain", native_buttons=False)
    app.add_adapter(adapter)
    app.router.include(trip_router())
    paul = Chat(app, "paul", platform="plain")
    rita = Chat(app, "rita", platform="plain")
    await paul.say("/fahrt")
    await rita.say("/gruss")
    assert await deliver_due(app, "plain") == 1
    assert adapter.to(paul.chat_id)[-1].text == "Rita lässt grüßen."
    await paul.say("1")
    assert paul.text == "Wie viele Kilometer?"


@pytest.mark.parametrize("platform", ["plain", "test"])
async def test_a_typed_label_works_like_a_tap_in_a_private_chat(app, platform):
    """On Matrix as on Telegram: people type "auto" or the start of a label as often as they tap."""
    from tests.support.backend import RecordingAdapter

    if platform == "plain":
        app.add_adapter(RecordingAdapter("plain", native_buttons=False))
    app.router.include(trip_router())
    paul = Chat(app, "paul", platform=platform)
    await paul.say("/fahrt")
    await paul.say("  auto! ")
    assert paul.text == "Wie viele Kilometer?"
    await paul.say("Auto")  # the question has no choices: the label is now just the answer
    assert paul.text == "car: Auto km"
    await paul.say("/fahrt")
    await paul.say("Au")  # only part of a word: not a choice (here it is even a town)
    assert "Kilometer" not in paul.text


async def test_typed_labels_are_not_read_in_groups(app):
    from tests.support.backend import RecordingAdapter

    app.add_adapter(RecordingAdapter("plain", native_buttons=False))
    app.router.include(trip_router())
    group = Chat(app, "paul", platform="plain", group=True, chat_id="!room")
    await group.say("/fahrt")
    await group.say("Auto")
    assert group.replies == []  # group talk; the bot stays quiet
    await group.say("2")
    assert group.text == "Wie viele Kilometer?"


async def test_a_crashing_handler_changes_nothing_and_apologises(app, chat):
    from bot import roles, users

    extra = Router()

    @extra.command("kaputt", "broken")
    async def broken(ctx, args):
        await roles.grant(ctx.session, ctx.user, "admin", "", None)
        raise RuntimeError("boom")

    app.router.include(extra)
    await chat.say("/kaputt")
    assert "schiefgegangen" in chat.text and "nichts geändert" in chat.text
    async with app.db.session() as session:
        user = await users.find(session, "test", "anna")
        assert user is None or not list(await session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id)))
    await chat.say("/language en")
    await chat.say("/broken")
    assert "Sorry, something went wrong" in chat.text  # in the language the person chose


async def test_redelivered_event_is_answered_once(app):
    from bot.messages import IncomingMessage

    event = IncomingMessage(platform="test", chat_id="dm-x", sender_id="x", text="/hilfe", event_id="evt-1")
    assert await app.handle(event)
    assert await app.handle(event) == []
