"""The logs of a bot at DEBUG on the real platform stacks hold no message texts and no names.

python-telegram-bot logs whole updates (text, first name) at DEBUG, httpx the URLs it calls (with the bot token),
nio the events of a sync. An operator who turns `log_level = "DEBUG"` on, or even lowers a library's logger to
DEBUG while hunting a platform problem, must still get logs without what people wrote.
"""

from __future__ import annotations

import io
import json
import logging
from contextlib import contextmanager

from bot import logs
from tests.support.scenes import matrix_bot, telegram_bot
from tests.support.telegram_person import FAST, TelegramPerson

SECRET_TEXT = "Zwetschgenkuchen bei Frau Quenstedt"
FIRST_NAME = "Zenobia"


@contextmanager
def debug_logs(*libraries: str):
    """`helferbot run` logging at DEBUG, with the named libraries' loggers lowered to DEBUG as well."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    saved_levels = {name: logging.getLogger(name).level for name in logs.LIBRARY_LOGGERS}
    logs.setup("DEBUG", stream)
    for name in libraries:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, value in saved_levels.items():
            logging.getLogger(name).setLevel(value)


def entries(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_telegram_at_debug_logs_neither_texts_nor_first_names(tmp_path, db_url, db):
    with debug_logs("telegram", "httpx", "httpcore") as stream:
        async with telegram_bot(tmp_path, db_url, db, bot={**FAST, "log_level": "DEBUG"}) as (app, emu):
            emu.user(41, first_name=FIRST_NAME)
            person = TelegramPerson(emu, 41)
            await person.say(f"Wer ist in Nürtingen zuständig? {SECRET_TEXT}", "Nürtingen")
            await person.say("/hilfe", "Was ich kann")
            token = emu.token
    out = stream.getvalue()
    libraries = [e for e in entries(stream) if e["logger"].startswith(("telegram", "httpx"))]
    assert libraries, "the libraries wrote nothing at DEBUG, so this test proves nothing"
    for secret in (SECRET_TEXT, "Quenstedt", FIRST_NAME, "Nürtingen zuständig", token):
        assert secret not in out, secret


async def test_matrix_at_debug_logs_neither_texts_nor_names(synapse, tmp_path, db_url, db):
    with debug_logs("nio", "aiohttp") as stream:
        async with matrix_bot(synapse, tmp_path, db_url, db, ["zenobia"], bot=FAST) as scene:
            [person] = scene.people
            await scene.say(person, f"!kontakt Nürtingen {SECRET_TEXT}", "Nürtingen")
    out = stream.getvalue()
    assert any(e["logger"].startswith("nio") for e in entries(stream)), "nio wrote nothing at DEBUG"
    for secret in (SECRET_TEXT, "Quenstedt"):
        assert secret not in out, secret
