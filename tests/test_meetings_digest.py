"""A digest week: a subscriber who chose one message a week gets the week's meetings on Monday, by place,
and only the changes and cancellations that cannot wait."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from bot.meetings import digest, service
from bot.storage.models import Delivery
from bot.storage.models_meetings import Meeting
from bot.timeutil import BERLIN, local, now
from tests.support.backend import deliver_due
from tests.test_meetings import announce, coordinator, subscribed  # noqa: F401


def written(day) -> str:
    return f"{day.day}.{day.month}.{day.year}"


async def test_a_digest_week(app, adapter, coordinator, new_chat):  # noqa: F811
    weekly = await subscribed(new_chat, "wanda", "Rheingau-Taunus-Kreis", language="de")
    await weekly.say("/wochenpost an")
    assert "Wochenpost an" in weekly.text
    await weekly.say("/abonnieren Wiesbaden")
    pushed = await subscribed(new_chat, "paul", "Taunusstein")

    today = local(now()).date()
    monday = today + timedelta(days=7 - today.weekday() + 7)  # the Monday after next
    tuesday, thursday, next_week = monday + timedelta(days=1), monday + timedelta(days=3), monday + timedelta(days=8)
    await announce(coordinator, f"Runder Tisch Asyl, {written(tuesday)} 18 Uhr, Rathaus Taunusstein")
    await announce(coordinator, f"Fachforum Wohnen, {written(thursday)} 14-17 Uhr, Kreishaus Bad Schwalbach")
    await announce(coordinator, f"Netzwerktreffen, {written(next_week)} 10 Uhr, Idstein")
    await announce(coordinator, f"Stammtisch, {written(today + timedelta(days=1))} 19 Uhr, Idstein")
    await deliver_due(app)
    assert adapter.to(weekly.chat_id) == []  # no push per announcement
    async with app.db.session() as session:
        reminders = list(await session.scalars(select(Delivery.chat_id).where(Delivery.kind == service.REMINDER)))
    assert pushed.chat_id in reminders and weekly.chat_id not in reminders  # not unless she says she comes
    assert len(adapter.to(pushed.chat_id)) == 1  # Taunusstein only, at once

    # A change two weeks ahead waits for the digest; tomorrow's cancellation cannot wait.
    async with app.db.session() as session:
        events = {e.title: e for e in await session.scalars(select(Meeting))}
        forum = events["Fachforum Wohnen"]
        await service.change(app, session, forum, service.Fields(
            title=forum.title, starts_at=forum.starts_at + timedelta(hours=1), ends_at=forum.ends_at + timedelta(hours=1),
            place_id=forum.place_id, location=forum.location, topic=forum.topic))
        await service.cancel(app, session, events["Stammtisch"], "zu wenige anmeldungen")
        await session.commit()
    await deliver_due(app)
    [cancelled] = adapter.to(weekly.chat_id)
    assert "Abgesagt: Stammtisch" in cancelled.text and "zu wenige anmeldungen" in cancelled.text

    # Monday 07:00 of that week: one message with the week's meetings in their places.
    at = datetime.combine(monday, time(7, 5), tzinfo=BERLIN)
    async with app.db.session() as session:
        assert await digest.send_digests(app, session, at - timedelta(hours=1)) == 0  # not before 07:00
        assert await digest.send_digests(app, session, at) == 1
        assert await digest.send_digests(app, session, at + timedelta(hours=3)) == 0  # once a week
        await session.commit()
    await deliver_due(app)
    week = adapter.to(weekly.chat_id)[-1]
    assert "Ihre Termine diese Woche" in week.text
    lines = week.text.splitlines()
    assert "Taunusstein:" in lines and "Bad Schwalbach:" in lines
    rathaus = next(line for line in lines if "Runder Tisch Asyl" in line)
    assert "18:00" in rathaus and "Rathaus Taunusstein" in rathaus
    assert "15:00" in next(line for line in lines if "Fachforum Wohnen" in line)  # as changed
    assert "Netzwerktreffen" not in week.text and "Stammtisch" not in week.text  # next week / not this week
    assert [b.label for row in week.buttons for b in row] == ["Runder Tisch Asyl", "Fachforum Wohnen"]
    await weekly.press("Fachforum Wohnen", [week])
    assert "Fachforum Wohnen" in weekly.text and "Ja, ich komme" in [b.label for b in weekly.replies[-1].buttons[0]]
    await weekly.press("Ja, ich komme")
    async with app.db.session() as session:
        reminders = list(await session.scalars(select(Delivery.chat_id).where(
            Delivery.kind == service.REMINDER, Delivery.status == "pending")))
    assert weekly.chat_id in reminders  # she said she comes: reminded like everyone

    async with app.db.session() as session:
        assert await digest.send_digests(app, session, at + timedelta(days=7)) == 1  # the next Monday
        await session.commit()
    await deliver_due(app)
    assert "Netzwerktreffen" in adapter.to(weekly.chat_id)[-1].text
