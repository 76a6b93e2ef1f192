"""Floods that cost the bot work without being messages: undecryptable events and invitations (real Synapse).

An undecryptable event makes the bot ask for its key and wait for it; an invitation makes it join a room. Both
now count against a per-sender budget, so one account cannot make the bot send thousands of key requests or
join rooms without end, while other people keep getting answers.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
import uuid
from collections import Counter

import aiohttp

from bot.platforms.matrix import INVITES_PER_HOUR
from tests import test_matrix_adapter as adapter_tests
from tests.support.matrix_client import MatrixTestUser
from tests.support.synapse import SynapseServer
from tests.test_matrix_adapter import answer, direct_chat

start_bot = adapter_tests.start_bot
anna = adapter_tests.anna


def _b64(n: int) -> str:
    return base64.b64encode(os.urandom(n)).decode().rstrip("=")


async def _send_undecryptable(person: MatrixTestUser, room_id: str, count: int) -> None:
    """Megolm events from sessions whose keys nobody will ever share, as a broken or hostile client sends."""
    headers = {"Authorization": f"Bearer {person.client.access_token}"}
    async with aiohttp.ClientSession() as http:
        for _ in range(count):
            content = {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": _b64(120), "sender_key": _b64(32),
                       "session_id": _b64(32), "device_id": person.device_id}
            url = (f"{person.server.url}/_matrix/client/v3/rooms/{room_id}/send/m.room.encrypted/"
                   f"{uuid.uuid4().hex}")
            async with http.put(url, json=content, headers=headers) as response:
                assert response.status == 200, await response.text()


async def test_a_flood_of_undecryptable_events_is_rate_limited_and_others_still_get_answers(
    start_bot, anna: MatrixTestUser, synapse: SynapseServer, tmp_path
) -> None:
    bot = await start_bot(key_wait=60)
    client = bot.adapter.client
    calls: Counter[str] = Counter()
    for name in ("request_room_key", "to_device"):
        real = getattr(client, name)

        async def counted(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return await _real(*args, **kwargs)

        setattr(client, name, counted)
    real_spawn = bot.adapter._spawn

    def spawn(coro, name):
        calls[name] += 1
        return real_spawn(coro, name)

    bot.adapter._spawn = spawn

    mallory = await MatrixTestUser.create(synapse, f"mallory_{uuid.uuid4().hex[:6]}", tmp_path / "mallory")
    await mallory.start()
    try:
        flooded = await direct_chat(mallory, bot)
        await _send_undecryptable(mallory, flooded, 100)
        # The bot has seen all of them once its sync caught up with the last.
        deadline = time.monotonic() + 20
        while sum(len(w) for w in bot.adapter._locked.values()) < 20:
            assert time.monotonic() < deadline, f"the bot did not see the events: {calls}"
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)

        room_id = await direct_chat(anna, bot)
        await anna.send_text(room_id, "ping trotz Flut")
        assert (await answer(anna, room_id, bot, "Pong"))["body"] == "Pong: ping trotz Flut"

        limit = bot.app.config.bot.user_messages_per_minute
        assert sum(len(w) for w in bot.adapter._locked.values()) == limit
        assert calls["request_room_key"] == limit and calls["to_device"] == limit, calls
        assert calls["matrix-key-request"] == limit and calls["matrix-key-wait"] == 1, calls
    finally:
        await mallory.stop()


async def test_invitations_are_limited_per_inviter(start_bot, anna: MatrixTestUser) -> None:
    bot = await start_bot()
    rooms = [await anna.create_room(f"Treffen {n}", invite=[bot.user_id], encrypted=False)
             for n in range(INVITES_PER_HOUR + 3)]

    def joined() -> list[str]:
        return [r for r in rooms if bot.user_id in anna.client.rooms[r].users
                and bot.user_id not in anna.client.rooms[r].invited_users]

    deadline = time.monotonic() + 20
    while len(joined()) < INVITES_PER_HOUR:
        assert time.monotonic() < deadline, f"the bot joined only {len(joined())} rooms"
        await anna.wait_for_sync()
    for _ in range(3):
        await anna.wait_for_sync()
    assert joined() == rooms[:INVITES_PER_HOUR]
