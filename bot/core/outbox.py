"""The delivery outbox: every push is a row first, then a message.

Writing the row in the same transaction as the change that causes it (an announcement, a claim decision) means
no crash, restart or platform error can lose a message: the worker picks up whatever is due. PostgreSQL rows are
claimed with `FOR UPDATE SKIP LOCKED`, so two bot processes never send the same row.

A chat's messages arrive in the order they were queued: a row waiting for another try, or out with another
worker, holds back the later rows of its chat. When a platform asks to slow down, the worker puts its batch back
without counting an attempt and leaves the platform alone for as long as it asked, so a long rate limit delays an
announcement but never fails it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.delivery import DeliveryError, PermanentDeliveryError, RetryLater
from bot.core.outage import is_outage
from bot.messages import Reply
from bot.storage.models import Delivery
from bot.timeutil import now

if TYPE_CHECKING:
    from bot.core.app import App

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"
MAX_ATTEMPTS = 12
LEASE = timedelta(seconds=10)
"""How long a row stays with the process that took it. The process renews its leases every few seconds while it
holds the rows (`bot.core.leases`), so a killed process's rows come back within this, not a slow send's."""
RATE_LIMITED = "rate limited"
LONGEST_PAUSE = timedelta(hours=1)
"""However long a platform asks to wait, the worker asks again after this, so a bogus answer cannot stop it."""
RATE_LIMIT_WARNING = timedelta(hours=6)
"""After this long of being refused without a break (and again every so long) the worker logs a warning."""
QUEUED = "outbox.queued"
"""Set in a session's `info` when it queued rows: after its commit the app wakes the workers (see `App`)."""
CHUNK = 5000


#: how long a message waits for an outgoing message to its chat to be sent and booked (see InFlight)
SETTLE_WAIT = 10.0


class InFlight:
    """Messages being sent right now, per chat, until their choices are remembered.

    A person can answer a pushed question ("1" for "Ja, ich komme") before the outbox has booked it: the platform
    shows the message as soon as it is sent, while the choices are stored just after.  A message from that chat
    waits for the booking, so that "1" is read with the choices the person sees (one process; bounded wait).
    """

    def __init__(self) -> None:
        self._chats: dict[tuple[str, str], tuple[int, asyncio.Event]] = {}

    @contextlib.asynccontextmanager
    async def sending(self, platform: str, chat_id: str):
        key = (platform, chat_id)
        count, done = self._chats.get(key, (0, asyncio.Event()))
        self._chats[key] = (count + 1, done)
        try:
            yield
        finally:
            count, done = self._chats[key]
            if count == 1:
                del self._chats[key]
                done.set()
            else:
                self._chats[key] = (count - 1, done)

    async def settled(self, platform: str, chat_id: str) -> None:
        entry = self._chats.get((platform, chat_id))
        if entry is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(entry[1].wait(), SETTLE_WAIT)


class QuietHours(Protocol):
    """Decides, when rows are due, which of them must wait for the end of their recipient's quiet hours."""

    async def hold(self, session: AsyncSession, rows: list[Delivery], at: datetime) -> dict[int, datetime | None]:
        """Row id -> when to try again (after `at`), or None to drop the row; rows not named go out now."""
        ...


@dataclass(frozen=True)
class Outgoing:
    """One row for `enqueue_many`."""

    platform: str
    chat_id: str
    reply: Reply
    user_id: int | None = None
    kind: str = "message"
    not_before: datetime | None = None
    quiet_hours: bool = False


async def enqueue(
    session: AsyncSession,
    *,
    platform: str,
    chat_id: str,
    reply: Reply,
    user_id: int | None = None,
    kind: str = "message",
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    quiet_hours: bool = False,
    deferred_by: str | None = None,
) -> Delivery | None:
    """Queue a reply; with a `dedupe_key` the same logical message is only ever queued once.

    `deferred_by` names the error that kept an adapter from sending a direct answer right away: like a row the
    worker must try again, the answer then holds back later messages to its chat until it has gone out.
    """
    if dedupe_key is not None:
        existing = await session.scalar(select(Delivery.id).where(Delivery.dedupe_key == dedupe_key))
        if existing is not None:
            return None
    row = Delivery(
        platform=platform,
        chat_id=chat_id,
        user_id=user_id,
        kind=kind,
        payload=reply.to_payload(),
        dedupe_key=dedupe_key,
        not_before=not_before or now(),
        respect_quiet_hours=quiet_hours,
        last_error=deferred_by,
    )
    session.add(row)
    await session.flush()
    session.info[QUEUED] = True
    return row


async def enqueue_many(session: AsyncSession, items: Sequence[Outgoing]) -> list[int]:
    """Queue many rows in few statements (an announcement to thousands); returns their ids in the given order.

    One multi-row INSERT instead of thousands of ORM objects keeps the transaction that causes the messages
    short, so the rows still appear together with that change or not at all.
    """
    if not items:
        return []
    t = now()
    params = [
        {
            "platform": item.platform,
            "chat_id": item.chat_id,
            "user_id": item.user_id,
            "kind": item.kind,
            "payload": item.reply.to_payload(),
            "dedupe_key": None,
            "respect_quiet_hours": item.quiet_hours,
            "status": PENDING,
            "attempts": 0,
            "not_before": item.not_before or t,
            "created_at": t,
        }
        for item in items
    ]
    session.info[QUEUED] = True
    keys = [(item.platform, item.chat_id) for item in items]
    if len(set(keys)) < len(keys):
        result = await session.execute(insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True), params)
        return list(result.scalars())
    # One row per chat: the ids are matched by chat, which lets the database take the rows in large batches
    # (asking for them in the given order makes SQLAlchemy insert one row per statement on SQLite).
    result = await session.execute(insert(Delivery).returning(Delivery.id, Delivery.platform, Delivery.chat_id), params)
    found = {(platform, chat_id): delivery_id for delivery_id, platform, chat_id in result}
    return [found[key] for key in keys]


async def lease_replies(session: AsyncSession, platform: str, chat_id: str, replies: Sequence[Reply]) -> list[int]:
    """The answers to an incoming message, as rows already out with this process: written in the handler's own
    transaction, so a crash between the commit and the sending loses nothing (the lease runs out and the
    worker sends them), while the adapter sends them at once as before and then `finish_reply`s them."""
    t = now()
    rows = [Delivery(platform=platform, chat_id=chat_id, kind="reply", payload=reply.to_payload(), status=SENDING,
                     attempts=1, not_before=t, locked_until=t + LEASE, created_at=t) for reply in replies]
    session.add_all(rows)
    await session.flush()
    return [row.id for row in rows]


async def finish_reply(session: AsyncSession, delivery_ids: Sequence[int]) -> None:
    """An answer is out: its row is not kept (it may hold personal data and has done its job)."""
    await session.execute(delete(Delivery).where(Delivery.id.in_(list(delivery_ids)))
                          .execution_options(synchronize_session=False))


async def release_replies(session: AsyncSession, delivery_ids: Sequence[int], *, delay: float, reason: str) -> None:
    """Answers the platform did not take now: the worker sends them after `delay`, before anything newer."""
    await session.execute(
        update(Delivery).where(Delivery.id.in_(list(delivery_ids)), Delivery.status == SENDING)
        .values(status=PENDING, locked_until=None, not_before=now() + timedelta(seconds=delay), last_error=reason[:255])
        .execution_options(synchronize_session=False))
    session.info[QUEUED] = True


async def fail_replies(session: AsyncSession, delivery_ids: Sequence[int], reason: str) -> None:
    await session.execute(
        update(Delivery).where(Delivery.id.in_(list(delivery_ids)))
        .values(status=FAILED, locked_until=None, last_error=reason[:255])
        .execution_options(synchronize_session=False))


async def renew(session: AsyncSession, delivery_ids: Sequence[int]) -> None:
    """Keep the leases of rows this process still holds."""
    await session.execute(
        update(Delivery).where(Delivery.id.in_(list(delivery_ids)), Delivery.status == SENDING)
        .values(locked_until=now() + LEASE).execution_options(synchronize_session=False))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 2 ** min(attempts, 12)) * (0.75 + random.random() / 2))


async def claim(app: App, platform: str, limit: int, worker_id: str) -> list[Delivery]:
    """Take up to `limit` due rows for `platform` under a lease, so a crashed worker's rows come back.

    Rows come oldest first, and a row is left alone while an earlier row of its chat is out with another worker or
    waits for another try, so a chat's messages never overtake each other. On PostgreSQL claims for one platform
    take turns (a transaction lock): a claim running alongside would not yet see the other's rows as taken.

    Rows that must wait for their recipient's quiet hours get a later `not_before` instead (or are dropped when
    the policy says so) in the same transaction, and the next due rows are looked at in their place.
    """
    policy: QuietHours | None = app.quiet_hours
    after = 0
    passed: set[str] = set()
    """Chats with a row left behind on an earlier page: their later rows must wait too, even if what held that row
    back has ended in the meantime (each page is its own transaction)."""
    async with app.db.session() as session:
        while True:
            if not app.db.is_sqlite:
                await session.execute(select(func.pg_advisory_xact_lock(_lock_key(platform))))
            t = now()
            rows = await _due(app, session, platform, limit, t, after)
            first = await _first_waiting(session, platform, {r.chat_id for r in rows}, t)
            # Rows this process still holds (their lease ran out while the database was away) stay with it, and
            # hold back their chats.
            mine = {r.chat_id for r in rows if r.id in app.leases.held}
            free = [r for r in rows
                    if first.get(r.chat_id, r.id) >= r.id and r.chat_id not in passed and r.chat_id not in mine]
            quiet = [r for r in free if r.respect_quiet_hours and r.status == PENDING]
            held = await policy.hold(session, quiet, t) if policy is not None and quiet else {}
            taken = []
            for row in free:
                if row.id in held and (held[row.id] is None or held[row.id] > t):
                    until = held[row.id]
                    if until is None:
                        row.status, row.last_error = CANCELLED, "dropped in quiet hours"
                    else:
                        row.not_before = until
                    continue
                row.status = SENDING
                row.locked_until = t + LEASE
                row.attempts += 1
                taken.append(row)
            await session.commit()
            if taken or len(rows) < limit:
                return taken
            after = rows[-1].id
            passed.update(r.chat_id for r in rows)


def _lock_key(platform: str) -> int:
    return zlib.crc32(f"outbox:{platform}".encode())


async def _due(
    app: App, session: AsyncSession, platform: str, limit: int, t: datetime, after: int
) -> list[Delivery]:
    due = (
        select(Delivery)
        .where(
            Delivery.platform == platform,
            or_(
                Delivery.status == PENDING,
                (Delivery.status == SENDING) & (Delivery.locked_until < t),
            ),
            Delivery.not_before <= t,
            Delivery.id > after,
        )
        .order_by(Delivery.id)
        .limit(limit)
    )
    if not app.db.is_sqlite:
        due = due.with_for_update(skip_locked=True)
    return list(await session.scalars(due))


async def _first_waiting(session: AsyncSession, platform: str, chats: set[str], t: datetime) -> dict[str, int]:
    """Per chat, the id of its first row that holds back the later ones: out with another worker, or tried and
    waiting for the next try. A row that was never tried and is not due yet (a reminder for next week, a message
    held for quiet hours) was meant to come later and holds nothing back."""
    if not chats:
        return {}
    rows = await session.execute(
        select(Delivery.chat_id, func.min(Delivery.id))
        .where(
            Delivery.platform == platform,
            Delivery.chat_id.in_(chats),
            or_(
                (Delivery.status == SENDING) & (Delivery.locked_until >= t),
                (Delivery.status == PENDING) & (Delivery.not_before > t) & Delivery.last_error.is_not(None),
            ),
        )
        .group_by(Delivery.chat_id)
    )
    return {chat_id: first_id for chat_id, first_id in rows}


async def mark_sent(app: App, delivery_id: int, message_id: str) -> None:
    async with app.db.session() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=SENT, platform_message_id=message_id, sent_at=now(), locked_until=None, last_error=None)
        )
        await session.commit()


async def mark_retry(app: App, row: Delivery, error: str, delay: timedelta) -> str:
    status = FAILED if row.attempts >= MAX_ATTEMPTS else PENDING
    async with app.db.session() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == row.id)
            .values(status=status, not_before=now() + delay, locked_until=None, last_error=error[:255])
        )
        await session.commit()
    return status


async def put_back(app: App, rows: Sequence[Delivery], *, wait: timedelta | None = None) -> None:
    """Return claimed rows to the queue without counting the attempt: they were not tried, or the platform
    refused them all for a while, which says nothing about the messages.

    With `wait` they are due again only after it and count as waiting for a try, so the later rows of their
    chats cannot overtake them in the meantime.
    """
    values: dict = {"status": PENDING, "locked_until": None, "attempts": Delivery.attempts - 1}
    if wait is not None:
        values |= {"not_before": now() + wait, "last_error": RATE_LIMITED}
    async with app.db.session() as session:
        await session.execute(
            update(Delivery).where(Delivery.id.in_([r.id for r in rows]), Delivery.status == SENDING).values(**values)
        )
        await session.commit()


async def mark_failed(app: App, row: Delivery, error: str) -> None:
    async with app.db.session() as session:
        await session.execute(
            update(Delivery).where(Delivery.id == row.id).values(status=FAILED, locked_until=None, last_error=error[:255])
        )
        await session.commit()


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return {status: n for status, n in rows}


async def open_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(platform, status, count) of rows still to send or given up on, for the metrics."""
    rows = await session.execute(
        select(Delivery.platform, Delivery.status, func.count())
        .where(Delivery.status.in_((PENDING, SENDING, FAILED)))
        .group_by(Delivery.platform, Delivery.status)
    )
    return [tuple(row) for row in rows]


async def due_count(session: AsyncSession, platform: str) -> int:
    """Rows of `platform` that are due now or out with a worker."""
    return await session.scalar(
        select(func.count()).select_from(Delivery).where(
            Delivery.platform == platform, Delivery.status.in_((PENDING, SENDING)), Delivery.not_before <= now(),
        )
    ) or 0


async def status_of(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, tuple[str, str]]:
    """(status, kind) of the given rows, by id."""
    wanted = sorted({i for i in ids if i is not None})
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = await session.execute(
            select(Delivery.id, Delivery.status, Delivery.kind).where(Delivery.id.in_(wanted[start:start + CHUNK])))
        found.update((i, (status, kind)) for i, status, kind in rows)
    return found


async def send_times(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, datetime]:
    """When each of the given rows is to go out (`not_before`), by id: a feature asks what it queued already."""
    wanted = sorted({i for i in ids if i is not None})
    found: dict[int, datetime] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = await session.execute(
            select(Delivery.id, Delivery.not_before).where(Delivery.id.in_(wanted[start:start + CHUNK])))
        found.update((i, at) for i, at in rows)
    return found


async def erase_chat(session: AsyncSession, platform: str, chat_id: str) -> None:
    """Everything queued for or sent to a chat whose person asked to be forgotten."""
    await session.execute(delete(Delivery).where(Delivery.platform == platform, Delivery.chat_id == chat_id))


async def purge_finished(session: AsyncSession, before: datetime) -> int:
    """Drop rows that were sent, given up on or cancelled before `before`; returns how many."""
    result = await session.execute(
        delete(Delivery).where(Delivery.status.in_((SENT, FAILED, CANCELLED)), Delivery.created_at < before)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


async def cancel_pending(session: AsyncSession, ids: Sequence[int | None], reason: str) -> set[int]:
    """Cancel those of the rows that are still pending; returns the ids cancelled."""
    wanted = [i for i in ids if i is not None]
    done: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        result = await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(wanted[start:start + CHUNK]), Delivery.status == PENDING)
            .values(status=CANCELLED, last_error=reason)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
        done.update(result.scalars())
    return done


class DeliveryWorker:
    """Sends due outbox rows through one adapter at that adapter's rate, pausing when the platform asks to."""

    def __init__(self, app: App, platform: str, *, poll_interval: float = 0.5, batch: int = 50):
        self.app = app
        self.platform = platform
        self.poll_interval = poll_interval
        self.batch = batch
        self.worker_id = f"{platform}-{random.getrandbits(32):08x}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._interval = 0.0
        self._next_at = 0.0
        self._resume_at = 0.0
        self._limited_since: datetime | None = None
        self._warned_at: datetime | None = None
        self._outage_attempts = 0

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        adapter = self.app.adapters[self.platform]
        self._interval = 1.0 / max(adapter.rate_per_second, 0.001)
        self._next_at = asyncio.get_running_loop().time()
        while not self._stopping:
            # Nothing is claimed during a pause, so no row sits under a lease that could run out meanwhile.
            await self._pause_until(self._resume_at)
            if self._stopping:
                return
            wait = self.poll_interval
            try:
                if self.app.leases.finished:
                    await self.app.leases.flush()  # answers sent while the database was away are not sent again
                rows = await claim(self.app, self.platform, self.batch, self.worker_id)
                self.app.outage.ok()
                self._outage_attempts = 0
                if rows:
                    ids = [r.id for r in rows]
                    self.app.leases.hold(ids)
                    try:
                        await self.deliver_batch(rows)
                    finally:
                        self.app.leases.release(ids)
                    continue
            except Exception as exc:  # a database hiccup must not end the queue: the leases bring the rows back
                if is_outage(exc):
                    # One line when the outage starts (and one when it ends), and ever longer waits meanwhile.
                    self.app.outage.failed(f"the outbox worker for {self.platform}")
                    self._outage_attempts += 1
                    wait = max(wait, self.app.outage.wait_seconds(self._outage_attempts))
                else:
                    log.exception("outbox worker for %s hit an error; going on", self.platform)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except TimeoutError:
                pass

    async def _pause_until(self, at: float) -> None:
        """Wait until loop time `at`; new rows do not end the wait, stopping does."""
        loop = asyncio.get_running_loop()
        while not self._stopping and (left := at - loop.time()) > 0:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)

    async def deliver_batch(self, rows: Sequence[Delivery]) -> int:
        """Send claimed rows in their order; returns how many went out.

        Once a chat's row has to be tried again, the chat's later rows of the batch go back untried, so they cannot
        arrive before it. A rate limit puts the whole rest of the batch back: the platform would refuse it as well.
        """
        loop = asyncio.get_running_loop()
        retrying: set[str] = set()
        sent = 0
        for index, row in enumerate(rows):
            if row.chat_id in retrying:
                await put_back(self.app, [row])
                continue
            wait = self._next_at - loop.time()
            if wait > 0 and not self._stopping:
                await asyncio.sleep(wait)
            if self._stopping:
                # Rows not yet sent go back to pending at once instead of waiting for their lease.
                await put_back(self.app, rows[index:])
                return sent
            # Paced by a schedule rather than a pause after each send: a slow send or the next claim is made
            # up by the following send, but never by more than one interval, so sends do not bunch up.
            self._next_at = max(self._next_at, loop.time() - self._interval) + self._interval
            try:
                status = await self.deliver(row)
            except RetryLater as exc:
                await self._rate_limited(rows[index:], exc.seconds)
                return sent
            self._limited_since = self._warned_at = None
            if status == SENT:
                sent += 1
            elif status == PENDING:
                retrying.add(row.chat_id)
        return sent

    async def _rate_limited(self, rows: Sequence[Delivery], seconds: float) -> None:
        pause = min(max(seconds, 0.0), LONGEST_PAUSE.total_seconds())
        await put_back(self.app, rows, wait=timedelta(seconds=pause))
        self._resume_at = asyncio.get_running_loop().time() + pause
        t = now()
        self._limited_since = self._limited_since or t
        limited_for = t - self._limited_since
        if limited_for >= RATE_LIMIT_WARNING and (self._warned_at is None or t - self._warned_at >= RATE_LIMIT_WARNING):
            self._warned_at = t
            async with self.app.db.session() as session:
                waiting = await session.scalar(select(func.count()).select_from(Delivery).where(
                    Delivery.platform == self.platform, Delivery.status == PENDING))
            log.warning("%s has refused messages for %.1f hours without a break; messages waiting: %d, none is "
                        "given up", self.platform, limited_for.total_seconds() / 3600, waiting or 0)

    async def deliver(self, row: Delivery) -> str:
        """Send one claimed row and record the outcome; returns the row's new status.

        A rate limit is raised (`RetryLater`) rather than recorded: it concerns the platform, not this row, and
        `deliver_batch` puts back what the platform would refuse.
        """
        async with self.app.in_flight.sending(self.platform, row.chat_id):
            return await self._deliver(row)

    async def _deliver(self, row: Delivery) -> str:
        adapter = self.app.adapters[self.platform]
        reply = Reply.from_payload(row.payload)
        try:
            message_id = await adapter.send(row.chat_id, reply, idempotency_key=f"outbox-{row.id}")
        except RetryLater:
            self.app.metrics.platform_error(self.platform, "rate_limited")
            raise
        except PermanentDeliveryError as exc:
            self.app.metrics.platform_error(self.platform, "permanent")
            await mark_failed(self.app, row, type(exc).__name__)
            return FAILED
        except DeliveryError as exc:
            self.app.metrics.platform_error(self.platform, "transient")
            return await mark_retry(self.app, row, type(exc).__name__, backoff(row.attempts))
        except Exception as exc:  # an adapter bug must not stop the queue
            log.exception("delivery %s failed in the adapter", row.id)
            self.app.metrics.platform_error(self.platform, "bug")
            return await mark_retry(self.app, row, type(exc).__name__, backoff(row.attempts))
        await mark_sent(self.app, row.id, message_id)
        self.app.metrics.delivered(self.platform)
        # Choices pushed to a person (user_id set: their private chat) can be answered by typing the label, also
        # where buttons are native; rooms get numbers only where buttons are missing.
        if reply.buttons and (not adapter.native_buttons or row.user_id is not None):
            try:
                await self.app.remember_menu(self.platform, row.chat_id, reply)
            except Exception:  # the message is out; only typing a choice instead of tapping it would not work
                log.exception("could not remember the choices of delivery %s", row.id)
        return SENT
