"""A Matrix direct chat that gains a third member is no longer private (real Synapse, Element-like clients).

The volunteer's direct chat with the bot is where claim decisions, review questions and role invitations go. If
someone else is invited into it, they would read those from then on: the bot opens a new direct chat with the
volunteer instead, says why in the old one, and personal pushes for the old chat arrive in the new one.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import select

from bot.core import outbox
from bot.messages import Reply
from bot.platforms.matrix_private import PrivateChats, breaks_privacy
from bot.storage.models import User
from tests import test_matrix_adapter as adapter_tests
from tests.support.matrix_client import MatrixTestUser
from tests.support.synapse import SynapseServer
from tests.test_matrix_adapter import answer, direct_chat

start_bot = adapter_tests.start_bot


def test_only_a_third_person_breaks_privacy_and_moves_chain_to_the_newest_chat(tmp_path) -> None:
    bot, anna = "@bot:hs", "@anna:hs"
    assert breaks_privacy(partner=anna, bot=bot, newcomer="@berta:hs", membership="invite")
    assert breaks_privacy(partner=anna, bot=bot, newcomer="@berta:hs", membership="join")
    assert not breaks_privacy(partner=anna, bot=bot, newcomer="@berta:hs", membership="leave")
    assert not breaks_privacy(partner=anna, bot=bot, newcomer=anna, membership="join")
    assert not breaks_privacy(partner=None, bot=bot, newcomer="@berta:hs", membership="join")

    chats = PrivateChats(tmp_path)
    chats.note_direct("!a", anna)
    chats.move("!a", "!b")
    chats.move("!b", "!c")
    again = PrivateChats(tmp_path).load()
    assert again.target("!a") == again.target("!b") == "!c"
    assert again.partner("!c") == anna and again.partner("!a") is None


async def test_a_third_member_moves_personal_pushes_to_a_new_direct_chat(
    start_bot, synapse: SynapseServer, tmp_path
) -> None:
    anna = await MatrixTestUser.create(synapse, f"anna_{uuid.uuid4().hex[:6]}", tmp_path / "anna")
    berta = await MatrixTestUser.create(synapse, f"berta_{uuid.uuid4().hex[:6]}", tmp_path / "berta")
    await anna.start()
    await berta.start()
    try:
        bot = await start_bot()
        old_room = await direct_chat(anna, bot)
        await anna.send_text(old_room, "ping privat")
        await answer(anna, old_room, bot, "Pong")

        await anna.client.room_invite(old_room, berta.user_id)
        await anna.wait_for_join(old_room, berta.user_id)
        notice = await answer(anna, old_room, bot, "nicht mehr privat")
        assert "neuen Direktchat" in notice["body"]

        deadline = time.monotonic() + 20
        while bot.adapter.private.target(old_room) == old_room:
            assert time.monotonic() < deadline, "no new direct chat was opened"
            await asyncio.sleep(0.1)
        new_room = bot.adapter.private.target(old_room)
        await anna.wait_for_join(new_room, anna.user_id)
        assert set(anna.client.rooms[new_room].users) == {anna.user_id, bot.user_id}

        # The core still knows the old room as Anna's private chat: the push must not land there.
        async with bot.app.db.session() as session:
            user = await session.scalar(select(User).where(User.platform_user_id == anna.user_id))
            assert user.dm_chat_id == old_room
            await outbox.enqueue(session, platform="matrix", chat_id=old_room, user_id=user.id,
                                 reply=Reply("Ihr Antrag über 12,40 EUR wurde genehmigt."))
            await session.commit()
        bot.app.wake_workers()
        push = await answer(anna, new_room, bot, "genehmigt", timeout=30)
        assert push["encrypted"] is True
        await asyncio.sleep(1)
        assert not [m for m in berta.received if "genehmigt" in m["body"]]
        assert not [m for m in anna.received if m["room_id"] == old_room and "genehmigt" in m["body"]]

        # Once Anna writes in the new chat, the core knows it as hers.
        await anna.send_text(new_room, "ping im neuen chat")
        await answer(anna, new_room, bot, "Pong: ping im neuen chat")
        async with bot.app.db.session() as session:
            user = await session.scalar(select(User).where(User.platform_user_id == anna.user_id))
            assert user.dm_chat_id == new_room
    finally:
        await anna.stop()
        await berta.stop()
