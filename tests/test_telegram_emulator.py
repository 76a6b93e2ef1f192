"""The Telegram emulator, checked against the real python-telegram-bot client.

Every other Telegram test trusts the emulator, so these tests make sure PTB — its HTTP client,
updater, webhook server and error mapping — treats it exactly as it treats api.telegram.org.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import socket
import struct
import time
import zlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, EndPointNotFound, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from tests.support.telegram_emulator import TelegramEmulator


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    async with Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 reports periods such as retry_after as timedelta when asked to, without warnings.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def build_app(emu: TelegramEmulator, errors: list[BaseException]) -> Application:
    app = (ApplicationBuilder().token(emu.token).base_url(emu.base_url)
           .base_file_url(emu.base_file_url).build())

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    app.add_error_handler(on_error)
    return app


@contextlib.asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + \
        chunk(b"IEND", b"")


async def test_start_command_is_answered_over_long_polling(emu: TelegramEmulator) -> None:
    errors: list[BaseException] = []
    app = build_app(emu, errors)
    seen: list[Update] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)
        assert update.effective_user is not None and update.message is not None
        await update.message.reply_text(
            f"Willkommen, <b>{update.effective_user.first_name}</b>! Code: {' '.join(context.args or [])}",
            parse_mode="HTML", do_quote=True)

    app.add_handler(CommandHandler("start", start))
    emu.user(42, first_name="Olena", language_code="uk")
    async with polling(app):
        emu.push_text(42, "/start einladung-7")
        [reply] = await emu.wait_for_sent(chat_id=42)

    assert reply.visible_text == "Willkommen, Olena! Code: einladung-7"
    assert reply.message["entities"] == [{"type": "bold", "offset": 12, "length": 5}]
    assert reply.message_id == 2  # the person's /start was message 1 of this chat
    assert reply.message["reply_to_message"]["text"] == "/start einladung-7"
    assert seen[0].effective_user is not None and seen[0].effective_user.language_code == "uk"
    assert [name for name, _ in emu.calls][:2] == ["getMe", "deleteWebhook"]
    assert errors == []


async def test_button_press_is_answered_and_edits_the_message(emu: TelegramEmulator) -> None:
    errors: list[BaseException] = []
    app = build_app(emu, errors)
    keyboards_seen: list[object] = []

    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        buttons = [[InlineKeyboardButton("Ja", callback_data="termin:ja"),
                    InlineKeyboardButton("Nein", callback_data="termin:nein")]]
        await update.message.reply_text("Kommst du zum Runden Tisch?",
                                        reply_markup=InlineKeyboardMarkup(buttons))

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        keyboards_seen.append(query.message.reply_markup)  # type: ignore[union-attr]
        await query.answer("Gespeichert")
        await query.edit_message_text(f"Antwort: {query.data}")

    app.add_handler(CommandHandler("termin", menu))
    app.add_handler(CallbackQueryHandler(pressed))
    async with polling(app):
        emu.push_text(42, "/termin")
        [question] = await emu.wait_for_sent(chat_id=42)
        assert question.button_data() == ["termin:ja", "termin:nein"]
        emu.push_callback(42, "termin:nein")
        [edit] = await emu.wait_for_sent(chat_id=42)

    assert edit.method == "editMessageText"
    assert edit.message_id == question.message_id
    assert emu.message(42, question.message_id) is not None
    shown = emu.message(42, question.message_id) or {}
    assert shown["text"] == "Antwort: termin:nein"
    assert "reply_markup" not in shown  # an edit without reply_markup drops the keyboard, as on Telegram
    [answer] = emu.callback_answers.values()
    assert answer["text"] == "Gespeichert"
    assert isinstance(keyboards_seen[0], InlineKeyboardMarkup)
    assert errors == []


async def test_editing_twice_or_unknown_messages_fails_like_telegram(emu: TelegramEmulator, bot: Bot) -> None:
    emu.private_chat(42)
    msg = await bot.send_message(42, "Erinnerung")
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("neu", chat_id=42, message_id=msg.message_id + 5)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("Erinnerung", chat_id=42, message_id=msg.message_id)
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(7777, "an niemanden")
    await bot.delete_message(42, msg.message_id)
    assert emu.sent[0].deleted and emu.message(42, msg.message_id) is None


async def test_received_files_are_downloaded_and_sent_back(emu: TelegramEmulator) -> None:
    errors: list[BaseException] = []
    app = build_app(emu, errors)
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40

    async def on_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        assert message is not None
        attachment = message.photo[-1] if message.photo else message.document
        assert attachment is not None
        data = await (await attachment.get_file()).download_as_bytearray()
        await message.reply_document(bytes(data), filename="kopie.bin", caption=f"{len(data)} Bytes")

    app.add_handler(MessageHandler(filters.Document.ALL | filters.PHOTO, on_file))
    picture = png(3, 2)
    async with polling(app):
        emu.push_document(42, pdf, "Antrag.pdf", "application/pdf")
        emu.push_photo(42, picture, caption="Quittung")
        first, second = await emu.wait_for_sent(2, chat_id=42)

    assert (first.document, first.visible_text) == (pdf, f"{len(pdf)} Bytes")
    assert (second.document, second.filename) == (picture, "kopie.bin")
    assert errors == []


async def test_photos_carry_their_size_and_big_files_cannot_be_fetched(emu: TelegramEmulator, bot: Bot) -> None:
    photo = emu.push_photo(42, png(640, 480))["message"]["photo"][-1]
    assert (photo["width"], photo["height"]) == (640, 480)
    big = emu.push_document(42, b"x", "video.mp4", "video/mp4", declared_size=50 * 1024 * 1024)
    with pytest.raises(BadRequest, match="(?i)file is too big"):
        await bot.get_file(big["message"]["document"]["file_id"])
    with pytest.raises(BadRequest, match="(?i)image_process_failed"):
        await bot.send_photo(42, b"not an image")


async def test_commands_are_kept_per_language_and_scope(emu: TelegramEmulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Anfangen"), BotCommand("hilfe", "Hilfe")],
                              language_code="de")
    await bot.set_my_commands([BotCommand("start", "Почати")], language_code="uk",
                              scope=BotCommandScopeAllPrivateChats())

    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["start", "hilfe"]
    assert await bot.get_my_commands(language_code="uk") == ()  # other scope, as on Telegram
    ukrainian = await bot.get_my_commands(language_code="uk", scope=BotCommandScopeAllPrivateChats())
    assert [(c.command, c.description) for c in ukrainian] == [("start", "Почати")]
    recorded = [params for name, params in emu.calls if name == "setMyCommands"]
    assert [p["language_code"] for p in recorded] == ["de", "uk"]
    assert recorded[1]["scope"] == {"type": "all_private_chats"}
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Großbuchstaben sind verboten")])
    await bot.delete_my_commands(language_code="de")
    assert emu.commands(language_code="de") == []


async def test_flood_answer_raises_retry_after(emu: TelegramEmulator, bot: Bot) -> None:
    emu.private_chat(42)
    emu.fail_next("sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(42, "zu schnell")
    assert raised.value.retry_after == dtm.timedelta(seconds=7)
    assert emu.count_429 == 1 and emu.sent == []
    await bot.send_message(42, "jetzt geht es")
    assert [m.text for m in emu.sent] == ["jetzt geht es"]


async def test_rate_limiter_waits_out_the_flood_answer_and_delivers(emu: TelegramEmulator) -> None:
    emu.private_chat(42)
    emu.fail_next("sendMessage", retry_after=1)
    limited = ExtBot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url,
                     rate_limiter=AIORateLimiter(max_retries=2))
    async with limited:
        began = time.monotonic()
        await limited.send_message(42, "kommt trotzdem an")
        waited = time.monotonic() - began
    assert [m.text for m in emu.sent] == ["kommt trotzdem an"]
    assert waited >= 1.0
    assert [name for name, _ in emu.calls].count("sendMessage") == 2


async def test_rate_limits_answer_429_like_telegram() -> None:
    async with TelegramEmulator(group_rate_per_min=3) as limited, \
            Bot(limited.token, base_url=limited.base_url) as client:
        limited.group_chat(-100200)
        for n in range(3):
            await client.send_message(-100200, f"Nachricht {n}")
        with pytest.raises(RetryAfter) as raised:
            await client.send_message(-100200, "eine zu viel für die Gruppe")
        assert dtm.timedelta(seconds=59) <= raised.value.retry_after <= dtm.timedelta(seconds=60)
        assert limited.count_429 == 1
        assert [m.chat_id for m in limited.sent] == [-100200] * 3

    async with TelegramEmulator(rate_limit_per_s=0.2) as slow, \
            Bot(slow.token, base_url=slow.base_url) as client:
        slow.private_chat(42)
        await client.send_message(42, "eine alle fünf Sekunden")
        with pytest.raises(RetryAfter) as raised:
            await client.send_message(42, "zu früh")
        assert raised.value.retry_after == dtm.timedelta(seconds=5)


async def test_server_errors_raise_network_errors(emu: TelegramEmulator, bot: Bot) -> None:
    emu.private_chat(42)
    emu.fail_next("sendMessage", status=500, retry_after=None)
    emu.fail_next("sendMessage", status=502, retry_after=None)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(42, "a")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(42, "b")
    assert emu.count_5xx == 2
    emu.fail_next("sendMessage", hang=0.5)
    began = time.monotonic()
    await bot.send_message(42, "langsam")
    assert time.monotonic() - began >= 0.5


async def test_webhook_delivers_with_secret_and_wrong_secret_is_refused(emu: TelegramEmulator) -> None:
    errors: list[BaseException] = []
    app = build_app(emu, errors)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("Hallo über den Webhook")

    app.add_handler(CommandHandler("start", start))
    port = free_port()
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="tg",
                                        webhook_url=f"http://127.0.0.1:{port}/tg", secret_token="s3cret")
        try:
            info = await app.bot.get_webhook_info()
            assert info.url == f"http://127.0.0.1:{port}/tg"
            with pytest.raises(Conflict):
                await app.bot.get_updates()

            emu.push_text(42, "/start")
            [reply] = await emu.wait_for_sent(chat_id=42)
            assert reply.text == "Hallo über den Webhook"
            assert [d.status for d in emu.webhook_deliveries] == [200]

            forged = emu.text_update(42, "/start")
            assert await emu.post_to_webhook(forged, secret_token="falsch") == 403
            assert await emu.post_to_webhook(forged, secret_token=None) == 403
            with pytest.raises(TimeoutError):
                await emu.wait_for_sent(chat_id=42, timeout=0.3)
        finally:
            await app.updater.stop()
            await app.stop()
    assert errors == []


async def test_long_polling_protocol(emu: TelegramEmulator, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, emu.push_text, 42, "hallo")
    began = time.monotonic()
    [first] = await bot.get_updates(timeout=5)
    assert 0.15 < time.monotonic() - began < 1.5  # answered on arrival, not at the timeout
    assert first.message is not None and first.message.text == "hallo"

    assert await bot.get_updates(offset=first.update_id + 1, timeout=0) == ()
    for n in range(5):
        emu.push_text(42, f"n{n}")
    assert [u.message.text for u in await bot.get_updates(limit=2) if u.message] == ["n0", "n1"]
    assert [u.message.text for u in await bot.get_updates(offset=-1) if u.message] == ["n4"]

    await bot.get_updates(offset=first.update_id + 100, allowed_updates=["callback_query"], timeout=0)
    emu.push_text(42, "wird nicht zugestellt")
    assert await bot.get_updates(timeout=0) == ()
    assert emu.dropped_updates == 1

    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendUnicorn")
    assert emu.calls[-1][0] == "sendUnicorn"


async def test_second_poller_ends_the_first_with_conflict(emu: TelegramEmulator, bot: Bot) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(emu.token, base_url=emu.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="(?i)terminated by other getupdates"):
        await waiting


async def test_group_privacy_hides_plain_messages(emu: TelegramEmulator, bot: Bot) -> None:
    group = emu.group_chat(-4001, "Runder Tisch Nord")
    emu.push_text(42, "Guten Morgen zusammen", chat=group)
    emu.push_text(42, "/start@helfer_test_bot", chat=group)
    emu.push_text(42, "Frage an @helfer_test_bot", chat=group)
    texts = [u.message.text for u in await bot.get_updates(timeout=0) if u.message]
    assert texts == ["/start@helfer_test_bot", "Frage an @helfer_test_bot"]


async def test_formatting_errors_are_reported_like_telegram(emu: TelegramEmulator, bot: Bot) -> None:
    emu.private_chat(42)
    with pytest.raises(BadRequest, match="(?i)can't parse entities: unsupported start tag"):
        await bot.send_message(42, "Treffen um 18 Uhr <Rathaus>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)unsupported parse_mode"):
        await bot.send_message(42, "Treffen um 18 Uhr.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(42, "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("lang", callback_data="ä" * 33)]]))
    msg = await bot.send_message(42, "Treffen &amp; Essen um <b>18 Uhr</b>.", parse_mode="HTML")
    assert msg.text == "Treffen & Essen um 18 Uhr."
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [("bold", 19, 6)]


async def test_ten_thousand_updates_pass_through_polling_quickly(emu: TelegramEmulator) -> None:
    errors: list[BaseException] = []
    app = build_app(emu, errors)
    handled = 0
    done = asyncio.Event()

    async def count(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        nonlocal handled
        handled += 1
        if handled == 10_000:
            done.set()

    app.add_handler(MessageHandler(filters.TEXT, count))
    async with polling(app):
        began = time.monotonic()
        for n in range(10_000):
            emu.push_text(1000 + n % 50, f"Nachricht {n}")
        await asyncio.wait_for(done.wait(), 20)
        elapsed = time.monotonic() - began
    polls = sum(1 for name, _ in emu.calls if name == "getUpdates")
    assert polls < 200, "updates must be fetched in batches of up to 100"
    print(f"10000 updates through getUpdates in {elapsed:.2f}s ({polls} polls)")
    assert errors == []


async def test_unreachable_webhook_keeps_updates_until_it_is_deleted(emu: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)bad webhook"):
        await bot.set_webhook("https://example.org/hook")  # only this machine is ever contacted
    await bot.set_webhook(f"http://127.0.0.1:{free_port()}/hook", secret_token="abc")
    emu.push_text(42, "bitte zustellen")
    await asyncio.sleep(0.3)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Connection refused"
    await bot.delete_webhook()
    [update] = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.text == "bitte zustellen"


async def test_webhook_keeps_order_within_a_chat_but_not_across_chats(emu: TelegramEmulator) -> None:
    received: list[str] = []

    async def receive(request: web.Request) -> web.Response:
        message = (await request.json())["message"]
        if message["chat"]["id"] == 1:
            await asyncio.sleep(0.2)  # a slow handler for chat 1
        received.append(message["text"])
        return web.Response()

    server = web.Application()
    server.router.add_post("/hook", receive)
    runner = web.AppRunner(server)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with Bot(emu.token, base_url=emu.base_url) as client:
            await client.set_webhook(f"http://127.0.0.1:{port}/hook")
        emu.push_text(1, "a1")
        emu.push_text(1, "a2")
        emu.push_text(2, "b1")
        await emu.wait_for_webhook_idle(timeout=5)
    finally:
        await runner.cleanup()
    assert received == ["b1", "a1", "a2"]


async def test_raw_requests_in_every_encoding_and_error_bodies(emu: TelegramEmulator) -> None:
    emu.private_chat(42)
    api = emu.base_url + emu.token
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api}/getMe") as resp:
            assert (await resp.json())["result"]["is_bot"] is True
        markup = {"inline_keyboard": [[{"text": "Ja", "callback_data": "ja"}]]}
        async with http.post(f"{api}/sendMessage", json={"chat_id": 42, "text": "json", "reply_markup": markup}):
            pass
        async with http.get(f"{api}/sendMessage", params={"chat_id": "42", "text": "query"}):
            pass
        form = aiohttp.FormData({"chat_id": "42", "caption": "multipart"})
        form.add_field("document", b"inhalt", filename="liste.csv", content_type="text/csv")
        async with http.post(f"{api}/sendDocument", data=form) as resp:
            assert (await resp.json())["result"]["document"]["file_name"] == "liste.csv"
        async with http.post(f"{api}/sendGift", data={"chat_id": "42"}) as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404,
                                         "description": "Not Found: method not found"}
        async with http.get(f"{emu.base_url}999:WRONG/getMe") as resp:
            assert resp.status == 401
    assert [(m.method, m.text) for m in emu.sent] == [
        ("sendMessage", "json"), ("sendMessage", "query"), ("sendDocument", "multipart")]
    assert emu.sent[0].button_data() == ["ja"]
    assert emu.sent[2].document == b"inhalt" and emu.sent[2].mime_type == "text/csv"
    assert [m.message_id for m in emu.sent_to(42)] == [1, 2, 3]
