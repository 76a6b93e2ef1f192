"""Pushes go through the outbox: nothing is lost to a platform error, a crash or a second process."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot import users
from bot.core import outbox
from bot.messages import Reply
from bot.platforms.base import DeliveryError, PermanentDeliveryError, RetryLater
from bot.storage.models import Delivery
from bot.timeutil import now
from tests.support.backend import RecordingAdapter, deliver_due


async def queue(app, n: int = 1, chat: str = "dm-anna") -> None:
    async with app.db.session() as session:
        for i in range(n):
            await outbox.enqueue(session, platform="test", chat_id=chat, reply=Reply(f"Nachricht {i}"))
        await session.commit()


async def queue_text(app, chat: str, text: str) -> None:
    async with app.db.session() as session:
        await outbox.enqueue(session, platform="test", chat_id=chat, reply=Reply(text))
        await session.commit()


async def statuses(app) -> list[str]:
    async with app.db.session() as session:
        return list(await session.scalars(select(Delivery.status).order_by(Delivery.id)))


async def test_notify_reaches_the_recipient_in_their_language(app, adapter, new_chat):
    await new_chat("bob", language="en").say("/hilfe")
    async with app.db.session() as session:
        bob = await users.find(session, "test", "bob")
        ok = await app.notify(
            session, bob, lambda t: t("What I can do:"), buttons_spec=[[(lambda t: t("Open private chat"), "lang",
                                                                         {"lang": "de"})]]
        )
        await session.commit()
    assert ok
    assert await deliver_due(app) == 1
    sent = adapter.to("dm-bob")[-1]
    assert sent.text == "What I can do:" and sent.buttons[0][0].label == "Open private chat"


async def test_dedupe_key_queues_once(app):
    async with app.db.session() as session:
        first = await outbox.enqueue(session, platform="test", chat_id="c", reply=Reply("x"), dedupe_key="k1")
        second = await outbox.enqueue(session, platform="test", chat_id="c", reply=Reply("x"), dedupe_key="k1")
        await session.commit()
    assert first is not None and second is None


class Flaky:
    name = "test"
    native_buttons = True
    rate_per_second = 1000.0

    def __init__(self, error: Exception):
        self.error = error
        self.sent = []

    async def send(self, chat_id, reply, *, idempotency_key=None):
        if self.error is not None:
            raise self.error
        self.sent.append(reply.text)
        return "m1"


@pytest.mark.parametrize(
    ("error", "status"),
    [(RetryLater(30), "pending"), (DeliveryError("502"), "pending"), (PermanentDeliveryError("blocked"), "failed")],
)
async def test_platform_errors_keep_or_fail_the_message(app, error, status):
    app.adapters["test"] = Flaky(error)
    await queue(app)
    await deliver_due(app)
    assert await statuses(app) == [status]
    if status == "pending":
        async with app.db.session() as session:
            row = (await session.scalars(select(Delivery))).one()
        assert row.not_before > now() + timedelta(seconds=1)
        # Once the platform is back and the wait is over, it goes out.
        app.adapters["test"] = Flaky(None)
        async with app.db.session() as session:
            await session.execute(update(Delivery).values(not_before=now()))
            await session.commit()
        await deliver_due(app)
        assert await statuses(app) == ["sent"]
        assert app.adapters["test"].sent == ["Nachricht 0"]


async def test_a_crashed_worker_s_rows_come_back_after_the_lease_and_keep_their_order(app, adapter):
    await queue(app, 3)
    await queue(app, 1, chat="dm-bob")
    claimed = await outbox.claim(app, "test", 2, "crashed-worker")
    assert len(claimed) == 2
    # The crashed worker never reports back; another worker sends to Bob, but Anna's third message waits for her
    # first two.
    assert await deliver_due(app) == 1 and adapter.to("dm-anna") == []
    async with app.db.session() as session:
        await session.execute(update(Delivery).where(Delivery.status == "sending").values(
            locked_until=now() - timedelta(seconds=1)))
        await session.commit()
    assert await deliver_due(app) == 3
    assert [r.text for r in adapter.to("dm-anna")] == ["Nachricht 0", "Nachricht 1", "Nachricht 2"]


async def test_two_workers_never_send_the_same_row_nor_a_chat_s_rows_out_of_order(app, database_backend):
    for chat in range(6):
        await queue(app, 10, chat=f"dm-{chat}")
    sent: list[tuple[str, int]] = []

    async def worker():
        for _ in range(500):
            rows = await outbox.claim(app, "test", 7, "w")
            if not rows and len(sent) == 60:
                return
            for row in rows:
                sent.append((row.chat_id, row.id))
                await asyncio.sleep(0)
                await outbox.mark_sent(app, row.id, "m")

    if database_backend == "sqlite":
        await worker()
        await worker()
    else:
        await asyncio.gather(worker(), worker())
    assert len(sent) == 60 and len(set(sent)) == 60
    for chat in range(6):
        ids = [i for c, i in sent if c == f"dm-{chat}"]
        assert ids == sorted(ids)


async def run_worker_until_sent(app, adapter, n: int, poll_interval: float = 0.05) -> None:
    """Run a real worker task until the adapter has `n` messages (or 6 s passed), then stop it cleanly."""
    worker = outbox.DeliveryWorker(app, "test", poll_interval=poll_interval)
    task = asyncio.create_task(worker.run())
    for _ in range(300):
        if len(adapter.sent) >= n:
            break
        await asyncio.sleep(0.02)
    worker.stop()
    await asyncio.wait_for(task, 5)


async def test_worker_task_delivers_and_stops_cleanly(app, adapter):
    await queue(app, 5)
    await run_worker_until_sent(app, adapter, 5)
    assert len(adapter.sent) == 5 and await statuses(app) == ["sent"] * 5


class Scripted:
    """A platform that answers its first sends with the given errors, then takes every message."""

    name = "test"
    native_buttons = True
    rate_per_second = 1000.0

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.calls = 0
        self.sent: list[tuple[str, str]] = []

    async def send(self, chat_id, reply, *, idempotency_key=None):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((chat_id, reply.text))
        return f"m{self.calls}"

    def to(self, chat_id: str) -> list[str]:
        return [text for chat, text in self.sent if chat == chat_id]


async def rows(app) -> list[Delivery]:
    async with app.db.session() as session:
        return list(await session.scalars(select(Delivery).order_by(Delivery.id)))


async def make_due(app) -> None:
    async with app.db.session() as session:
        await session.execute(update(Delivery).where(Delivery.status == "pending").values(not_before=now()))
        await session.commit()


async def run_until(worker: outbox.DeliveryWorker, done) -> None:
    task = asyncio.create_task(worker.run())
    for _ in range(500):
        if done():
            break
        await asyncio.sleep(0.02)
    worker.stop()
    await asyncio.wait_for(task, 5)


async def test_a_long_rate_limit_delays_but_never_fails_or_reorders_messages(app):
    platform = app.adapters["test"] = Scripted(*[RetryLater(0.01) for _ in range(outbox.MAX_ATTEMPTS + 3)])
    for i in range(3):
        await queue_text(app, "dm-anna", f"Anna {i}")
        await queue_text(app, "dm-bob", f"Bob {i}")
    await run_until(outbox.DeliveryWorker(app, "test", poll_interval=0.01), lambda: len(platform.sent) == 6)
    assert platform.to("dm-anna") == ["Anna 0", "Anna 1", "Anna 2"]
    assert platform.to("dm-bob") == ["Bob 0", "Bob 1", "Bob 2"]
    # Each refusal ended the batch: the worker did not go on asking for the messages behind it.
    assert platform.calls == outbox.MAX_ATTEMPTS + 3 + 6
    assert [(r.status, r.attempts) for r in await rows(app)] == [("sent", 1)] * 6


async def test_a_rate_limited_message_is_not_overtaken_by_a_later_one_to_the_same_chat(app):
    platform = app.adapters["test"] = Scripted(RetryLater(30))
    await queue_text(app, "dm-anna", "first")
    await queue_text(app, "dm-bob", "for Bob")
    assert await deliver_due(app) == 0
    waiting = await rows(app)
    assert [(r.status, r.attempts) for r in waiting] == [("pending", 0)] * 2
    assert all(r.not_before > now() + timedelta(seconds=20) for r in waiting)

    await queue_text(app, "dm-anna", "second")
    await queue_text(app, "dm-carl", "for Carl")
    assert await deliver_due(app) == 1 and platform.sent == [("dm-carl", "for Carl")]

    await make_due(app)
    assert await deliver_due(app) == 3
    assert platform.to("dm-anna") == ["first", "second"] and platform.to("dm-bob") == ["for Bob"]


async def test_a_failed_try_counts_and_the_chat_s_later_messages_wait_for_it(app):
    platform = app.adapters["test"] = Scripted(DeliveryError("502"))
    for i in range(3):
        await queue_text(app, "dm-anna", f"Anna {i}")
    await queue_text(app, "dm-bob", "for Bob")
    assert await deliver_due(app) == 1 and platform.sent == [("dm-bob", "for Bob")]
    assert [(r.status, r.attempts) for r in await rows(app)][:3] == [("pending", 1), ("pending", 0), ("pending", 0)]

    await make_due(app)
    assert await deliver_due(app) == 3
    assert platform.to("dm-anna") == ["Anna 0", "Anna 1", "Anna 2"]
    assert [r.attempts for r in await rows(app)][:3] == [2, 1, 1]


async def test_a_platform_that_never_stops_refusing_keeps_the_messages_and_is_reported(app, monkeypatch, caplog):
    monkeypatch.setattr(outbox, "RATE_LIMIT_WARNING", timedelta(0))
    app.adapters["test"] = Scripted(*[RetryLater(10**9) for _ in range(outbox.MAX_ATTEMPTS + 3)])
    await queue_text(app, "dm-anna", "Runder Tisch am Montag")
    worker = outbox.DeliveryWorker(app, "test")
    for _ in range(outbox.MAX_ATTEMPTS + 3):
        row = (await rows(app))[0]
        # However long the platform asks for, the message is tried again within the hour.
        assert row.not_before <= now() + outbox.LONGEST_PAUSE
        await make_due(app)
        await worker.deliver_batch(await outbox.claim(app, "test", 10, worker.worker_id))
    assert [(r.status, r.attempts) for r in await rows(app)] == [("pending", 0)]
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.core.outbox" and r.levelname == "WARNING"]
    assert warnings and "messages waiting: 1" in warnings[-1]
    assert not any("anna" in w or "Runder Tisch" in w for w in warnings)


async def test_a_rate_limit_pauses_only_its_own_platform_and_stopping_ends_the_pause(app):
    limited = app.adapters["test"] = Scripted(RetryLater(600))
    other = app.adapters["other"] = RecordingAdapter("other")
    await queue_text(app, "dm-anna", "first")
    await queue_text(app, "dm-anna", "second")
    async with app.db.session() as session:
        await outbox.enqueue(session, platform="other", chat_id="room-1", reply=Reply("hallo"))
        await session.commit()
    workers = [outbox.DeliveryWorker(app, name, poll_interval=0.01) for name in ("test", "other")]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    for _ in range(500):
        if other.sent and limited.calls:
            break
        await asyncio.sleep(0.02)
    await make_due(app)  # the rows would be due again, but the platform asked for ten minutes
    workers[0].wake()
    await asyncio.sleep(0.1)
    for worker in workers:
        worker.stop()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert [s.reply.text for s in other.sent] == ["hallo"]
    assert limited.calls == 1 and limited.sent == []


async def test_an_answer_the_platform_did_not_take_at_once_is_not_overtaken_by_a_later_push(app, adapter):
    async with app.db.session() as session:
        await outbox.enqueue(session, platform="test", chat_id="dm-anna", reply=Reply("Ihre Antwort"),
                             not_before=now() + timedelta(seconds=30), deferred_by="RetryAfter")
        await session.commit()
    await queue_text(app, "dm-anna", "Erinnerung")
    await queue_text(app, "dm-bert", "Für Bert")

    assert await deliver_due(app) == 1  # Bert's chat is not held up
    async with app.db.session() as session:
        await session.execute(update(Delivery).values(not_before=now() - timedelta(seconds=1)))
        await session.commit()
    await deliver_due(app)
    assert [r.text for r in adapter.to("dm-anna")] == ["Ihre Antwort", "Erinnerung"]


async def test_the_worker_outlives_a_database_error(app, adapter, monkeypatch):
    from sqlalchemy.exc import OperationalError

    real, calls = outbox.claim, []

    async def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT", {}, Exception("database is locked"))
        return await real(*args, **kwargs)

    monkeypatch.setattr(outbox, "claim", flaky)
    await queue(app, 2)
    await run_worker_until_sent(app, adapter, 2, poll_interval=0.01)
    assert len(adapter.sent) == 2 and len(calls) > 1
