"""Recurring round tables: one announcement, dates expanded in Berlin time, one date moved and one cancelled,
reminders and answers per date, and the same dates in the bot, in the .ics and in a calendar app's expansion."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import recurring_ical_events
from holidays import country_holidays
from icalendar import Calendar
from sqlalchemy import select

from bot.core import outbox
from bot.i18n import Translator
from bot.meetings import series, service
from bot.meetings.recurrence import describe, find_rule, occurrences
from bot.storage.models import Delivery
from bot.storage.models_meetings import MeetingReminder
from bot.timeutil import BERLIN, local, now
from tests.support.backend import deliver_due
from tests.test_meetings import announce, coordinator, only_event, subscribed  # noqa: F401

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(("text", "rule"), [
    ("Runder Tisch, jeden zweiten Dienstag im Monat 18 Uhr", "FREQ=MONTHLY;BYDAY=2TU"),
    ("jeden 2. dienstag im monat", "FREQ=MONTHLY;BYDAY=2TU"),
    ("am ersten Montag im Monat", "FREQ=MONTHLY;BYDAY=1MO"),
    ("jeden letzten freitag des monats", "FREQ=MONTHLY;BYDAY=-1FR"),
    ("every third wednesday of the month", "FREQ=MONTHLY;BYDAY=3WE"),
    ("wöchentlich donnerstags 18 Uhr", "FREQ=WEEKLY;BYDAY=TH"),
    ("woechentlich, donnerstag", "FREQ=WEEKLY;BYDAY=TH"),
    ("jeden Donnerstag 19 Uhr", "FREQ=WEEKLY;BYDAY=TH"),
    ("mittwochs 17 uhr", "FREQ=WEEKLY;BYDAY=WE"),
    ("alle zwei Wochen, Mittwoch 17 Uhr", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"),
    ("alle 2 wochen", "FREQ=WEEKLY;INTERVAL=2"),
    ("vierzehntägig montags", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"),
    ("jeden Donnerstag bis 30.6.27", "FREQ=WEEKLY;BYDAY=TH;UNTIL=20270630T235959Z"),
    ("montags, 10 mal", "FREQ=WEEKLY;BYDAY=MO;COUNT=10"),
    ("monatlich", "FREQ=MONTHLY"),
])
def test_rhythms_as_coordinators_write_them(text, rule):
    assert find_rule(text, TODAY).rrule == rule


@pytest.mark.parametrize("text", ["Runder Tisch am 3.12. 18 Uhr", "Dienstag 18 Uhr", "Treffen im Monat Mai"])
def test_a_single_date_is_no_rhythm(text):
    assert find_rule(text, TODAY) is None


def test_the_rhythm_reads_back_in_german():
    t = Translator("de")
    assert describe(t, "FREQ=MONTHLY;BYDAY=2TU") == "jeden zweiten Dienstag im Monat"
    assert describe(t, "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;COUNT=6") == "alle 2 Wochen am Mittwoch, 6 Termine"


def spring_forward_after(day: date) -> date:
    """The next change to summer time in Berlin (last Sunday of March) at least five weeks after `day`."""
    year = day.year if day < date(day.year, 2, 20) else day.year + 1
    last = date(year, 3, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def test_dates_keep_their_wall_clock_time_across_the_change_to_summer_time():
    class Series:
        starts_at = datetime(2027, 3, 11, 18, tzinfo=BERLIN)
        ends_at = datetime(2027, 3, 11, 20, tzinfo=BERLIN)
        rrule = "FREQ=WEEKLY;BYDAY=TH;COUNT=4"

    found = occurrences(Series, after=datetime(2027, 3, 1, tzinfo=BERLIN), before=datetime(2027, 5, 1, tzinfo=BERLIN))
    assert [local(o.starts_at).strftime("%d.%m. %H:%M") for o in found] == \
        ["11.03. 18:00", "18.03. 18:00", "25.03. 18:00", "01.04. 18:00"]
    assert [o.starts_at.utcoffset() for o in found] == [timedelta(hours=1)] * 3 + [timedelta(hours=2)]
    assert all(o.ends_at - o.starts_at == timedelta(hours=2) for o in found)


async def test_a_recurring_round_table_from_announcement_to_calendar(app, adapter, coordinator, new_chat):  # noqa: F811
    change = spring_forward_after(local(now()).date())
    first = change - timedelta(days=(change.weekday() - 3) % 7 + 14)  # a Thursday two weeks before the change
    gabi = await subscribed(new_chat, "gabi", "Taunusstein")
    theo = await subscribed(new_chat, "theo", "Taunusstein")

    await coordinator.say(f"/new_event Stammtisch Ehrenamt, woechentlich donnerstags 18-20 uhr ab "
                          f"{first.day}.{first.month}.{first.year}, 8 mal, Buergerhaus Taunusstein")
    preview = coordinator.text
    assert "every week on Thursday, 8 dates" in preview and "18:00–20:00" in preview, preview
    await coordinator.press("Announce")
    await deliver_due(app)
    [news] = adapter.to(gabi.chat_id)
    assert "Stammtisch Ehrenamt" in news.text and "every week on Thursday" in news.text
    await gabi.press("Yes", [news])  # for every date
    await theo.press("Yes", adapter.to(theo.chat_id))

    # The organiser moves the third date to the Friday and cancels the fourth, with a reason.
    await coordinator.say("/events")
    await coordinator.press("Stammtisch Ehrenamt")
    await coordinator.press("Dates")
    dates_shown = [b.label for row in coordinator.replies[-1].buttons for b in row]
    assert len(dates_shown) == 6
    third, fourth = first + timedelta(days=14), first + timedelta(days=21)
    await coordinator.press(dates_shown[2])
    await coordinator.press("Move this date")
    await coordinator.say(f"{third.day + 1}.{third.month}. 19 uhr")
    assert "Moved to" in coordinator.text and "19:00–21:00" in coordinator.text
    await coordinator.say("/events")
    await coordinator.press("Stammtisch Ehrenamt")
    await coordinator.press("Dates")
    await coordinator.press(coordinator.replies[-1].buttons[3][0])
    await coordinator.press("Cancel this date")
    await coordinator.say("osterferien")
    await coordinator.press("Yes, cancel this date")
    assert "is cancelled; the other dates stay" in coordinator.text
    await deliver_due(app)
    notices = [r.text for r in adapter.to(gabi.chat_id)[1:]]
    assert any("date and time" in n and "→" in n and "19:00–21:00" in n for n in notices), notices
    assert any("Cancelled: Stammtisch Ehrenamt" in n and "Reason: osterferien" in n for n in notices), notices

    # Theo cannot come on the first date after the cancelled one (in summer time); Gabi can.
    assert fourth > change
    after_change = fourth + timedelta(days=7)
    await theo.say("/events")
    await theo.press("Stammtisch Ehrenamt")
    await theo.press("Dates")
    label = next(b for row in theo.replies[-1].buttons for b in row if f"{after_change.day}.{after_change.month}." in b.label)
    await theo.press(label)
    await theo.press("No")
    assert "You said you will not come" in theo.text and str(after_change.year) in theo.text

    event = await only_event(app)
    async with app.db.session() as session:
        bot_dates = [(o.starts_at, o.ends_at) for o in await series.dates(session, event, after=event.starts_at,
                                                                           count=20, include_cancelled=False)]
        # The hourly job, as it runs on the Monday before the change, the Tuesday after it and the Monday after.
        for days in (-6, 2, 8):
            await series.top_up(app, session, event, at=datetime.combine(change + timedelta(days=days), time(9),
                                                                         tzinfo=BERLIN))
        await session.commit()
        reminders = (await session.execute(
            select(Delivery.chat_id, Delivery.not_before).join(MeetingReminder, Delivery.id == MeetingReminder.delivery_id)
            .where(Delivery.status == outbox.PENDING))).all()
    moved = datetime.combine(third + timedelta(days=1), time(19), tzinfo=BERLIN)
    assert len(bot_dates) == 7 and bot_dates[2] == (moved, moved + timedelta(hours=2))
    assert all(local(s).time() == time(18) for s, _e in bot_dates if s != moved)
    assert [s.utcoffset() for s, _e in bot_dates].count(timedelta(hours=2)) == 4  # summer time, still 18:00

    summer = datetime.combine(after_change, time(18), tzinfo=BERLIN)
    expected = {(who.chat_id, at) for who in (gabi, theo) for at in (moved - timedelta(hours=24),
                                                                     moved - timedelta(hours=1))}
    expected |= {(gabi.chat_id, summer - timedelta(hours=24)), (gabi.chat_id, summer - timedelta(hours=1))}
    # Nobody is reminded of the cancelled date, Theo not of the date he said no to; the reminder an hour before
    # 18:00 summer time is at 15:00 UTC.
    assert {(chat, at) for chat, at in reminders} == expected
    assert (summer - timedelta(hours=1)).astimezone(UTC).hour == 15

    # The calendar file: one VEVENT with RRULE and EXDATE, expanded by a calendar library to the same dates.
    await gabi.say("/events")
    await gabi.press("Stammtisch Ehrenamt")
    await gabi.press("Add to calendar")
    data = gabi.replies[-1].file.data
    calendar = Calendar.from_ical(data)
    [vevent] = list(calendar.walk("VEVENT"))
    assert "RRULE" in vevent and "EXDATE" in vevent
    expanded = recurring_ical_events.of(calendar).between(first - timedelta(days=1), first + timedelta(days=120))
    assert sorted((e["DTSTART"].dt, e["DTEND"].dt) for e in expanded) == bot_dates


async def test_a_change_of_this_and_all_following_dates_splits_the_series(app, adapter, coordinator, new_chat):  # noqa: F811
    gabi = await subscribed(new_chat, "gabi", "Taunusstein")
    await announce(coordinator, "Runder Tisch Asyl, jeden zweiten Dienstag im Monat 18 Uhr, Rathaus Taunusstein")
    await deliver_due(app)
    await gabi.press("Yes", adapter.to(gabi.chat_id))
    await coordinator.say("/events")
    await coordinator.press("Runder Tisch Asyl")
    await coordinator.press("Dates")
    await coordinator.press(coordinator.replies[-1].buttons[2][0])
    await coordinator.press("Change this and all following")
    await coordinator.press("Edit")
    await coordinator.press("Address or room")
    await coordinator.say("Buergerhaus Hahn")
    await coordinator.press("Save")
    await deliver_due(app)
    assert "Rathaus Taunusstein → Buergerhaus Hahn" in adapter.to(gabi.chat_id)[-1].text
    async with app.db.session() as session:
        from bot.storage.models_meetings import Meeting

        old, new = (await session.scalars(select(Meeting).order_by(Meeting.id))).all()
        old_dates = await series.dates(session, old, after=old.starts_at, count=10)
        new_dates = await series.dates(session, new, after=old.starts_at, count=3)
    assert len(old_dates) == 2 and "UNTIL=" in old.rrule
    assert new.location == "Buergerhaus Hahn" and new_dates[0].starts_at > old_dates[-1].starts_at
    assert (new_dates[0].starts_at - old_dates[-1].starts_at).days in range(28, 36)
    assert service.Fields.of(new).rrule.startswith("FREQ=MONTHLY;BYDAY=2TU")


async def test_the_guided_dialog_takes_a_rhythm_and_points_out_holidays(app, coordinator):  # noqa: F811
    await coordinator.say("/new_event")
    await coordinator.say("Runder Tisch Integration")
    await coordinator.say("jeden ersten donnerstag im monat")
    assert "At what time" in coordinator.text
    await coordinator.say("halb sieben")
    await coordinator.say("Taunusstein")
    await coordinator.say("-")
    await coordinator.say("-")
    preview = coordinator.text
    assert "every first Thursday of the month" in preview and "18:30" in preview
    first_thursdays = [d for d in (local(now()).date() + timedelta(days=n) for n in range(1, 360))
                       if d.weekday() == 3 and d.day <= 7]
    hessen = country_holidays("DE", subdiv="HE", years=range(first_thursdays[0].year, first_thursdays[-1].year + 1))
    holidays = [d for d in first_thursdays if d in hessen]
    for day in holidays[:3]:
        assert f"{day.day} " in preview and "public holiday" in preview
    if not holidays:
        assert "public holiday" not in preview
