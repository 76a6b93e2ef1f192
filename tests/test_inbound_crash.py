"""Nothing lost on the way in: the real bot, killed with SIGKILL while it handles a message, answers it after the
restart, exactly once (Telegram keeps an update until the bot confirms it, and the bot confirms only what it has
handled; the answers of a handled message are in the outbox before the update is confirmed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.bot_process import BotProcess, until, write_config
from tests.support.config import PG_URL
from tests.support.tcp_proxy import TcpProxy
from tests.support.telegram_emulator import TelegramEmulator

QUIET_AFTER = 4.0
"""How long a test watches after the answer for a second copy."""


def bot_config(tmp_path: Path, db_url: str, **sections) -> Path:
    values = {
        "bot": {"data_dir": str(tmp_path / "data"), "secret_key": "test-secret-key-0123456789abcdef",
                "log_level": "INFO"},
        "database": {"url": db_url},
    }
    for name, extra in sections.items():
        values.setdefault(name, {}).update(extra)
    return write_config(tmp_path / "helferbot.toml", values)


def telegram_section(emu: TelegramEmulator) -> dict:
    return {"token": emu.token, "api_base_url": emu.base_url, "file_base_url": emu.base_file_url}


async def polling(emu: TelegramEmulator, timeout: float = 60) -> None:  # noqa: ASYNC109
    """Wait until the (re)started bot asks for updates."""
    before = len(emu.fetches)
    await until(lambda: len(emu.fetches) > before, timeout)


async def answered_once(emu: TelegramEmulator, chat_id: int, contains: str, timeout: float = 60) -> str:  # noqa: ASYNC109
    [answer] = await emu.wait_for_sent(1, chat_id=chat_id, timeout=timeout)
    await asyncio.sleep(QUIET_AFTER)
    texts = [m.visible_text for m in emu.sent_to(chat_id)]
    assert contains in answer.visible_text, texts
    assert len(texts) == 1, f"answered more than once: {texts}"
    return answer.visible_text


@pytest.fixture
async def emulator():
    async with TelegramEmulator(bot_username="helfer_test_bot") as emu:
        yield emu


@pytest.fixture
async def bot(tmp_path, db_url, emulator):
    process = BotProcess(bot_config(tmp_path, db_url, telegram=telegram_section(emulator)), tmp_path / "bot.log")
    await process.start()
    await polling(emulator)
    yield process
    await process.stop()


async def restart_after_kill(bot: BotProcess, emu: TelegramEmulator) -> None:
    bot.kill()
    await bot.wait()
    await bot.start()
    await polling(emu)


async def test_polling_killed_right_after_the_fetch_answers_after_the_restart(bot, emulator):
    update = emulator.push_text(501, "/hilfe")
    await emulator.wait_fetched(update["update_id"])
    await restart_after_kill(bot, emulator)
    await answered_once(emulator, 501, "/kontakt")
    assert emulator.unconfirmed == []


async def test_polling_killed_while_handling_answers_after_the_restart(bot, emulator):
    update = emulator.push_text(502, "/kontakt Nürtingen")
    await emulator.wait_fetched(update["update_id"])
    await asyncio.sleep(0.3)
    await restart_after_kill(bot, emulator)
    await answered_once(emulator, 502, "Nürtingen")


async def test_killed_after_handling_but_before_the_answer_went_out(bot, emulator):
    """The handler committed (the update counts as seen) but Telegram would not take the answer yet: the answer
    waits in the outbox and comes after the restart, and the redelivered update is not answered again."""
    emulator.fail_next("sendMessage", status=502, times=1000)
    emulator.push_text(503, "/hilfe")
    await until(lambda: any(name == "sendMessage" for name, _ in emulator.calls))
    emulator._faults.clear()
    await restart_after_kill(bot, emulator)
    await answered_once(emulator, 503, "/kontakt")


async def test_a_dialog_goes_on_after_a_kill(bot, emulator):
    emulator.push_text(504, "/kontakt")
    [question] = await emulator.wait_for_sent(1, chat_id=504, timeout=60)
    await restart_after_kill(bot, emulator)
    emulator.push_text(504, "nurtingen")
    [answer] = await emulator.wait_for_sent(1, chat_id=504, timeout=60)
    assert "Nürtingen" in answer.visible_text, (question.visible_text, answer.visible_text)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_killed_while_handling_answers_after_the_restart(tmp_path, db_url, emulator):
    port = free_port()
    section = telegram_section(emulator) | {
        "mode": "webhook", "webhook_url": f"http://127.0.0.1:{port}/tg", "webhook_listen": "127.0.0.1",
        "webhook_port": port, "webhook_path": "tg", "webhook_secret": "s3cret-1"}
    bot = BotProcess(bot_config(tmp_path, db_url, telegram=section), tmp_path / "bot.log")

    def webhook_set() -> int:
        return sum(1 for name, _ in emulator.calls if name == "setWebhook")

    await bot.start()
    try:
        await until(lambda: webhook_set() == 1)
        emulator.push_text(505, "/kontakt Nürtingen")
        await asyncio.sleep(0.3)
        bot.kill()
        await bot.wait()
        await bot.start()
        await until(lambda: webhook_set() == 2)
        await answered_once(emulator, 505, "Nürtingen")
        await emulator.wait_for_webhook_idle(30)
        assert emulator.webhook_deliveries[-1].status == 200
    finally:
        await bot.stop()


async def test_matrix_killed_while_handling_answers_after_the_restart(tmp_path, db_url, synapse):
    """The sync position is saved only once the events before it are stored; the answer of a handled event is in
    the outbox before that; so a kill anywhere in between ends in one answer after the restart."""
    import uuid

    from tests.support.matrix_client import MatrixTestUser

    localpart = f"helferbot_{uuid.uuid4().hex[:8]}"
    await synapse.register(localpart, "bot-password")
    bot_id = f"@{localpart}:{synapse.server_name}"
    section = {"homeserver": synapse.url, "user_id": bot_id, "password": "bot-password",
               "store_dir": str(tmp_path / "store")}
    bot = BotProcess(bot_config(tmp_path, db_url, matrix=section), tmp_path / "bot.log")
    person = await MatrixTestUser.create(synapse, f"berta_{uuid.uuid4().hex[:6]}", tmp_path / "berta")
    await bot.start()
    await person.start()
    try:
        room = await person.create_dm(bot_id, encrypted=True)
        await person.wait_for_join(room, bot_id, timeout=60)
        await person.send_text(room, "hallo")
        await person.wait_for_message(room, sender=bot_id, timeout=60)
        await person.send_text(room, "/kontakt Nürtingen")
        await asyncio.sleep(0.3)
        bot.kill()
        await bot.wait()
        await bot.start()
        await person.wait_for_message(room, sender=bot_id, contains="Nürtingen", timeout=90)
        await asyncio.sleep(QUIET_AFTER)
        again = [m["body"] for m in person.received
                 if m["room_id"] == room and m["sender"] == bot_id and "Nürtingen" in m["body"]]
        assert len(again) == 1, again
    finally:
        await bot.stop()
        await person.stop()


async def health(port: int) -> int:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http, \
            http.get(f"http://127.0.0.1:{port}/healthz") as response:
        return response.status


@pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="needs HELFERBOT_TEST_DATABASE_URL (PostgreSQL)")
async def test_messages_during_a_database_outage_are_answered_when_it_is_back(tmp_path, db_url, emulator):
    """PostgreSQL away for 15 s while 10 messages arrive (two each from five people): each person is told once
    that the answer comes shortly, and every message is answered, in order, once the database is back. The log
    says so in a few lines instead of a traceback per attempt, and /healthz reports the database down meanwhile."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    http_port = free_port()
    config = bot_config(tmp_path, proxied, telegram=telegram_section(emulator),
                        bot={"http_port": http_port, "http_listen": "127.0.0.1"})
    bot = BotProcess(config, tmp_path / "bot.log")
    people = [611, 612, 613, 614, 615]
    await bot.start()
    try:
        await polling(emulator)
        emulator.push_text(610, "/hilfe")
        await emulator.wait_for_sent(1, chat_id=610, timeout=60)
        assert await health(http_port) == 200

        proxy.cut()
        cut_at, log_before = asyncio.get_running_loop().time(), bot.log_size()
        for person in people:
            emulator.push_text(person, "/hilfe")
        await asyncio.sleep(2)
        for person in people:
            emulator.push_text(person, "/kontakt nurtingen")
        await asyncio.sleep(3)
        assert await health(http_port) == 503
        await asyncio.sleep(max(0.0, 15 - (asyncio.get_running_loop().time() - cut_at)))
        outage_log = bot.log_size() - log_before
        proxy.restore()

        for person in people:
            got = await emulator.wait_for_sent(3, chat_id=person, timeout=60)
            notice, helped, contact = (m.visible_text for m in got)
            assert "kurz nicht erreichbar" in notice
            assert "/kontakt" in helped and "Nürtingen" in contact, (helped, contact)
        await asyncio.sleep(QUIET_AFTER)
        for person in people:
            texts = [m.visible_text for m in emulator.sent_to(person)]
            assert len(texts) == 3, texts
            assert not any("schiefgegangen" in text for text in texts), texts
        assert await health(http_port) == 200
        assert outage_log < 20_000, f"{outage_log} bytes of log in a 15 s outage"
        log = (tmp_path / "bot.log").read_bytes().decode("utf-8", "replace")
        assert "Traceback" not in (tmp_path / "bot.log").read_bytes()[log_before:].decode("utf-8", "replace")
        assert "the database is back after" in log
    finally:
        await bot.stop()
        await proxy.stop()


async def test_a_broadcast_killed_halfway_resumes_within_seconds_of_the_restart(tmp_path, db_url, emulator, db):
    """The killed process's leases are not waited out for minutes: they are short and only renewed while the process
    lives, so the rest of the broadcast goes out within seconds of the restart, with no duplicate beyond the one
    message that was in flight."""
    from bot.core import outbox
    from bot.messages import Reply

    chats = list(range(700, 760))
    for chat in chats:
        emulator.private_chat(chat)
    section = telegram_section(emulator) | {"rate_per_second": 5}
    bot = BotProcess(bot_config(tmp_path, db_url, telegram=section), tmp_path / "bot.log")
    await bot.start()
    try:
        await polling(emulator)
        async with db.session() as session:
            await outbox.enqueue_many(session, [
                outbox.Outgoing(platform="telegram", chat_id=str(chat), reply=Reply(f"Rundschreiben an {chat}"))
                for chat in chats])
            await session.commit()
        await emulator.wait_for_sent(10, timeout=60)
        bot.kill()
        await bot.wait()
        before = len(emulator.sent)
        loop = asyncio.get_running_loop()
        restarted = loop.time()
        await bot.start()
        await until(lambda: len(emulator.sent) > before, timeout=60)
        assert loop.time() - restarted < 10, "the broadcast did not resume within 10 s of the restart"
        await until(lambda: {m.chat_id for m in emulator.sent} >= set(chats), timeout=90)
        copies = [len(emulator.sent_to(chat)) for chat in chats]
        assert all(n >= 1 for n in copies)
        assert sum(n - 1 for n in copies) <= 1, copies
    finally:
        await bot.stop()
