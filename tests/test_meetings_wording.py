"""The announcement dialog as coordinators type on phones, and what the notices say about a change."""

from __future__ import annotations

from datetime import timedelta

from bot.timeutil import local, now
from tests.support.backend import deliver_due
from tests.test_meetings import announce, coordinator, future, only_event, subscribed  # noqa: F401


async def test_the_guided_time_question_takes_times_as_people_write_them(app, coordinator):  # noqa: F811
    await coordinator.say("/new_event")
    assert "Tuesday" in coordinator.text  # the example names a date whose weekday fits
    await coordinator.say("runder tisch ehrenamt")
    await coordinator.say(future(12))
    assert "At what time" in coordinator.text
    await coordinator.say("abends")
    assert "At what time exactly" in coordinator.text
    await coordinator.say("18-16 uhr")
    assert "The end (16:00) is before the start (18:00)" in coordinator.text
    await coordinator.say("halb sieben")
    assert "Where" in coordinator.text
    await coordinator.say("taunusstein")
    assert "address or room" in coordinator.text
    await coordinator.say("buergerhaus, raum 2")
    assert "topic" in coordinator.text
    await coordinator.say("-")
    preview = coordinator.text
    assert "Please check" in preview and "18:30" in preview and "buergerhaus, raum 2" in preview
    assert "Topic" not in preview  # "-" left it empty, and the title was not taken apart for one


async def test_a_title_must_say_something_and_may_not_be_a_page(app, coordinator):  # noqa: F811
    await coordinator.say("/new_event")
    await coordinator.say("-")
    assert "title" in coordinator.text
    await coordinator.say("🎉🎉🎉")
    assert "needs a few words" in coordinator.text
    await coordinator.say("Runder Tisch " + "sehr " * 100)
    assert "too long (512 characters)" in coordinator.text and "120" in coordinator.text
    await coordinator.say("Runder Tisch Asyl")
    assert "When" in coordinator.text

    await coordinator.say(f"/new_event Runder Tisch, {future()} 14 Uhr, Taunusstein")
    await coordinator.press("Edit")
    await coordinator.press("Title")
    await coordinator.say("-")
    assert "needs a few words" in coordinator.text
    await coordinator.say("Runder Tisch Wohnen")
    assert "Please check" in coordinator.text and "Runder Tisch Wohnen" in coordinator.text


async def test_an_overnight_range_in_one_message_is_asked_back(app, coordinator):  # noqa: F811
    await coordinator.say(f"/new_event Runder Tisch, {future()} 18-16 Uhr, Taunusstein")
    assert "before the start" in coordinator.replies[0].text and "At what time" in coordinator.text
    await coordinator.say("16 bis 18")
    assert "Please check" in coordinator.text and "16:00–18:00" in coordinator.text


async def test_a_change_says_what_it_was_before(app, adapter, coordinator, new_chat):  # noqa: F811
    gabi = await subscribed(new_chat, "gabi", "Taunusstein")
    await announce(coordinator, f"Runder Tisch Asyl, {future()} 14-17 Uhr, Rathaus Taunusstein")
    await deliver_due(app)
    await coordinator.say("/events")
    await coordinator.press("Runder Tisch Asyl")
    await coordinator.press("Change")
    await coordinator.press("Edit")
    await coordinator.press("Address or room")
    await coordinator.say("Bürgerhaus Hahn")
    await coordinator.press("Save and notify")
    await deliver_due(app)
    notice = adapter.to(gabi.chat_id)[-1].text
    assert "address or room: Rathaus Taunusstein → Bürgerhaus Hahn" in notice


async def test_a_cancellation_carries_its_reason_and_no_calendar_button(app, adapter, coordinator, new_chat):  # noqa: F811
    gabi = await subscribed(new_chat, "gabi", "Taunusstein", language="de")
    await announce(coordinator, f"Runder Tisch Asyl, {future()} 14-17 Uhr, Taunusstein")
    await deliver_due(app)
    await coordinator.say("/events")
    await coordinator.press("Runder Tisch Asyl")
    await coordinator.press("Cancel event")
    await coordinator.say("die referentin ist krank")
    assert "Reason: die referentin ist krank" in coordinator.text
    await coordinator.press("Yes, cancel the event")
    assert "The event is cancelled" in coordinator.text
    await deliver_due(app)
    notice = adapter.to(gabi.chat_id)[-1]
    assert "Abgesagt: Runder Tisch Asyl" in notice.text and "Begründung: die referentin ist krank" in notice.text
    assert notice.buttons == []
    event = await only_event(app)
    assert event.cancel_reason == "die referentin ist krank"


async def test_the_list_shows_the_year_of_a_meeting_next_year_and_german_buttons_cannot_be_confused(
        app, adapter, coordinator, new_chat):  # noqa: F811
    gabi = await subscribed(new_chat, "gabi", "Taunusstein", language="de")
    day = local(now()).date() + timedelta(days=400)
    await announce(coordinator, f"Fachforum Wohnen, {day.day}.{day.month}.{day.year} 18 Uhr, Taunusstein")
    await gabi.say("/termine")
    assert f"{day.day}.{day.month}.{day.year}" in gabi.text
    await deliver_due(app)
    await gabi.press("Nein", adapter.to(gabi.chat_id))
    assert "Sie haben abgesagt" in gabi.text
    await coordinator.say("/sprache de")
    await coordinator.say("/termine")
    await coordinator.press("Fachforum Wohnen")
    labels = [b.label for row in coordinator.replies[-1].buttons for b in row]
    assert "Treffen absagen" in labels and "Absagen" not in labels
