"""The Matrix test harness against a real Synapse: two people, plain and encrypted rooms, restarts.

If these fail, every Matrix adapter test would fail for reasons that have nothing to do with the
bot, so they pin down what the harness promises: messages arrive both ways, encrypted messages and
attachments really are encrypted on the server and decrypt to what was sent, and neither a
homeserver restart nor a client restart from its store loses the conversation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import nio
import pytest_asyncio

from tests.support.matrix_client import MatrixTestUser
from tests.support.synapse import SynapseServer
from tests.support.synapse_helpers import png as _png
from tests.support.synapse_helpers import raw_event as _raw_event


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def people(synapse: SynapseServer, tmp_path_factory) -> AsyncIterator[dict[str, MatrixTestUser]]:
    stores = tmp_path_factory.mktemp("matrix-stores")
    alice = await MatrixTestUser.create(synapse, "harness_alice", stores / "alice")
    bob = await MatrixTestUser.create(synapse, "harness_bob", stores / "bob")
    await alice.start()
    await bob.start()
    found = {"alice": alice, "bob": bob, "bob_store": stores / "bob"}
    try:
        yield found
    finally:
        for person in (found["alice"], found["bob"]):
            await person.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def encrypted_dm(people) -> str:
    alice, bob = people["alice"], people["bob"]
    room_id = await alice.create_dm(bob.user_id, encrypted=True)
    await alice.wait_for_join(room_id, bob.user_id)
    return room_id


async def test_registered_user_can_log_in_with_password_only(synapse: SynapseServer) -> None:
    user_id, token = await synapse.register("harness_carol", "carol-pass")
    assert user_id == f"@harness_carol:{synapse.server_name}"

    client = nio.AsyncClient(synapse.url, user_id)
    try:
        assert isinstance(await client.login("wrong-pass"), nio.LoginError)
        login = await client.login("carol-pass")
        assert isinstance(login, nio.LoginResponse)
        assert login.access_token != token
        whoami = await client.whoami()
        assert isinstance(whoami, nio.WhoamiResponse) and whoami.user_id == user_id
    finally:
        await client.close()


async def test_unencrypted_room_carries_messages_both_ways(people) -> None:
    alice, bob = people["alice"], people["bob"]
    room_id = await alice.create_room("Runder Tisch Nord", invite=[bob.user_id], encrypted=False)
    await alice.wait_for_join(room_id, bob.user_id)

    await alice.send_text(room_id, "Wann ist das nächste Treffen?")
    question = await bob.wait_for_message(room_id, sender=alice.user_id)
    assert question["body"] == "Wann ist das nächste Treffen?"
    assert question["encrypted"] is False

    await bob.send_text(room_id, "Am Dienstag um 18 Uhr.")
    answer = await alice.wait_for_message(room_id, sender=bob.user_id)
    assert answer["body"] == "Am Dienstag um 18 Uhr."


async def test_encrypted_dm_is_ciphertext_on_the_server_and_readable_by_both(
    synapse: SynapseServer, people, encrypted_dm
) -> None:
    alice, bob = people["alice"], people["bob"]

    event_id = await alice.send_text(encrypted_dm, "Hallo, ich suche eine Dolmetscherin für Farsi.")
    question = await bob.wait_for_message(encrypted_dm, sender=alice.user_id)
    assert question["body"] == "Hallo, ich suche eine Dolmetscherin für Farsi."
    assert question["encrypted"] is True
    assert question["event_id"] == event_id

    stored = await _raw_event(synapse, bob.client.access_token, encrypted_dm, event_id)
    assert stored["type"] == "m.room.encrypted"
    assert "Farsi" not in str(stored["content"])

    await bob.send_text(encrypted_dm, "Frau Rahimi hilft gern, Telefon 0171 2345678.")
    answer = await alice.wait_for_message(encrypted_dm, sender=bob.user_id)
    assert answer["body"] == "Frau Rahimi hilft gern, Telefon 0171 2345678."
    assert answer["encrypted"] is True


async def test_encrypted_image_decrypts_to_the_sent_bytes(people, encrypted_dm) -> None:
    alice, bob = people["alice"], people["bob"]
    picture = _png()

    await alice.send_image(encrypted_dm, picture, "fahrtkosten.png", "image/png")
    message = await bob.wait_for_message(encrypted_dm, sender=alice.user_id)
    assert message["msgtype"] == "m.image"
    assert "url" not in message["content"], "an encrypted room must not get a plain media link"

    ciphertext = await bob.client.download(message["content"]["file"]["url"])
    assert isinstance(ciphertext, nio.DownloadResponse)
    assert ciphertext.body != picture
    assert await bob.download_media(message) == picture


async def test_messages_arrive_after_synapse_restarts_under_syncing_clients(
    synapse: SynapseServer, people, encrypted_dm
) -> None:
    alice, bob = people["alice"], people["bob"]
    await synapse.restart()

    await alice.send_text(encrypted_dm, "Noch da nach dem Neustart?")
    message = await bob.wait_for_message(encrypted_dm, sender=alice.user_id, timeout=30)
    assert message["body"] == "Noch da nach dem Neustart?"
    await bob.send_text(encrypted_dm, "Ja.")
    assert (await alice.wait_for_message(encrypted_dm, sender=bob.user_id, timeout=30))["body"] == "Ja."


async def test_client_restarted_from_its_store_keeps_its_device_and_decrypts(
    synapse: SynapseServer, people, encrypted_dm
) -> None:
    alice, bob = people["alice"], people["bob"]
    devices_before = await bob.client.devices()
    assert isinstance(devices_before, nio.DevicesResponse)
    device_id = bob.device_id
    await bob.stop()

    await alice.send_text(encrypted_dm, "Während du weg warst")
    bob = people["bob"] = await MatrixTestUser.create(synapse, "harness_bob", people["bob_store"])
    assert bob.device_id == device_id
    await bob.start()

    missed = await bob.wait_for_message(encrypted_dm, sender=alice.user_id)
    assert missed["body"] == "Während du weg warst" and missed["encrypted"] is True
    await alice.send_text(encrypted_dm, "Und jetzt wieder da")
    fresh = await bob.wait_for_message(encrypted_dm, sender=alice.user_id)
    assert fresh["body"] == "Und jetzt wieder da" and fresh["encrypted"] is True

    devices_after = await bob.client.devices()
    assert isinstance(devices_after, nio.DevicesResponse)
    assert {d.id for d in devices_after.devices} == {d.id for d in devices_before.devices}
    await bob.send_text(encrypted_dm, "Antwort vom selben Gerät")
    assert (await alice.wait_for_message(encrypted_dm, sender=bob.user_id))[
        "body"
    ] == "Antwort vom selben Gerät"


async def _send_burst(server: SynapseServer, localpart: str, count: int) -> list:
    """Sends ``count`` messages back to back with a client that reports a 429 instead of waiting it out."""
    user_id, token = await server.register(localpart, f"{localpart}-pass")
    client = nio.AsyncClient(server.url, user_id, config=nio.AsyncClientConfig(max_limit_exceeded=0))
    client.restore_login(user_id, "BURST", token)
    try:
        created = await client.room_create(name="Eilig")
        assert isinstance(created, nio.RoomCreateResponse)
        return [
            await client.room_send(created.room_id, "m.room.message", {"msgtype": "m.text", "body": f"{n}"})
            for n in range(count)
        ]
    finally:
        await client.close()


async def test_default_server_lets_bursts_through(synapse: SynapseServer) -> None:
    responses = await _send_burst(synapse, "harness_chatty", 25)
    assert all(isinstance(r, nio.RoomSendResponse) for r in responses), responses


async def test_low_message_rate_server_refuses_bursts(synapse_low_rate: SynapseServer) -> None:
    responses = await _send_burst(synapse_low_rate, "harness_hasty", 6)
    refused = [r for r in responses if isinstance(r, nio.RoomSendError)]
    assert isinstance(responses[0], nio.RoomSendResponse)
    assert refused and all(r.status_code == "M_LIMIT_EXCEEDED" and r.retry_after_ms for r in refused)
