"""Throughput and reply latency of the bot on Telegram, with many people writing at once.

    python bench/telegram_throughput.py [--users 200] [--messages 10] [--rate 1000]
                                        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

The bot runs as it does in production, as its own process (`helferbot run`), configured by environment variables
to use the Bot API emulator of the test suite, served from this process over HTTP on 127.0.0.1. Each simulated
person writes, waits for the answer, and writes the next message: help, contact questions (place resolution and
directory lookup), the language menu and a button press, their roles. The emulator's flood limits are off and the
bot's own limit is `--rate` messages/s, so the figures show the bot, not Telegram's pacing (at the default 25/s,
2000 replies take 80 s whatever the bot does).

Printed per database: handled updates per second (all updates from the first message to the last answer), the
reply latency from the moment a person's message is available to the bot until the answer reached the emulator
(p50, p95, max), and the CPU time the bot process used. SQLite always; PostgreSQL with --postgres, for which a
scratch database is created on that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import scratch_postgres  # noqa: E402
from tests.support.telegram_emulator import SentMessage, TelegramEmulator  # noqa: E402

TOKEN = "424242:BENCH"
SCRIPT = [
    ("text", "/hilfe"),
    ("text", "Wer ist mein Ansprechpartner in Nürtingen?"),
    ("text", "/sprache"),
    ("press", ""),
    ("text", "/kontakt Landkreis Esslingen"),
    ("text", "Ansprechpartner 72622"),
    ("text", "/rollen"),
    ("text", "/kontakt Esslingen"),
    ("text", "Kontakt Tübingen Bildung"),
    ("text", "/hilfe"),
]
"""Every step is answered with exactly one message (the press edits the language menu)."""


class Emulator(TelegramEmulator):
    """The emulator, telling each simulated person when their answer arrived."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.waiting: dict[int, asyncio.Future[SentMessage]] = {}

    def _record(self, sent: SentMessage) -> None:
        super()._record(sent)
        future = self.waiting.pop(sent.chat_id, None)
        if future is not None and not future.done():
            future.set_result(sent)


@dataclass
class Result:
    backend: str
    updates: int
    seconds: float
    latencies: list[float]
    cpu: float

    def line(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        p50 = statistics.median(ms)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        return (f"{self.backend:<11} {self.updates:>7} {self.updates / self.seconds:>10.1f} {p50:>8.1f} {p95:>8.1f} "
                f"{ms[-1]:>8.1f} {self.cpu:>8.1f}")


async def ask(emu: Emulator, person: int, kind: str, text: str, last: SentMessage | None) -> SentMessage:
    future: asyncio.Future[SentMessage] = asyncio.get_running_loop().create_future()
    emu.waiting[person] = future
    if kind == "press" and last is not None and last.button_data():
        emu.push_callback(person, last.button_data()[0], message_id=last.message_id)
    else:
        emu.push_text(person, text if kind == "text" else "/hilfe")
    return await asyncio.wait_for(future, 120)


async def person(emu: Emulator, number: int, messages: int, latencies: list[float]) -> None:
    last = None
    for step in range(messages):
        kind, text = SCRIPT[step % len(SCRIPT)]
        began = time.monotonic()
        last = await ask(emu, number, kind, text, last)
        latencies.append(last.time - began)


async def run_once(backend: str, database_url: str, users: int, messages: int, rate: float, data: Path) -> Result:
    async with Emulator(token=TOKEN, bot_username="helfer_bench_bot") as emu:
        env = {
            **os.environ,
            "HELFERBOT_TELEGRAM_TOKEN": TOKEN,
            "HELFERBOT_TELEGRAM_API_BASE_URL": emu.base_url,
            "HELFERBOT_TELEGRAM_FILE_BASE_URL": emu.base_file_url,
            "HELFERBOT_TELEGRAM_RATE_PER_SECOND": str(rate),
            "HELFERBOT_DATABASE_URL": database_url,
            "HELFERBOT_BOT_DATA_DIR": str(data),
            "HELFERBOT_BOT_LOG_LEVEL": "WARNING",
            "HELFERBOT_BOT_SECRET_KEY": "bench-secret-key-0123456789abcdef",
            "PTB_TIMEDELTA": "true",
        }
        log = (data / f"bot-{backend}.log").open("wb")
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", env=env, cwd=ROOT,
                                                    stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 180
            while not any(name == "getUpdates" for name, _ in emu.calls):
                if proc.returncode is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the bot did not start; see {log.name}")
                await asyncio.sleep(0.1)
            # Warm-up: the place index and the database pool come up on first use.
            await person(emu, 1, len(SCRIPT), [])
            latencies: list[float] = []
            began = time.monotonic()
            await asyncio.gather(*(person(emu, 1000 + n, messages, latencies) for n in range(users)))
            elapsed = time.monotonic() - began
        finally:
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
            log.close()
    usage = os.times()
    return Result(backend, users * messages, elapsed, latencies, usage.children_user + usage.children_system)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10, help="messages per person")
    parser.add_argument("--rate", type=float, default=1000.0, help="the bot's telegram.rate_per_second")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is created there)")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        cpu_before = os.times().children_user + os.times().children_system
        sqlite = f"sqlite+aiosqlite:///{data / 'bench.sqlite3'}"
        result = await run_once("sqlite", sqlite, args.users, args.messages, args.rate, data)
        result.cpu -= cpu_before
        results.append(result)
        if args.postgres:
            name = f"helferbot_bench_{secrets.token_hex(4)}"
            url = await scratch_postgres(args.postgres, True, name)
            try:
                cpu_before = os.times().children_user + os.times().children_system
                result = await run_once("postgresql", url, args.users, args.messages, args.rate, data)
                result.cpu -= cpu_before
                results.append(result)
            finally:
                await scratch_postgres(args.postgres, False, name)

    print(f"{args.users} people x {args.messages} messages, bot limited to {args.rate:g} messages/s, "
          f"{os.cpu_count()} CPU cores (bot and emulator share them)")
    print(f"{'database':<11} {'updates':>7} {'updates/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'bot CPU s':>8}")
    for result in results:
        print(result.line())


if __name__ == "__main__":
    asyncio.run(main())
