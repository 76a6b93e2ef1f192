"""Announcements through the outbox: quiet hours, a crashed worker, and two bot processes on one database."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot import users
from bot.core import outbox
from bot.meetings import quiet, service
from bot.meetings.settings import EventsSettings
from bot.storage.db import Database
from bot.storage.models import Delivery, User
from bot.storage.models_meetings import Meeting, MeetingUserSettings, Subscription
from bot.timeutil import BERLIN, local, now
from bot.wiring import build_app
from tests.support.backend import RecordingAdapter, deliver_due, grant_role

TAUNUSSTEIN = "06439015"


async def add_subscribers(app, n: int, place: str = TAUNUSSTEIN, platform: str = "test") -> list[str]:
    chats = []
    async with app.db.session() as session:
        for i in range(n):
            user = await users.get_or_create(session, platform, f"sub{i}", language="de", default_language="de",
                                             dm_chat_id=f"dm-sub{i}")
            session.add(Subscription(user_id=user.id, place_id=place))
            chats.append(f"dm-sub{i}")
        await session.commit()
    return chats


async def create_event(app, starts_in: timedelta = timedelta(days=10), place: str = TAUNUSSTEIN) -> int:
    async with app.db.session() as session:
        event, _fan = await service.create(app, session, service.Fields(
            title="Runder Tisch Asyl", starts_at=now() + starts_in, ends_at=None, place_id=place), None)
        await session.commit()
        return event.id


# --- quiet hours ------------------------------------------------------------------------------------------------

def minutes(moment: datetime) -> int:
    moment = local(moment)
    return moment.hour * 60 + moment.minute


@pytest.mark.parametrize(("at", "window", "until"), [
    ("2026-11-21 22:30", (21 * 60, 8 * 60), "2026-11-22 08:00"),
    ("2026-11-22 07:59", (21 * 60, 8 * 60), "2026-11-22 08:00"),
    ("2026-11-22 08:00", (21 * 60, 8 * 60), None),
    ("2026-11-22 12:00", (21 * 60, 8 * 60), None),
    ("2026-11-22 13:30", (13 * 60, 14 * 60), "2026-11-22 14:00"),
    ("2026-03-28 23:00", (22 * 60, 7 * 60), "2026-03-29 07:00"),  # the night the clocks go forward
])
def test_quiet_until_the_end_of_the_window(at, window, until):
    moment = datetime.fromisoformat(at).replace(tzinfo=BERLIN)
    expected = datetime.fromisoformat(until).replace(tzinfo=BERLIN) if until else None
    assert quiet.quiet_until(moment, window) == expected


async def set_quiet(app, user_id: str, window: tuple[int, int] | None) -> None:
    async with app.db.session() as session:
        user = await users.find(session, "test", user_id)
        session.add(MeetingUserSettings(user_id=user.id, quiet_enabled=window is not None,
                                      quiet_from=window[0] if window else None, quiet_to=window[1] if window else None))
        await session.commit()


def window_around_now(before: int = 60, after: int = 60) -> tuple[int, int]:
    m = minutes(now())
    return (m - before) % 1440, (m + after) % 1440


async def test_quiet_hours_hold_pushes_until_the_morning_and_can_be_switched_off(app, adapter):
    await add_subscribers(app, 3)
    await set_quiet(app, "sub0", window_around_now())
    await set_quiet(app, "sub1", None)  # switched off
    await set_quiet(app, "sub2", ((minutes(now()) - 120) % 1440, (minutes(now()) - 5) % 1440))  # over already
    await create_event(app)
    assert await deliver_due(app) == 2
    assert adapter.to("dm-sub0") == [] and len(adapter.to("dm-sub1")) == 1 and len(adapter.to("dm-sub2")) == 1
    async with app.db.session() as session:
        held = (await session.scalars(select(Delivery).where(
            Delivery.chat_id == "dm-sub0", Delivery.kind == service.ANNOUNCE))).one()
    assert held.status == outbox.PENDING
    expected = (local(now()) + timedelta(minutes=60)).replace(second=0, microsecond=0)
    assert abs(held.not_before - expected) <= timedelta(minutes=1)


async def test_quiet_hours_set_in_the_chat_apply_to_messages_already_waiting(app, adapter, new_chat):
    person = new_chat("sub0", language="en")
    await person.say("/subscribe Taunusstein")
    await create_event(app)
    start, end = window_around_now()
    await person.say(f"/quiet {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}")
    assert "Quiet hours set" in person.text
    assert await deliver_due(app) == 0
    await person.say("/quiet off")
    async with app.db.session() as session:
        await session.execute(update(Delivery).values(not_before=now()).where(Delivery.status == outbox.PENDING,
                                                                             Delivery.kind == service.ANNOUNCE))
        await session.commit()
    assert await deliver_due(app) == 1 and "New event" in adapter.to("dm-sub0")[0].text


async def test_an_hour_before_reminder_that_would_come_after_the_start_is_left_out(app):
    await add_subscribers(app, 2)
    # Quiet from half an hour before the hour-before reminder until an hour after the event has started.
    starts = (now() + timedelta(days=3)).replace(second=0, microsecond=0)
    await set_quiet(app, "sub0", (minutes(starts - timedelta(minutes=90)), minutes(starts + timedelta(hours=1))))
    # Quiet ends half an hour before the start: the reminder goes out at the end of the quiet hours instead.
    await set_quiet(app, "sub1", (minutes(starts - timedelta(minutes=90)), minutes(starts - timedelta(minutes=30))))
    event_id = await create_event(app, starts_in=starts - now())
    async with app.db.session() as session:
        rows = (await session.execute(
            select(User.platform_user_id, Delivery.not_before).join(User, User.id == Delivery.user_id)
            .where(Delivery.kind == service.REMINDER))).all()
    by_person = Counter(name for name, _ in rows)
    assert by_person == {"sub0": 1, "sub1": 2}

    # Quiet hours changed after the reminders were queued are honoured by the worker as well.
    async with app.db.session() as session:
        user = await users.find(session, "test", "sub1")
        settings = await session.get(MeetingUserSettings, user.id)
        settings.quiet_to = minutes(starts + timedelta(hours=1))
        await session.commit()
    policy = quiet.QuietHoursPolicy(EventsSettings())
    async with app.db.session() as session:
        event = await session.get(Meeting, event_id)
        reminders = list(await session.scalars(select(Delivery).where(
            Delivery.kind == service.REMINDER, Delivery.user_id == user.id).order_by(Delivery.not_before)))
        held = await policy.hold(session, reminders, event.starts_at - timedelta(hours=1))
    assert held == {reminders[0].id: None, reminders[1].id: None}


# --- crash and restart ------------------------------------------------------------------------------------------

class SlowAdapter(RecordingAdapter):
    """Records a message when the platform has it, then takes a moment to answer (the in-flight window)."""

    def __init__(self, name: str = "test", rate: float = 400.0):
        super().__init__(name)
        self.rate_per_second = rate

    async def send(self, chat_id, reply, *, idempotency_key=None):
        message_id = await super().send(chat_id, reply, idempotency_key=idempotency_key)
        await asyncio.sleep(0.002)
        return message_id


async def wait_for(predicate, seconds: float = 20.0) -> None:
    async with asyncio.timeout(seconds):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.01)


async def test_a_worker_killed_halfway_loses_nobody_and_repeats_at_most_the_message_in_flight(app):
    chats = await add_subscribers(app, 120)
    await create_event(app)
    adapter = SlowAdapter()
    app.adapters["test"] = adapter
    worker = outbox.DeliveryWorker(app, "test", poll_interval=0.05, batch=20)
    task = asyncio.create_task(worker.run())
    await wait_for(lambda: len(adapter.sent) >= 50)
    task.cancel()  # the process dies: no clean shutdown, claimed rows stay leased
    await asyncio.gather(task, return_exceptions=True)
    before = len(adapter.sent)
    async with app.db.session() as session:
        leased = list(await session.scalars(select(Delivery.id).where(Delivery.status == outbox.SENDING)))
        # The lease runs out (two minutes in real life).
        await session.execute(update(Delivery).where(Delivery.status == outbox.SENDING)
                              .values(locked_until=now() - timedelta(seconds=1)))
        await session.commit()
    assert 0 < len(leased) <= 20

    restarted = outbox.DeliveryWorker(app, "test", poll_interval=0.05, batch=20)
    task = asyncio.create_task(restarted.run())
    await wait_for(lambda: {s.chat_id for s in adapter.sent} >= set(chats))
    restarted.stop()
    await asyncio.wait_for(task, 5)

    received = Counter(s.chat_id for s in adapter.sent)
    assert set(received) == set(chats)  # nobody lost
    assert sum(received.values()) - len(chats) <= 1  # only the message in flight at the kill may repeat
    assert before >= 50
    async with app.db.session() as session:
        left = list(await session.scalars(select(Delivery.status).where(Delivery.kind == service.ANNOUNCE)))
    assert set(left) == {outbox.SENT}


async def test_two_bot_processes_on_one_database_send_each_message_once(config, db_url, database_backend):
    if database_backend == "sqlite":
        pytest.skip("two processes on one database need PostgreSQL (SQLite serialises writers anyway)")
    first = build_app(config, db=Database(db_url))
    second = build_app(config, db=Database(db_url))
    adapters = [SlowAdapter(rate=300.0), SlowAdapter(rate=300.0)]
    for bot, adapter in zip((first, second), adapters, strict=True):
        bot.add_adapter(adapter)
    try:
        chats = await add_subscribers(first, 300)
        coordinator_chat = "dm-kora"
        from tests.support.backend import Chat

        coordinator = Chat(first, "kora", language="en", chat_id=coordinator_chat)
        await grant_role(first, coordinator, "coordinator", "06439")
        day = local(now()).date() + timedelta(days=10)
        await coordinator.say(f"/new_event Runder Tisch, {day.day}.{day.month}.{day.year} 14 Uhr, Taunusstein")
        await first.start()
        await second.start()
        await coordinator.press("Announce")
        first.wake_workers()
        second.wake_workers()
        await wait_for(lambda: len({s.chat_id for a in adapters for s in a.sent} & set(chats)) == len(chats))
        await asyncio.sleep(0.3)  # time for a stray second send to show up
    finally:
        await first.stop()
        await second.stop()
        await first.db.dispose()
        await second.db.dispose()
    received = Counter(s.chat_id for a in adapters for s in a.sent if s.chat_id in chats)
    assert set(received) == set(chats) and max(received.values()) == 1
    assert all(len(a.sent) > 0 for a in adapters)  # both processes took part
