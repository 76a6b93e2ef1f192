"""The Matrix adapter against a real Synapse, with a person on an encrypting Element-like client.

Each test starts the real bot (core, router, handlers, outbox worker, database) with the Matrix adapter and a
freshly registered bot account, and talks to it only through the homeserver: what the person sees is what is
asserted. A small test-only router adds "!beleg" (answers with the size and SHA-256 of the file it then gets) and
a "ping" intent (answers "Pong: <text as the core got it>"), so attachments and addressing are visible from outside.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.core import outbox
from bot.core.app import App
from bot.core.router import Router
from bot.messages import AttachmentTooLarge, Reply
from bot.platforms.matrix import MatrixAdapter
from bot.platforms.matrix_store import SYNC_TOKEN_FILE
from bot.platforms.matrix_text import may_join
from bot.storage.models import Delivery
from bot.wiring import build_app
from tests.support.config import make_config
from tests.support.matrix_client import MatrixTestUser
from tests.support.synapse import SynapseServer
from tests.support.synapse_helpers import png as _png
from tests.support.synapse_helpers import raw_event as _raw_event

probe = Router()


@probe.command("beleg", in_menu=False)
async def _receipt(ctx, args: str) -> None:
    await ctx.start_dialog("probe_receipt", "file")
    ctx.reply("Schicken Sie den Beleg.")


@probe.dialog("probe_receipt")
async def _receipt_file(ctx) -> None:
    attachment = ctx.attachment
    if attachment is None:
        ctx.reply("Kein Beleg.")
        return
    await ctx.end_dialog()
    try:
        data = await attachment.fetch()
    except AttachmentTooLarge:
        ctx.reply(f"Zu groß: {attachment.size}")
        return
    digest = hashlib.sha256(data).hexdigest()
    ctx.reply(f"Beleg {attachment.filename} {attachment.mime_type} {len(data)} {digest}")


@probe.intent("ping", priority=0)
async def _ping(ctx) -> bool:
    if "ping" not in ctx.text.lower():
        return False
    ctx.reply(f"Pong: {ctx.text.strip()}")
    return True


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Bot:
    app: App
    adapter: MatrixAdapter
    localpart: str
    store: Path

    @property
    def user_id(self) -> str:
        return self.adapter.user_id


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def anna(synapse: SynapseServer, tmp_path_factory):
    """A volunteer on Element, shared by the tests of this module."""
    person = await MatrixTestUser.create(synapse, f"anna_{uuid.uuid4().hex[:6]}", tmp_path_factory.mktemp("anna"))
    await person.start()
    yield person
    await person.stop()


@pytest.fixture
async def start_bot(synapse: SynapseServer, tmp_path: Path, db_url: str, db):
    """Start the real bot on Matrix; the same localpart and store again is a restart of the same bot."""
    running: list[App] = []

    async def start(server: SynapseServer | None = None, *, localpart: str | None = None, key_wait: float = 60,
                    with_token: bool = False, **matrix) -> Bot:
        server = server or synapse
        credentials = {"password": "bot-password"}
        if localpart is None:
            localpart = f"helferbot_{uuid.uuid4().hex[:8]}"
            _user_id, token = await server.register(localpart, "bot-password")
            if with_token:
                credentials = {"password": "", "access_token": token}
        store = tmp_path / f"store-{localpart}"
        cfg = make_config(tmp_path, db_url, matrix={
            "homeserver": server.url, "user_id": f"@{localpart}:{server.server_name}", "store_dir": str(store),
            **credentials, **matrix,
        })
        app = build_app(cfg, db=db)
        app.router.include(probe)
        adapter = MatrixAdapter(cfg, startup_wait=30, key_wait=key_wait)
        app.add_adapter(adapter)
        await app.start()
        running.append(app)
        assert adapter.ready.is_set(), "the bot did not finish its first sync"
        return Bot(app, adapter, localpart, store)

    yield start
    for app in running:
        await app.stop()


async def direct_chat(person: MatrixTestUser, bot: Bot, encrypted: bool = True) -> str:
    room_id = await person.create_dm(bot.user_id, encrypted=encrypted)
    await person.wait_for_join(room_id, bot.user_id)
    return room_id


async def answer(person: MatrixTestUser, room_id: str, bot: Bot, contains: str, timeout: float = 20) -> dict:  # noqa: ASYNC109
    return await person.wait_for_message(room_id, sender=bot.user_id, contains=contains, timeout=timeout)


async def send_content(person: MatrixTestUser, room_id: str, content: dict) -> str:
    return await person._send_message(room_id, content)


async def send_file(person: MatrixTestUser, room_id: str, data: bytes, filename: str, mime: str,
                    declared_size: int | None = None) -> str:
    """An m.file as Element sends a PDF: encrypted attachment in an encrypted room."""
    room = person.client.rooms[room_id]
    upload, keys = await person.client.upload(lambda _a, _b: data, content_type=mime, filename=filename,
                                              encrypt=room.encrypted, filesize=len(data))
    content: dict = {"msgtype": "m.file", "body": filename,
                     "info": {"mimetype": mime, "size": declared_size or len(data)}}
    if keys:
        content["file"] = {"url": upload.content_uri, "mimetype": mime,
                           **{k: keys[k] for k in ("v", "key", "iv", "hashes")}}
    else:
        content["url"] = upload.content_uri
    return await send_content(person, room_id, content)


def bot_messages(person: MatrixTestUser, room_id: str, bot: Bot, contains: str) -> list[dict]:
    return [m for m in person.received
            if m["room_id"] == room_id and m["sender"] == bot.user_id and contains in m["body"]]


def test_join_policy_accepts_only_listed_servers() -> None:
    assert may_join("@amira:beratung.example", "anyone", [])
    assert may_join("@amira:Beratung.Example", "servers", ["beratung.example"])
    assert may_join("@amira:localhost:8448", "servers", ["localhost:8448"])
    assert not may_join("@amira:localhost", "servers", ["localhost:8448"])
    assert not may_join("@eve:beratung.example.evil", "servers", ["beratung.example"])
    assert not may_join("@eve:evil.example", "servers", [])


async def test_invitation_from_a_server_not_allowed_is_declined(start_bot, anna: MatrixTestUser) -> None:
    bot = await start_bot(join_policy="servers", allowed_servers=["beratung.example"])
    room_id = await anna.create_room("Nur für Beratung", invite=[bot.user_id], encrypted=False)
    room = anna.client.rooms[room_id]
    deadline = time.monotonic() + 15
    while bot.user_id in room.users or bot.user_id in room.invited_users:
        assert time.monotonic() < deadline, "the bot neither declined nor ignored the invitation"
        await anna.wait_for_sync()
    assert room_id not in bot.adapter.client.rooms


async def test_in_a_room_the_bot_answers_only_when_addressed(start_bot, anna: MatrixTestUser) -> None:
    bot = await start_bot()
    room_id = await anna.create_room("Runder Tisch Nord", invite=[bot.user_id], encrypted=False)
    await anna.wait_for_join(room_id, bot.user_id)

    await anna.send_text(room_id, "Ping an alle: Treffen am Dienstag?")
    asked = await anna.send_text(room_id, "!hilfe")
    first = await anna.wait_for_message(room_id, sender=bot.user_id)
    assert "Was ich kann" in first["body"], f"answered the unaddressed message: {first['body']!r}"
    assert first["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == asked
    assert "!sprache" in first["body"] and "/sprache" not in first["body"]

    await anna.send_text(room_id, f"{bot.localpart}: ping bitte")
    assert (await answer(anna, room_id, bot, "Pong"))["body"] == "Pong: ping bitte"

    await send_content(anna, room_id, {"msgtype": "m.text", "body": "Hallo Bot, noch ein ping?",
                                       "m.mentions": {"user_ids": [bot.user_id]}})
    assert "noch ein ping" in (await answer(anna, room_id, bot, "Pong"))["body"]

    await send_content(anna, room_id, {"msgtype": "m.text", "body": "und ping als Antwort",
                                       "m.relates_to": {"m.in_reply_to": {"event_id": first["event_id"]}}})
    assert (await answer(anna, room_id, bot, "Pong"))["body"] == "Pong: und ping als Antwort"

    await anna.send_text(room_id, "!sprache")
    menu = await answer(anna, room_id, bot, "Welche Sprache")
    assert "1. Deutsch\n2. English" in menu["body"]
    assert "Antworten Sie auf diese Nachricht mit der Nummer" in menu["body"]

    await anna.send_text(room_id, "!einladen")  # personal: the bot points to a direct chat with itself
    pointer = await answer(anna, room_id, bot, "privat")
    assert f"https://matrix.to/#/{bot.user_id}" in pointer["body"]


async def test_encrypted_direct_chat_with_choice_by_number_and_receipts(
    synapse: SynapseServer, start_bot, anna: MatrixTestUser
) -> None:
    bot = await start_bot()
    room_id = await direct_chat(anna, bot)

    await anna.send_text(room_id, "/hilfe")
    helped = await answer(anna, room_id, bot, "Was ich kann")
    assert helped["encrypted"] is True
    stored = await _raw_event(synapse, anna.client.access_token, room_id, helped["event_id"])
    assert stored["type"] == "m.room.encrypted" and "Was ich kann" not in str(stored["content"])

    await anna.send_text(room_id, "!sprache")
    menu = await answer(anna, room_id, bot, "Welche Sprache möchten Sie?")
    assert "1. Deutsch\n2. English" in menu["body"] and "Antworten Sie mit der Nummer" in menu["body"]
    assert "<ol><li>Deutsch</li><li>English</li>" in menu["content"]["formatted_body"]  # then the others
    await anna.send_text(room_id, "2")
    switched = await answer(anna, room_id, bot, "I will speak English")
    assert switched["encrypted"] is True

    picture = _png()
    await anna.send_text(room_id, "!beleg")
    await answer(anna, room_id, bot, "Schicken Sie den Beleg")
    await anna.send_image(room_id, picture, "fahrtkosten.png", "image/png")
    got = await answer(anna, room_id, bot, "Beleg ")
    assert got["body"] == f"Beleg fahrtkosten.png image/png {len(picture)} {hashlib.sha256(picture).hexdigest()}"

    await anna.send_text(room_id, "!beleg")
    await answer(anna, room_id, bot, "Schicken Sie den Beleg")
    await send_file(anna, room_id, PDF, "ticket.pdf", "application/pdf")
    got = await answer(anna, room_id, bot, "Beleg ")
    assert got["body"] == f"Beleg ticket.pdf application/pdf {len(PDF)} {hashlib.sha256(PDF).hexdigest()}"

    # The declared size is checked before a byte is fetched: the real file is tiny, the claim says 30 MB.
    await anna.send_text(room_id, "!beleg")
    await answer(anna, room_id, bot, "Schicken Sie den Beleg")
    await send_file(anna, room_id, PDF, "riesig.pdf", "application/pdf", declared_size=30 * 1024 * 1024)
    assert (await answer(anna, room_id, bot, "Zu groß"))["body"] == f"Zu groß: {30 * 1024 * 1024}"


async def test_a_message_the_bot_cannot_decrypt_is_asked_for_again(start_bot, anna: MatrixTestUser) -> None:
    bot = await start_bot(key_wait=2)
    room_id = await direct_chat(anna, bot)
    await anna._wait_for_member_devices(anna.client.rooms[room_id])
    bot_device = anna.client.device_store[bot.user_id][bot.adapter.device_id]
    anna.client.blacklist_device(bot_device)  # the room key of the next message never reaches the bot
    try:
        await anna.send_text(room_id, "ping geheim")
        await asyncio.sleep(0.5)
        await anna.send_text(room_id, "noch ein ping geheim")
        notice = await answer(anna, room_id, bot, "nicht lesen")
        await asyncio.sleep(2.5)  # the second message's wait for its key is over too
    finally:
        anna.client.unblacklist_device(bot_device)
    assert "Bitte senden Sie sie noch einmal" in notice["body"] and notice["encrypted"] is True
    assert len(bot_messages(anna, room_id, bot, "nicht lesen")) == 1, "one missing key, one notice"
    assert not bot_messages(anna, room_id, bot, "Pong")


async def test_bot_answers_again_after_the_homeserver_restarts(
    synapse: SynapseServer, start_bot, anna: MatrixTestUser
) -> None:
    bot = await start_bot()
    room_id = await direct_chat(anna, bot)
    await anna.send_text(room_id, "ping vorher")
    await answer(anna, room_id, bot, "Pong: ping vorher")

    await synapse.restart()
    began = time.monotonic()
    await anna.send_text(room_id, "ping nachher")
    pong = await answer(anna, room_id, bot, "Pong: ping nachher", timeout=60)
    assert pong["encrypted"] is True
    print(f"answered {time.monotonic() - began:.1f} s after the homeserver was back")


async def test_restarted_bot_keeps_its_device_answers_once_and_still_decrypts(
    start_bot, anna: MatrixTestUser
) -> None:
    bot = await start_bot()
    device = bot.adapter.device_id
    devices_before = {d.id for d in (await bot.adapter.client.devices()).devices}
    room_id = await direct_chat(anna, bot)
    await anna.send_text(room_id, "ping eins")
    await answer(anna, room_id, bot, "Pong: ping eins")
    # Where the bot would resume if it crashed after answering what follows but before saving its position.
    token_file = bot.store / SYNC_TOKEN_FILE
    old_position = token_file.read_text()
    await anna.send_text(room_id, "!sprache")
    await answer(anna, room_id, bot, "Welche Sprache")

    await bot.app.stop()
    assert token_file.read_text() != old_position
    token_file.write_text(old_position)
    await anna.send_text(room_id, "ping während der Pause")

    again = await start_bot(localpart=bot.localpart)
    assert again.adapter.device_id == device
    devices_after = {d.id for d in (await again.adapter.client.devices()).devices}
    assert devices_after == devices_before, "a restart must not log in a new device"

    missed = await answer(anna, room_id, again, "Pong: ping während der Pause")
    assert missed["encrypted"] is True
    await anna.send_text(room_id, "ping zwei")
    assert (await answer(anna, room_id, again, "Pong: ping zwei"))["encrypted"] is True
    assert len(bot_messages(anna, room_id, again, "Welche Sprache")) == 1, "an old message was answered twice"
    assert len(bot_messages(anna, room_id, again, "Pong: ping eins")) == 1


async def test_rate_limited_pushes_and_replies_arrive_in_order_and_once(
    synapse_low_rate: SynapseServer, start_bot, tmp_path: Path
) -> None:
    person = await MatrixTestUser.create(synapse_low_rate, f"bea_{uuid.uuid4().hex[:6]}", tmp_path / "bea")
    await person.start()
    try:
        bot = await start_bot(synapse_low_rate)
        room_id = await direct_chat(person, bot, encrypted=False)
        async with bot.app.db.session() as session:
            for n in range(1, 5):
                await outbox.enqueue(session, platform="matrix", chat_id=room_id, reply=Reply(f"Rundschreiben {n}"))
            await session.commit()
        bot.app.wake_workers()
        await person.send_text(room_id, "ping dazwischen")

        for n in range(1, 5):
            await answer(person, room_id, bot, f"Rundschreiben {n}", timeout=60)
        await answer(person, room_id, bot, "Pong: ping dazwischen", timeout=60)
        await asyncio.sleep(1)
        pushes = [m["body"] for m in person.received
                  if m["room_id"] == room_id and m["body"].startswith("Rundschreiben")]
        assert pushes == [f"Rundschreiben {n}" for n in range(1, 5)], "lost, doubled or out of order"

        async with bot.app.db.session() as session:
            rows = list(await session.scalars(select(Delivery)))
        assert rows and all(r.status == outbox.SENT for r in rows)
        refused = bot.app.metrics.registry.get_sample_value(
            "helferbot_platform_errors_total", {"platform": "matrix", "kind": "rate_limited"})
        assert refused, "the homeserver never refused: the test did not test anything"
    finally:
        await person.stop()


async def test_a_sync_position_the_homeserver_does_not_know_starts_afresh(start_bot, anna: MatrixTestUser) -> None:
    bot = await start_bot()
    room_id = await direct_chat(anna, bot, encrypted=False)
    await anna.send_text(room_id, "ping vor der Wiederherstellung")
    await answer(anna, room_id, bot, "Pong")
    await bot.app.stop()
    (bot.store / SYNC_TOKEN_FILE).write_text("s_from_another_database")  # e.g. the homeserver was restored

    again = await start_bot(localpart=bot.localpart)
    await anna.send_text(room_id, "ping danach")
    await answer(anna, room_id, again, "Pong: ping danach")
    assert len(bot_messages(anna, room_id, again, "Pong: ping vor der Wiederherstellung")) == 1


async def test_bot_with_a_configured_access_token_uses_that_device(start_bot, anna: MatrixTestUser) -> None:
    bot = await start_bot(with_token=True)
    devices = await bot.adapter.client.devices()
    assert [d.id for d in devices.devices] == [bot.adapter.device_id], "no second device may be logged in"
    room_id = await direct_chat(anna, bot)
    await anna.send_text(room_id, "ping mit Token")
    assert (await answer(anna, room_id, bot, "Pong: ping mit Token"))["encrypted"] is True
