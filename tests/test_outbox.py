"""Pushes go through the outbox: nothing is lost to a platform error, a crash or a second process."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot import outbox, users
from bot.messages import Reply
from bot.platforms.base import DeliveryError, PermanentDeliveryError, RetryLater
from bot.storage.models import Delivery
from bot.timeutil import now
from tests.support.backend import deliver_due


async def queue(app, n: int = 1, chat: str = "dm-anna") -> None:
    async with app.db.session() as session:
        for i in range(n):
            await outbox.enqueue(session, platform="test", chat_id=chat, reply=Reply(f"Nachricht {i}"))
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


async def test_a_crashed_worker_s_rows_come_back_after_the_lease(app, adapter):
    await queue(app, 3)
    claimed = await outbox.claim(app, "test", 2, "crashed-worker")
    assert len(claimed) == 2
    # The crashed worker never reports back; another worker only gets the third row for now.
    assert await deliver_due(app) == 1
    async with app.db.session() as session:
        await session.execute(update(Delivery).where(Delivery.status == "sending").values(
            locked_until=now() - timedelta(seconds=1)))
        await session.commit()
    assert await deliver_due(app) == 2
    assert sorted(r.text for r in adapter.to("dm-anna")) == ["Nachricht 0", "Nachricht 1", "Nachricht 2"]


async def test_two_workers_never_send_the_same_row(app, adapter, database_backend):
    await queue(app, 60)

    async def worker():
        total = []
        while rows := await outbox.claim(app, "test", 7, "w"):
            total += [r.id for r in rows]
            await asyncio.sleep(0)
        return total

    if database_backend == "sqlite":
        a, b = await worker(), await worker()
    else:
        a, b = await asyncio.gather(worker(), worker())
    assert len(a) + len(b) == 60 and not set(a) & set(b)


async def test_worker_task_delivers_and_stops_cleanly(app, adapter):
    await queue(app, 5)
    worker = outbox.DeliveryWorker(app, "test", poll_interval=0.05)
    task = asyncio.create_task(worker.run())
    for _ in range(100):
        if len(adapter.sent) == 5:
            break
        await asyncio.sleep(0.02)
    worker.stop()
    await asyncio.wait_for(task, 5)
    assert len(adapter.sent) == 5 and await statuses(app) == ["sent"] * 5
