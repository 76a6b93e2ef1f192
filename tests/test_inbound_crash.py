"""Nothing lost on the way in: the real bot, killed with SIGKILL while it handles a message, answers it after the
restart, exactly once (Telegram keeps an update until the bot confirms it, and the bot confirms only what it has
handled; the answers of a handled message are in the outbox before the update is confirmed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.bot_process import BotProcess, until, write_config
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
