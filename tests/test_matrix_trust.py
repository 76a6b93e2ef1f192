"""The bot's cross-signing identity against a real Synapse, seen as Element's "exclude insecure devices" sees it.

What is checked is what another client gets from `/keys/query`, verified with `signedjson` (the bot's own
signing code is not trusted here), and a conversation with a client that shares room keys only with
cross-signed devices and hides messages from any other device.
"""

from __future__ import annotations

import asyncio
import logging
import stat
import time
import uuid

import aiohttp
from signedjson.key import generate_signing_key
from signedjson.sign import sign_json
from unpaddedbase64 import encode_base64

from bot.platforms.matrix_crosssigning import KEYS_FILE, Outcome
from tests import test_matrix_adapter as adapter_tests
from tests.support.matrix_client import MatrixTestUser
from tests.support.strict_client import StrictTestUser, cross_signed_devices, query_keys
from tests.support.synapse import SynapseServer
from tests.test_matrix_adapter import answer, direct_chat

# The real bot on Synapse and a volunteer on Element, as the adapter's tests start them.
start_bot = adapter_tests.start_bot
anna = adapter_tests.anna

PASSWORD = "bot-password"


async def _master_key(server: SynapseServer, token: str, user_id: str) -> str | None:
    keys = await query_keys(server.url, token, user_id)
    master = (keys.get("master_keys") or {}).get(user_id)
    return next(iter(master["keys"].values())) if master else None


async def set_up_cross_signing_elsewhere(server: SynapseServer, localpart: str) -> str:
    """What Element does when someone sets up the account there: keys the bot never sees. Returns the master."""
    user_id, token = await server.register(localpart, PASSWORD)
    keys = {}
    for usage in ("master", "self_signing", "user_signing"):
        key = generate_signing_key("new")
        key.version = encode_base64(key.verify_key.encode())
        keys[usage] = key
    master = keys["master"]

    def key_object(usage: str) -> dict:
        return {"user_id": user_id, "usage": [usage],
                "keys": {f"ed25519:{keys[usage].version}": keys[usage].version}}

    body = {"master_key": key_object("master"),
            "self_signing_key": sign_json(key_object("self_signing"), user_id, master),
            "user_signing_key": sign_json(key_object("user_signing"), user_id, master)}
    url = f"{server.url}/_matrix/client/v3/keys/device_signing/upload"
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body, headers=headers) as response:
            if response.status == 401:
                session = (await response.json()).get("session")
                body["auth"] = {"type": "m.login.password", "session": session, "password": PASSWORD,
                                "identifier": {"type": "m.id.user", "user": user_id}}
                async with http.post(url, json=body, headers=headers) as again:
                    assert again.status == 200, await again.text()
            else:
                assert response.status == 200, await response.text()
    return master.version


async def test_the_bot_device_is_cross_signed_and_stays_so_on_a_new_login(
    start_bot, anna: MatrixTestUser, synapse: SynapseServer
) -> None:
    bot = await start_bot()
    assert bot.adapter.cross_signing is Outcome.SIGNED
    token = anna.client.access_token
    keys = await query_keys(synapse.url, token, bot.user_id)
    assert cross_signed_devices(keys, bot.user_id) == {bot.adapter.device_id}
    master = await _master_key(synapse, token, bot.user_id)
    assert stat.S_IMODE((bot.store / KEYS_FILE).stat().st_mode) == 0o600

    # A lost device store but a kept keys file: the new device is signed by the same identity.
    first_device = bot.adapter.device_id
    await bot.app.stop()
    (bot.store / "credentials.json").unlink()
    again = await start_bot(localpart=bot.localpart)
    assert again.adapter.device_id != first_device
    keys = await query_keys(synapse.url, token, bot.user_id)
    assert again.adapter.device_id in cross_signed_devices(keys, bot.user_id)
    assert await _master_key(synapse, token, bot.user_id) == master


async def test_with_only_an_access_token_the_first_identity_needs_no_password(
    start_bot, anna: MatrixTestUser, synapse: SynapseServer
) -> None:
    bot = await start_bot(with_token=True)
    assert bot.adapter.cross_signing is Outcome.SIGNED
    keys = await query_keys(synapse.url, anna.client.access_token, bot.user_id)
    assert cross_signed_devices(keys, bot.user_id) == {bot.adapter.device_id}


async def test_a_client_that_excludes_insecure_devices_talks_to_the_bot(
    start_bot, synapse: SynapseServer, tmp_path
) -> None:
    sina = await StrictTestUser.create(synapse, f"sina_{uuid.uuid4().hex[:6]}", tmp_path / "sina")
    await sina.start()
    try:
        bot = await start_bot()
        room_id = await direct_chat(sina, bot)
        await sina.send_text(room_id, "ping streng")
        reply = await answer(sina, room_id, bot, "Pong")
        assert reply["body"] == "Pong: ping streng" and reply["encrypted"] is True
        assert reply["event"].verified is True
        assert sina.refused == []
        trusted = await sina.trust_only_cross_signed(sina.client.rooms[room_id])
        assert trusted[bot.user_id] == {bot.adapter.device_id}
    finally:
        await sina.stop()


async def test_an_identity_the_bot_does_not_hold_is_left_alone_and_explained(
    start_bot, synapse: SynapseServer, tmp_path, caplog
) -> None:
    localpart = f"helferbot_{uuid.uuid4().hex[:8]}"
    foreign_master = await set_up_cross_signing_elsewhere(synapse, localpart)
    sina = await StrictTestUser.create(synapse, f"sina_{uuid.uuid4().hex[:6]}", tmp_path / "sina")
    await sina.start()
    try:
        with caplog.at_level(logging.ERROR, logger="bot.platforms.matrix_crosssigning"):
            bot = await start_bot(localpart=localpart, key_wait=2)
        assert bot.adapter.cross_signing is Outcome.FOREIGN
        assert "does not hold" in caplog.text and "README" in caplog.text
        assert not (bot.store / KEYS_FILE).exists()
        assert await _master_key(synapse, sina.client.access_token, bot.user_id) == foreign_master

        # Exactly what the issue reported: the strict client withholds the key, the bot cannot read, and its
        # notice about that is hidden because its device is not cross-signed.
        room_id = await direct_chat(sina, bot)
        await sina.send_text(room_id, "ping ohne Vertrauen")
        deadline = time.monotonic() + 30
        while not any(m["sender"] == bot.user_id for m in sina.refused):
            assert time.monotonic() < deadline, "the bot's notice never arrived"
            await asyncio.sleep(0.1)
        assert "nicht lesen" in sina.refused[0]["body"]
        assert not [m for m in sina.received if m["sender"] == bot.user_id]

        # The operator asks for a reset once: the account gets a new identity the bot holds.
        await bot.app.stop()
        again = await start_bot(localpart=localpart, reset_cross_signing=True)
        assert again.adapter.cross_signing is Outcome.SIGNED
        new_master = await _master_key(synapse, sina.client.access_token, bot.user_id)
        assert new_master not in (None, foreign_master)
        keys = await query_keys(synapse.url, sina.client.access_token, bot.user_id)
        assert cross_signed_devices(keys, bot.user_id) == {again.adapter.device_id}
    finally:
        await sina.stop()
