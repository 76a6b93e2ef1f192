"""A dialog belongs to the chat it was started in: the same person talking elsewhere does not answer it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, update

from bot import directory
from bot.core.router import Router
from bot.storage.models import DialogState, User
from bot.timeutil import now
from bot.wiring import build_app
from tests.support.backend import Chat, RecordingAdapter
from tests.support.claims import dialog_of
from tests.support.config import make_config

ASKED_FROM = "Wo hat die Fahrt begonnen?"
ASKED_TO = "Wohin sind Sie gefahren?"
ASKED_PLACE = "Für welchen Ort?"


@pytest.fixture
async def seeded(app):
    async with app.db.session() as session:
        await directory.seed_once(session)
        await session.commit()
    return app


def anna_in(app, where: str) -> Chat:
    return Chat(app, "anna", chat_id="group-1", group=True) if where == "group" else Chat(app, "anna")


def same_bot(app):
    """The bot after a restart: a new App on the same database."""
    fresh = build_app(app.config, db=app.db)
    adapter = RecordingAdapter("test")
    fresh.add_adapter(adapter)
    adapter.app = fresh
    return fresh


async def test_a_group_message_is_not_the_answer_to_a_private_claim(seeded):
    private, group = anna_in(seeded, "private"), anna_in(seeded, "group")
    await private.say("/fahrtkosten")
    assert ASKED_FROM in private.text

    assert await group.say("Stuttgart") == []  # plain talk in a group is not for the bot
    found = await group.say("/kontakt Nürtingen")  # a command there is answered as always
    assert "Ekin-Atik" in group.text
    assert not any(word in reply.text for reply in found for word in ("Fahrt", "Antrag", "privat"))

    state = await dialog_of(seeded, private)
    assert (state.name, state.step, state.chat_id) == ("claim", "from", private.chat_id)
    await private.say("Stuttgart")
    assert ASKED_TO in private.text


async def test_cancel_in_a_group_leaves_the_private_dialog_alone(app):
    private, group = anna_in(app, "private"), anna_in(app, "group")
    await private.say("/fahrtkosten")
    await group.say("/abbrechen")
    assert "nichts abzubrechen" in group.text
    await private.say("Nürtingen")
    assert ASKED_TO in private.text


async def test_a_dialog_started_in_a_group_continues_there_and_not_in_private(seeded):
    private, group = anna_in(seeded, "private"), anna_in(seeded, "group")
    await group.say("/kontakt")
    assert ASKED_PLACE in group.text

    await private.say("Xyzzyhausen")
    assert "nicht verstanden" in private.text  # not read as the place the group was asked for

    await group.say("Nürtingen")
    assert "Ekin-Atik" in group.text
    assert await dialog_of(seeded, group) is None


async def test_starting_a_dialog_in_another_chat_replaces_the_old_one(app):
    private, group = anna_in(app, "private"), anna_in(app, "group")
    await private.say("/fahrtkosten")
    await group.say("/kontakt")
    await private.say("Nürtingen")
    assert ASKED_TO not in private.text
    assert (await dialog_of(app, group)).chat_id == group.chat_id


async def test_after_a_restart_the_dialog_still_belongs_to_its_chat(seeded):
    await anna_in(seeded, "group").say("/kontakt")
    await anna_in(seeded, "private").say("/hilfe")  # help keeps the dialog open

    restarted = same_bot(seeded)
    private, group = anna_in(restarted, "private"), anna_in(restarted, "group")
    await private.say("Xyzzyhausen")
    assert "nicht verstanden" in private.text
    await group.say("Nürtingen")
    assert "Ekin-Atik" in group.text


async def test_a_dialog_from_before_chats_were_stored_belongs_to_the_private_chat(app):
    private, group = anna_in(app, "private"), anna_in(app, "group")
    await private.say("/fahrtkosten")
    async with app.db.session() as session:
        await session.execute(update(DialogState).values(chat_id=None))
        await session.commit()

    assert await group.say("Stuttgart") == []
    await private.say("Stuttgart")
    assert ASKED_TO in private.text


def button_router() -> Router:
    """Buttons that open and move on a dialog, as the claim and event dialogs do."""
    trip = Router()

    @trip.command("fahrt")
    async def offer(ctx, args):
        ctx.reply("Wie sind Sie gefahren?", buttons=[[await ctx.button("Bus", "trip_by", {"by": "bus"})]])

    @trip.button("trip_by")
    async def by(ctx, payload):
        await ctx.start_dialog("trip", "km", {"by": payload["by"]})
        ctx.reply("Wie viele Kilometer?", buttons=[[await ctx.button("Weiter", "trip_on", {})]])

    @trip.button("trip_on")
    async def on(ctx, payload):
        await ctx.update_dialog("note")
        ctx.reply("Noch eine Bemerkung?")

    @trip.dialog("trip")
    async def answer(ctx):
        by = ctx.dialog.data["by"]
        await ctx.end_dialog()
        ctx.reply(f"{by}: {ctx.text}")

    return trip


async def test_a_button_opens_and_moves_the_dialog_in_the_chat_it_was_pressed_in(app):
    app.router.include(button_router())
    private, group = anna_in(app, "private"), anna_in(app, "group")

    await group.say("/fahrt")
    await group.press("Bus")
    assert (await dialog_of(app, group)).chat_id == group.chat_id
    assert "nicht verstanden" in (await private.say("12"))[0].text

    await private.press("Weiter", group.replies)  # the button carries the dialog along
    assert (await dialog_of(app, private)).chat_id == private.chat_id
    assert await group.say("ohne") == []
    await private.say("ohne")
    assert private.text == "bus: ohne"


async def test_a_dialog_open_during_the_upgrade_goes_on_in_the_private_chat(scratch, tmp_path):  # noqa: F811
    for revision in ("0002", "0003", "0005", "0006"):
        await scratch.migrate(revision)
    async with scratch.session() as session:
        anna = User(platform="test", platform_user_id="anna", dm_chat_id="dm-anna")
        session.add(anna)
        await session.flush()
        await session.execute(insert(DialogState).values(
            user_id=anna.id, name="claim", step="from", data={}, updated_at=now(),
            expires_at=now() + timedelta(hours=1)))
        await session.commit()

    await scratch.migrate()

    app = build_app(make_config(tmp_path, scratch.engine.url.render_as_string(hide_password=False)), db=scratch)
    app.add_adapter(RecordingAdapter("test"))
    assert await anna_in(app, "group").say("Stuttgart") == []
    private = anna_in(app, "private")
    await private.say("Stuttgart")
    assert ASKED_TO in private.text


async def expire_the_dialog(app) -> None:
    async with app.db.session() as session:
        await session.execute(update(DialogState).values(expires_at=now() - timedelta(minutes=1)))
        await session.commit()


@pytest.mark.parametrize("answer", ["typed", "button"])
async def test_an_expired_dialog_is_closed_the_same_way_for_a_typed_answer_and_a_button(app, answer):
    """Back the next day, Anna answers the open question: typed or tapped, she hears the dialog had expired, and
    the old answer neither moves it on nor opens it again."""
    anna = anna_in(app, "private")
    await anna.say("/fahrtkosten")
    await anna.say("stuttgart")
    await anna.say("nurtingen")
    assert "Wo war Ihr ehrenamtlicher Einsatz?" in anna.text
    asked = anna.replies
    await expire_the_dialog(app)

    if answer == "typed":
        await anna.say("nurtingen")
    else:
        await anna.press("Nürtingen", asked)

    assert "Ihr vorheriger Dialog war abgelaufen, deshalb habe ich ihn geschlossen." in anna.text
    assert "An welchem Tag" not in anna.text and "went wrong" not in anna.text
    assert await dialog_of(app, anna) is None
    await anna.say("nurtingen")  # and the next answer is no longer read as part of the claim
    assert "abgelaufen" not in anna.text and await dialog_of(app, anna) is None
