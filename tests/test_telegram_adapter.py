"""The Telegram adapter, end to end: the real bot on python-telegram-bot, talking HTTP to the Bot API emulator.

Every test runs the whole stack a volunteer's phone would reach: getUpdates or the webhook, the PTB Application,
the adapter, the core with its handlers and database, and back out through sendMessage and friends.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import re
import socket
import struct
import time
import zlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from telegram.error import RetryAfter

from bot import roles, users
from bot.core.app import App
from bot.core.router import Router
from bot.i18n import LANGUAGES, Translator
from bot.messages import AttachmentTooLarge, OutgoingFile, Reply
from bot.platforms.base import DeliveryError
from bot.platforms.telegram import TelegramAdapter
from bot.platforms.telegram_flood import FloodControl, retry_seconds
from bot.platforms.telegram_send import plain_text, split_text, telegram_html
from bot.storage.models import Delivery
from bot.wiring import build_app
from tests.support.config import make_config
from tests.support.telegram_emulator import SentMessage, TelegramEmulator

ADMIN = 42
BOT = "helfer_test_bot"
DE = Translator("de").gettext


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 reports periods such as retry_after as timedelta when asked to, without deprecation warnings.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(bot_username=BOT) as emulator:
        yield emulator


def config_for(tmp_path, db_url, emu: TelegramEmulator, **telegram):
    settings = {"token": emu.token, "api_base_url": emu.base_url, "file_base_url": emu.base_file_url, **telegram}
    return make_config(tmp_path, db_url, telegram=settings, admins={"telegram": [ADMIN]})


@contextlib.asynccontextmanager
async def running(cfg, db, *extra: Router) -> AsyncIterator[App]:
    app = build_app(cfg, db=db)
    for router in extra:
        app.router.include(router)
    app.add_adapter(TelegramAdapter(cfg))
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


@pytest.fixture
async def bot(tmp_path, db_url, db, emu) -> AsyncIterator[App]:
    async with running(config_for(tmp_path, db_url, emu), db) as app:
        yield app


async def reply_to(emu: TelegramEmulator, chat_id: int, text: str, count: int = 1, **kwargs) -> list[SentMessage]:
    emu.push_text(chat_id if chat_id > 0 else ADMIN, text, **kwargs)
    return await emu.wait_for_sent(count, chat_id=chat_id)


async def nothing_to(emu: TelegramEmulator, chat_id: int, within: float = 0.4) -> None:
    with pytest.raises(TimeoutError):
        await emu.wait_for_sent(chat_id=chat_id, timeout=within)


async def user_row(app: App, telegram_id: int):
    async with app.db.session() as session:
        return await users.find(session, "telegram", str(telegram_id))


async def wait_for(predicate, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Wait until `predicate()` (a plain or an async function) is true."""
    deadline = time.monotonic() + timeout
    while not (await result if inspect.isawaitable(result := predicate()) else result):
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.05)


def png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x10\x80\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- conversations -----------------------------------------------------------------------------------------------

async def test_language_is_chosen_with_buttons_and_help_follows_in_it(bot, emu):
    [question] = await reply_to(emu, 7, "/sprache")
    assert question.visible_text == DE("Which language would you like?")
    labels = [b["text"] for row in question.buttons for b in row]
    assert labels == list(LANGUAGES.values()) and labels[:2] == ["Deutsch", "English"]
    english = question.button_data()[1]

    emu.push_callback(7, english)
    [edit] = await emu.wait_for_sent(chat_id=7)
    # The pressed message itself turns into the confirmation; the spinner on the button was stopped.
    assert (edit.method, edit.message_id) == ("editMessageText", question.message_id)
    assert edit.visible_text == "I will speak English with you from now on."
    assert "reply_markup" not in emu.message(7, question.message_id)
    await wait_for(lambda: len(emu.callback_answers) == 1)

    # A button on a message that is gone (too old, deleted) answers with a new message instead of an edit.
    emu.push_callback(7, english, message_id=question.message_id + 50)
    [fresh] = await emu.wait_for_sent(chat_id=7)
    assert (fresh.method, fresh.visible_text) == ("sendMessage", "I will speak English with you from now on.")

    [help_] = await reply_to(emu, 7, "/help")
    assert help_.visible_text.startswith("What I can do:")
    assert "/contact" in help_.visible_text and "/kontakt" not in help_.visible_text
    assert (await user_row(bot, 7)).language == "en"


async def test_contact_answer_keeps_phone_numbers_but_not_tel_links(bot, emu):
    [answer] = await reply_to(emu, 7, "Wer ist mein Ansprechpartner in Nürtingen?")
    assert answer.parse_mode == "HTML"
    assert "Ekin-Atik" in answer.visible_text
    assert "tel:" not in answer.text
    assert re.search(r"☎ 0711 ?390", answer.visible_text)
    links = [e["url"] for e in answer.message.get("entities", []) if e["type"] == "text_link"]
    assert all(not url.startswith("tel:") for url in links)
    assert answer.message.get("link_preview_options") == {"is_disabled": True}


async def test_forged_and_foreign_buttons_change_nothing(bot, emu):
    [question] = await reply_to(emu, 7, "/sprache")
    english = question.button_data()[1]
    await reply_to(emu, 8, "/start", count=2)

    # Someone else sends the token of 7's button (a modified client can send any callback data).
    emu.push_callback(8, english, message_id=question.message_id)
    [refused] = await emu.wait_for_sent(chat_id=8)
    assert refused.visible_text == DE("This button belongs to someone else. Nothing was done.")
    emu.push_callback(7, "made-up-token-123", message_id=question.message_id)
    [unknown] = await emu.wait_for_sent(chat_id=7)
    assert unknown.method == "sendMessage"
    assert unknown.visible_text == DE("This button is not valid (any more). Nothing was done. Send /help to start again.")
    assert (await user_row(bot, 7)).language == "de" and (await user_row(bot, 8)).language == "de"
    await wait_for(lambda: len(emu.callback_answers) == 2)


async def test_restart_in_the_middle_of_a_dialog_loses_nothing(tmp_path, db_url, db, emu):
    cfg = config_for(tmp_path, db_url, emu)
    async with running(cfg, db):
        [question] = await reply_to(emu, ADMIN, "/einladen")
        assert [b["text"] for row in question.buttons for b in row] == [DE("coordinator"), DE("reviewer"), DE("admin")]
        emu.push_callback(ADMIN, question.button_data()[0])
        [ask] = await emu.wait_for_sent(chat_id=ADMIN)
        assert ask.visible_text == DE("For which place? Write a Gemeinde or a Kreis (e.g. \"Landkreis Esslingen\"), or \"everywhere\".")

    async with running(cfg, db) as app:
        [invitation] = await reply_to(emu, ADMIN, "Nürtingen")
        link = re.search(rf"https://t\.me/{BOT}\?start=(inv_[\w-]+)", invitation.visible_text)
        assert link, invitation.visible_text
        assert "Nürtingen" in invitation.visible_text

        [welcome] = await reply_to(emu, 9, f"/start {link.group(1)}")
        assert welcome.visible_text == DE("Welcome! You are now {role} for {scope}.", role=DE("coordinator"), scope="Nürtingen")
        async with app.db.session() as session:
            grants = await roles.grants(session, await users.find(session, "telegram", "9"))
        assert [(g.role, g.scope) for g in grants] == [(roles.COORDINATOR, "08116049")]


async def test_one_chat_is_handled_in_order_and_a_slow_chat_does_not_hold_up_others(tmp_path, db_url, db, emu):
    async with running(config_for(tmp_path, db_url, emu), db, probe_router()):
        await reply_to(emu, 7, "/probe")
        words = [f"Nachricht {n}" for n in range(12)]
        for word in words:
            emu.push_text(7, word)
        answers = await emu.wait_for_sent(len(words), chat_id=7)
        assert [a.visible_text for a in answers] == [f"text: {w}" for w in words]

        emu.fail_next("sendMessage", hang=1.5)  # the answer to chat 7 takes Telegram 1.5 s
        emu.push_text(7, "langsam")
        await asyncio.sleep(0.1)
        emu.push_text(8, "/hilfe")
        [other] = await emu.wait_for_sent(chat_id=8)
        [slow] = await emu.wait_for_sent(chat_id=7)
        assert other.time < slow.time and slow.visible_text == "text: langsam"


# --- files -------------------------------------------------------------------------------------------------------

CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def probe_router() -> Router:
    """A dialog that takes a file the way the receipt dialog does, and reports what it received."""
    router = Router()

    @router.command("probe")
    async def probe(ctx, args):
        await ctx.start_dialog("probe", "file")
        ctx.reply("send it")

    @router.dialog("probe")
    async def receive(ctx):
        found = ctx.attachment
        if found is None:
            ctx.reply(f"text: {ctx.text}")
            return
        try:
            data = await found.fetch()
        except AttachmentTooLarge as exc:
            ctx.reply(f"refused {found.size} > {exc.limit}")
            return
        ctx.reply(f"{found.filename} {found.mime_type} {found.size} {len(data)} {hashlib.sha256(data).hexdigest()} "
                  f"{found.file_ref}")

    @router.command("long")
    async def long(ctx, args):
        ctx.reply("\n".join(f"Zeile {n:04d} " + "x" * 90 for n in range(100)))

    @router.command("broken")
    async def broken(ctx, args):
        ctx.reply("Treffen <Rathaus> um <b>18 Uhr</b>", html=True)

    @router.command("ics")
    async def ics(ctx, args):
        again = await ctx.button("Noch einmal", "lang", {"lang": "de"})
        ctx.reply("<b>Ihr Termin</b> im Rathaus", html=True, buttons=[[again]],
                  file=OutgoingFile("termin.ics", "text/calendar", CALENDAR))

    return router


async def test_photos_and_pdfs_reach_the_handler_and_big_files_are_not_downloaded(tmp_path, db_url, db, emu):
    cfg = config_for(tmp_path, db_url, emu, max_file_mb=20)
    async with running(cfg, db, probe_router()):
        await reply_to(emu, 7, "/probe")
        picture = png(64, 48)
        update = emu.push_photo(7, picture, caption="Fahrkarte")
        [seen] = await emu.wait_for_sent(chat_id=7)
        name, mime, size, length, digest, ref = seen.visible_text.split()
        assert (mime, int(size), int(length)) == ("image/jpeg", len(picture), len(picture))
        assert digest == hashlib.sha256(picture).hexdigest()
        assert ref == update["message"]["photo"][-1]["file_unique_id"]

        pdf = b"%PDF-1.4\n" + bytes(range(256)) * 30
        emu.push_document(7, pdf, "Quittung Mai.pdf", "application/pdf")
        [seen] = await emu.wait_for_sent(chat_id=7)
        assert seen.visible_text.startswith("Quittung Mai.pdf application/pdf")
        assert hashlib.sha256(pdf).hexdigest() in seen.visible_text

        downloads = sum(1 for name, _ in emu.calls if name == "getFile")
        emu.push_document(7, b"%PDF-1.4 small body", "Scan.pdf", "application/pdf", declared_size=50 * 1024 * 1024)
        [seen] = await emu.wait_for_sent(chat_id=7)
        assert seen.visible_text == f"refused {50 * 1024 * 1024} > {20 * 1024 * 1024}"
        assert sum(1 for name, _ in emu.calls if name == "getFile") == downloads

        emu.push_update({"message": {**emu.text_update(7, "x")["message"], "text": None,
                                     "voice": {"file_id": "v1", "file_unique_id": "v1u", "duration": 3}}})
        [hint] = await emu.wait_for_sent(chat_id=7)
        assert hint.visible_text == DE("I can read text, photos and documents (such as PDF), but not this kind of message. "
                                     "Please write your question, or send /help.")


async def test_long_replies_are_split_between_lines(tmp_path, db_url, db, emu):
    async with running(config_for(tmp_path, db_url, emu), db, probe_router()):
        parts = await reply_to(emu, 7, "/long", count=3)
    lines = "\n".join(p.visible_text for p in parts).split("\n")
    assert [line.split()[1] for line in lines] == [f"{n:04d}" for n in range(100)]
    assert all(len(p.visible_text) <= 4096 for p in parts)


async def test_files_go_out_as_documents_with_caption_and_buttons(tmp_path, db_url, db, emu):
    async with running(config_for(tmp_path, db_url, emu), db, probe_router()):
        [sent] = await reply_to(emu, 7, "/ics")
    assert (sent.method, sent.filename, sent.document) == ("sendDocument", "termin.ics", CALENDAR)
    assert sent.visible_text == "Ihr Termin im Rathaus" and sent.message["caption_entities"][0]["type"] == "bold"
    assert len(sent.button_data()) == 1


async def test_html_that_telegram_refuses_still_reaches_the_person_as_plain_text(tmp_path, db_url, db, emu):
    async with running(config_for(tmp_path, db_url, emu), db, probe_router()):
        [sent] = await reply_to(emu, 7, "/broken")
    assert sent.parse_mode is None and sent.visible_text == "Treffen <Rathaus> um 18 Uhr"
    assert [name for name, _ in emu.calls].count("sendMessage") == 2  # refused once, then sent


def test_rendering_rules():
    html = 'Büro: <a href="tel:+49711390242196">0711 3902-42196</a>, <a href="https://example.org">Web</a>'
    assert telegram_html(html) == 'Büro: 0711 3902-42196, <a href="https://example.org">Web</a>'
    assert plain_text(html + " &amp; <i>mehr</i>") == "Büro: 0711 3902-42196, Web (https://example.org) & mehr"
    text = "\n".join(["a" * 3000, "b" * 3000, "c" * 10])
    assert split_text(text) == ["a" * 3000, "b" * 3000 + "\n" + "c" * 10]
    assert split_text("w " * 5000) == [("w " * 2048).strip(), ("w " * 2048).strip(), "w " * 904]


# --- flood control and failures ----------------------------------------------------------------------------------

async def test_a_storm_of_429_answers_delays_replies_but_drops_none(tmp_path, db_url, db):
    async with TelegramEmulator(bot_username=BOT, rate_limit_per_s=4) as strict:
        # The bot believes it may send 12 a second; Telegram allows 4 and answers the rest with 429.
        cfg = config_for(tmp_path, db_url, strict, rate_per_second=12)
        async with running(cfg, db):
            people = list(range(100, 116))
            for person in people:
                strict.push_text(person, "/hilfe")
            await strict.wait_for_sent(len(people), timeout=40)
            await asyncio.sleep(0.3)
    assert strict.count_429 > 0
    assert sorted(m.chat_id for m in strict.sent) == people  # every reply once, none lost, none twice
    assert all(m.visible_text.startswith(DE("What I can do:")) for m in strict.sent)


async def test_repeated_429_moves_the_reply_to_the_outbox_which_delivers_it(bot, emu):
    emu.fail_next("sendMessage", status=429, retry_after=1, times=5)
    began = time.monotonic()
    [reply] = await reply_to(emu, 7, "/hilfe")
    assert time.monotonic() - began >= 4
    assert reply.visible_text.startswith(DE("What I can do:"))
    assert emu.count_429 == 5 and len(emu.sent) == 1

    async def delivered() -> bool:
        async with bot.db.session() as session:
            rows = list(await session.scalars(select(Delivery)))
        return [(r.kind, r.status, r.chat_id) for r in rows] == [("reply", "sent", "7")]

    await wait_for(delivered)


async def test_sends_never_exceed_the_configured_rate(tmp_path, db_url, db, emu):
    async with running(config_for(tmp_path, db_url, emu, rate_per_second=10), db):
        for person in range(200, 230):
            emu.push_text(person, "/hilfe")
        sent = await emu.wait_for_sent(30, timeout=20)
    times = sorted(m.time for m in sent)
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 10
    assert times[-1] - times[0] >= 1.9  # 30 messages at 10/s: the pace was really kept


async def test_group_limits_and_flood_answers_hold_back_sends():
    flood = FloodControl(per_second=100, group_per_minute=3)
    for _ in range(3):
        flood.done(await flood.turn(-100, max_wait=0))
    with pytest.raises(RetryAfter) as raised:
        await flood.turn(-100, max_wait=1)  # the fourth message to the group within a minute
    assert 59 <= retry_seconds(raised.value) <= 61
    flood.done(await flood.turn(-200, max_wait=0))  # other groups and private chats go on
    flood.done(await flood.turn(7, max_wait=0))
    flood.hold(7, 5)  # Telegram answered 429 in a private chat: the whole bot was too fast
    with pytest.raises(RetryAfter):
        await flood.turn(8, max_wait=1)


async def test_server_errors_are_retried(bot, emu):
    emu.fail_next("sendMessage", status=502, retry_after=None, times=2)
    emu.fail_next("sendMessage", status=500, retry_after=None)
    [reply] = await reply_to(emu, 7, "/hilfe")
    assert reply.visible_text.startswith(DE("What I can do:"))
    assert emu.count_5xx == 3 and len(emu.sent_to(7)) == 1


async def test_pushes_to_someone_who_blocked_the_bot_are_marked_failed(bot, emu):
    await reply_to(emu, 7, "/start", count=2)
    await reply_to(emu, 8, "/start", count=2)
    emu.block_user(7)
    async with bot.db.session() as session:
        for person in ("7", "8"):
            recipient = await users.find(session, "telegram", person)
            assert await bot.notify(session, recipient, "Neuer Termin",
                                    file=OutgoingFile("termin.ics", "text/calendar", CALENDAR))
        await session.commit()
    bot.wake_workers()
    [pushed] = await emu.wait_for_sent(chat_id=8)
    assert (pushed.visible_text, pushed.document) == ("Neuer Termin", CALENDAR)

    async def settled() -> bool:
        async with bot.db.session() as session:
            rows = {r.chat_id: r.status for r in await session.scalars(select(Delivery))}
        return rows == {"7": "failed", "8": "sent"}

    await wait_for(settled)
    assert all(m.visible_text != "Neuer Termin" for m in emu.sent_to(7))


# --- groups, webhook, menu ---------------------------------------------------------------------------------------

async def test_in_groups_the_bot_answers_commands_and_replies_only_and_keeps_personal_matters_private(
        tmp_path, db_url, db):
    async with TelegramEmulator(bot_username=BOT, group_privacy=False) as open_emu:
        group = open_emu.group_chat(-4001, "Runder Tisch Nürtingen")
        async with running(config_for(tmp_path, db_url, open_emu), db):
            open_emu.push_text(ADMIN, "Wer ist Ansprechpartner in Nürtingen?", chat=group)
            open_emu.push_text(ADMIN, "/hilfe@some_other_bot", chat=group)
            await nothing_to(open_emu, -4001)

            [answer] = await reply_to(open_emu, -4001, f"/kontakt@{BOT} Nürtingen", chat=group)
            assert "Ekin-Atik" in answer.visible_text

            [moved] = await reply_to(open_emu, -4001, "/einladen koordination Nürtingen", chat=group)
            assert [b.get("url") for row in moved.buttons for b in row] == [f"https://t.me/{BOT}"]
            assert moved.visible_text == DE("Let's talk about this in a private chat, so nothing personal lands in the group.")

            [asked] = await reply_to(open_emu, -4001, "/kontakt", chat=group)
            open_emu.push_text(ADMIN, "Ein Gespräch unter uns", chat=group)
            await nothing_to(open_emu, -4001)
            [found] = await reply_to(open_emu, -4001, "Nürtingen", chat=group, reply_to_bot_message_id=asked.message_id)
            assert "Ekin-Atik" in found.visible_text
    assert not any("inv_" in (m.text or "") for m in open_emu.sent_to(-4001))


async def test_webhook_mode_checks_the_secret(tmp_path, db_url, db, emu):
    port = free_port()
    cfg = config_for(tmp_path, db_url, emu, mode="webhook", webhook_url=f"http://127.0.0.1:{port}/tg",
                     webhook_listen="127.0.0.1", webhook_port=port, webhook_path="tg", webhook_secret="s3cret-1")
    async with running(cfg, db) as app:
        [reply] = await reply_to(emu, 7, "/hilfe")
        assert reply.visible_text.startswith(DE("What I can do:"))
        await emu.wait_for_webhook_idle()  # the 200 comes once the update is handled, i.e. after the reply
        assert [d.status for d in emu.webhook_deliveries] == [200]
        assert not any(name == "getUpdates" for name, _ in emu.calls)

        forged = emu.text_update(8, "/start")
        assert await emu.post_to_webhook(forged, secret_token="wrong") == 403
        assert await emu.post_to_webhook(forged, secret_token=None) == 403
        await nothing_to(emu, 8)
        assert await user_row(app, 8) is None  # not even seen by the core


async def test_command_menu_in_german_and_english(bot, emu):
    german = {c["command"]: c["description"] for c in emu.commands(language_code="de")}
    english = {c["command"]: c["description"] for c in emu.commands(language_code="en")}
    assert german["hilfe"] == DE("What I can do") and german["sprache"] == DE("Change the language")
    assert english["help"] == "What I can do" and "contact" in english and "kontakt" not in english
    assert "start" not in german  # not in the menu: Telegram offers a Start button of its own
    assert emu.commands() == emu.commands(language_code="de")
    in_groups = [c["command"] for c in emu.commands({"type": "all_group_chats"}, "de")]
    assert "kontakt" in in_groups and "einladen" not in in_groups and "einladen" in german


async def test_private_link_and_outbox_send_without_a_running_bot(tmp_path, db_url, emu):
    adapter = TelegramAdapter(config_for(tmp_path, db_url, emu, bot_username="stadt_helferbot"))
    assert adapter.private_link("inv_abc-1") == "https://t.me/stadt_helferbot?start=inv_abc-1"
    assert adapter.private_link() == "https://t.me/stadt_helferbot"
    with pytest.raises(DeliveryError):
        await adapter.send("7", Reply("x"))
