"""Forged, stale, foreign and replayed buttons do nothing and say so; permissions are checked on every press."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot import users
from bot.storage.models import ButtonToken, Invite
from bot.timeutil import now
from tests.support.backend import grant_role, revoke_roles


async def language_of(app, user_id: str) -> str:
    async with app.db.session() as session:
        return (await users.find(session, "test", user_id)).language


async def test_tokens_are_short_and_unguessable(chat):
    replies = await chat.say("/sprache")
    tokens = [b.token for b in replies[-1].buttons[0]]
    assert all(len(t.encode()) <= 64 for t in tokens)
    assert len(set(tokens)) == 2 and all(len(t) >= 16 for t in tokens)


async def test_forged_token_is_rejected(app, chat):
    await chat.say("/sprache")
    await chat.press_token("forged-token-1234")
    assert "nicht mehr" in chat.text and "nichts getan" in chat.text
    assert await language_of(app, "anna") == "de"
    await chat.press_token("x" * 200)
    assert "nichts getan" in chat.text


async def test_stale_token_is_rejected(app, chat):
    replies = await chat.say("/sprache")
    english = chat.find("English", replies)
    async with app.db.session() as session:
        await session.execute(update(ButtonToken).values(expires_at=now() - timedelta(seconds=1)))
        await session.commit()
    await chat.press(english)
    assert "abgelaufen" in chat.text
    assert await language_of(app, "anna") == "de"


async def test_someone_elses_button_does_nothing(app, chat, new_chat):
    replies = await chat.say("/sprache")
    english = chat.find("English", replies)
    mallory = new_chat("mallory")
    await mallory.press(english)
    assert "jemand anderem" in mallory.text
    assert await language_of(app, "anna") == "de"


async def test_role_is_checked_again_when_the_button_is_pressed(app, chat):
    await grant_role(app, chat, "admin")
    replies = await chat.say("/einladen")
    admin_button = chat.find("Admin", replies)
    await revoke_roles(app, chat)
    await chat.press(admin_button)
    assert "dürfen Sie leider nicht" in chat.text
    async with app.db.session() as session:
        assert (await session.scalars(select(Invite))).first() is None
