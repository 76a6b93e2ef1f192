"""One announcement to many subscribers on Telegram, with the sending bot killed and restarted halfway.

    python bench/broadcast.py [--subscribers 10000] [--rate 30] [--limit 30] [--kill-at 0.5]
                              [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

A round table is announced to `--subscribers` people subscribed to its Gemeinde (the fan-out runs in this
process, as the confirm button would run it: one transaction writes the event and one outbox row per person).
The bot then runs as it does in production, as its own process (`helferbot run`), against the Bot API emulator
of the test suite served from this process on 127.0.0.1, which answers 429 above `--limit` messages a second as
Telegram does. When `--kill-at` of the subscribers have their message, the bot process gets SIGKILL at the worst
moment, from inside the emulator right after it accepted a message and before the bot has its answer (no clean
shutdown: the rows its worker had claimed stay leased), and a new bot process is started on the same database.

Printed per database: the time to queue the announcement, the achieved sending rate of each bot process
(first to last message it sent) against the configured `telegram.rate_per_second`, the 429 answers the emulator
gave, and after the restart: subscribers who got nothing (lost), extra copies (duplicates), and how many
messages were in flight at the kill (claimed, already accepted by the emulator, not yet marked sent), which is
the most that may arrive twice. The rows the killed process held come back when their lease (two minutes) runs
out; `--expire-leases` ends the leases at once, for short runs with few subscribers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, update  # noqa: E402

from bench.common import scratch_postgres  # noqa: E402
from bot import config as config_mod  # noqa: E402
from bot.core import outbox  # noqa: E402
from bot.meetings import service  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.models import Delivery, User  # noqa: E402
from bot.storage.models_meetings import Subscription  # noqa: E402
from bot.timeutil import now  # noqa: E402
from bot.wiring import build_app  # noqa: E402
from tests.support.telegram_emulator import TelegramEmulator  # noqa: E402

TOKEN = "434343:BROADCAST"
PLACE = "06439015"  # Taunusstein
TITLE = "Runder Tisch Asyl"
FIRST_ID = 5_000_000


class Emulator(TelegramEmulator):
    """The emulator, counting the announcements as they arrive (scanning `sent` would slow the server down),
    and able to kill the bot process the moment it accepts a given one, before its answer leaves: the worst
    moment, with a message delivered but not yet recorded as sent."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kill_after: int | None = None
        self.victim: int | None = None
        self.arrivals: list[float] = []
        self.copies: Counter[int] = Counter()

    def _record(self, sent) -> None:
        super()._record(sent)
        if sent.method == "sendMessage" and sent.text and TITLE in sent.text:
            self.arrivals.append(sent.time)
            self.copies[sent.chat_id] += 1
            if self.victim is not None and self.kill_after is not None and len(self.arrivals) >= self.kill_after:
                os.kill(self.victim, signal.SIGKILL)
                self.victim = None


@dataclass
class Phase:
    times: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        if len(self.times) < 2:
            return 0.0
        return (len(self.times) - 1) / (self.times[-1] - self.times[0])


@dataclass
class Result:
    backend: str
    queue_seconds: float
    phases: list[Phase]
    count_429: int
    lost: int
    duplicates: int
    in_flight: int
    leased: int
    wall: float


async def seed(database_url: str, config_path: Path, subscribers: int) -> float:
    """Subscribers in the database, then the announcement; returns the seconds the fan-out took."""
    db = Database(database_url)
    await db.migrate()
    async with db.session() as session:
        t = now()
        ids = list((await session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"platform": "telegram", "platform_user_id": str(FIRST_ID + i), "language": "de",
             "language_chosen": False, "dm_chat_id": str(FIRST_ID + i), "created_at": t, "last_seen_at": t}
            for i in range(subscribers)
        ])).scalars())
        await session.execute(insert(Subscription), [{"user_id": i, "place_id": PLACE, "created_at": t} for i in ids])
        await session.commit()
    app = build_app(config_mod.load(config_path), db=db)
    began = time.perf_counter()
    async with db.session() as session:
        await service.create(app, session, service.Fields(
            title=TITLE, starts_at=now() + timedelta(days=10), ends_at=now() + timedelta(days=10, hours=3),
            place_id=PLACE, location="Rathaus Taunusstein-Hahn", topic="Asyl"), None)
        await session.commit()
    elapsed = time.perf_counter() - began
    await db.dispose()
    return elapsed


async def claimed_rows(database_url: str) -> list[tuple[int, str]]:
    db = Database(database_url)
    async with db.session() as session:
        rows = (await session.execute(select(Delivery.id, Delivery.chat_id).where(
            Delivery.status == outbox.SENDING, Delivery.kind == service.ANNOUNCE))).all()
    await db.dispose()
    return [(r[0], r[1]) for r in rows]


async def expire_leases(database_url: str) -> None:
    db = Database(database_url)
    async with db.session() as session:
        await session.execute(update(Delivery).where(Delivery.status == outbox.SENDING)
                              .values(locked_until=now() - timedelta(seconds=1)))
        await session.commit()
    await db.dispose()


async def start_bot(emu: Emulator, env: dict, config_path: Path, log_path: Path):
    log = log_path.open("ab")
    calls_before = sum(1 for name, _ in emu.calls if name == "getUpdates")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(config_path), env=env, cwd=ROOT,
        stdout=log, stderr=log)
    deadline = time.monotonic() + 180
    while sum(1 for name, _ in emu.calls if name == "getUpdates") <= calls_before:
        if proc.returncode is not None or time.monotonic() > deadline:
            raise SystemExit(f"the bot did not start; see {log_path}")
        await asyncio.sleep(0.1)
    return proc, log


async def run_once(backend: str, database_url: str, args: argparse.Namespace, data: Path) -> Result:
    config_path = data / f"bench-{backend}.toml"
    config_path.write_text('[events]\nquiet_hours = "off"\n', encoding="utf-8")
    queue_seconds = await seed(database_url, config_path, args.subscribers)
    wanted = {FIRST_ID + i for i in range(args.subscribers)}
    async with Emulator(token=TOKEN, rate_limit_per_s=args.limit, bot_username="helfer_bench_bot") as emu:
        for chat_id in wanted:
            emu.private_chat(chat_id)
        env = {
            **os.environ,
            "HELFERBOT_TELEGRAM_TOKEN": TOKEN,
            "HELFERBOT_TELEGRAM_API_BASE_URL": emu.base_url,
            "HELFERBOT_TELEGRAM_FILE_BASE_URL": emu.base_file_url,
            "HELFERBOT_TELEGRAM_RATE_PER_SECOND": str(args.rate),
            "HELFERBOT_DATABASE_URL": database_url,
            "HELFERBOT_BOT_DATA_DIR": str(data),
            "HELFERBOT_BOT_LOG_LEVEL": "WARNING",
            "HELFERBOT_BOT_SECRET_KEY": "bench-secret-key-0123456789abcdef",
            "PTB_TIMEDELTA": "true",
        }
        log_path = data / f"bot-{backend}.log"
        began = time.monotonic()
        proc, log = await start_bot(emu, env, config_path, log_path)
        # SIGKILL: nothing is cleaned up, as in a crash or a power cut.
        emu.kill_after, emu.victim = int(args.subscribers * args.kill_at), proc.pid
        try:
            await proc.wait()
        finally:
            log.close()
        if emu.victim is not None:
            raise SystemExit(f"the bot stopped by itself; see {log_path}")
        killed_at = len(emu.arrivals)
        received = set(emu.copies)
        leased = await claimed_rows(database_url)
        in_flight = sum(1 for _id, chat in leased if int(chat) in received)
        if args.expire_leases:
            await expire_leases(database_url)

        proc, log = await start_bot(emu, env, config_path, log_path)
        try:
            deadline = time.monotonic() + args.subscribers / min(args.rate, args.limit) * 2 + 300
            while len(emu.copies) < len(wanted):
                if proc.returncode is not None or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.0)  # a stray second copy would show up now
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                await proc.wait()
            log.close()
        wall = time.monotonic() - began
        return Result(
            backend=backend, queue_seconds=queue_seconds,
            phases=[Phase(emu.arrivals[:killed_at]), Phase(emu.arrivals[killed_at:])],
            count_429=emu.count_429, lost=len(wanted - set(emu.copies)),
            duplicates=sum(n - 1 for n in emu.copies.values()), in_flight=in_flight, leased=len(leased), wall=wall,
        )


def report(result: Result, args: argparse.Namespace) -> None:
    first, second = result.phases
    within = all(abs(p.rate - args.rate) <= 0.1 * args.rate for p in result.phases if len(p.times) > 1)
    print(f"[{result.backend}] {args.subscribers} subscribers, configured {args.rate:g} messages/s, "
          f"emulator limit {args.limit:g}/s")
    print(f"  queued the announcement (event + {args.subscribers} outbox rows + reminders) in "
          f"{result.queue_seconds:.2f} s")
    print(f"  bot 1 (killed): {len(first.times):>6} messages at {first.rate:6.2f}/s")
    print(f"  bot 2 (restart): {len(second.times):>5} messages at {second.rate:6.2f}/s")
    print(f"  achieved rate within 10 % of the configured rate: {'yes' if within else 'no'}")
    print(f"  429 answers from the emulator: {result.count_429}")
    print(f"  at the kill: {result.leased} rows claimed, {result.in_flight} of them already delivered (in flight)")
    print(f"  lost: {result.lost}   duplicates: {result.duplicates} (allowed: at most {result.in_flight})")
    print(f"  wall time including the restart: {result.wall:.1f} s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=30.0, help="the bot's telegram.rate_per_second")
    parser.add_argument("--limit", type=float, default=30.0, help="messages/s the emulator allows before 429")
    parser.add_argument("--kill-at", type=float, default=0.5037,
                        help="fraction delivered when the bot is killed (default: inside a claimed batch)")
    parser.add_argument("--expire-leases", action="store_true",
                        help="end the killed bot's leases at once instead of after two minutes")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is created there)")
    parser.add_argument("--only-postgres", action="store_true", help="skip the SQLite run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        if not args.only_postgres:
            report(await run_once("sqlite", f"sqlite+aiosqlite:///{data / 'bench.sqlite3'}", args, data), args)
        if args.postgres:
            name = f"helferbot_bench_{secrets.token_hex(4)}"
            url = await scratch_postgres(args.postgres, True, name)
            try:
                report(await run_once("postgresql", url, args, data), args)
            finally:
                await scratch_postgres(args.postgres, False, name)


if __name__ == "__main__":
    asyncio.run(main())
