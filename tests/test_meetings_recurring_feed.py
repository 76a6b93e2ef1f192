"""One date of a recurring round table changed on its own ("only this date", as calendar apps offer it), and the
personal calendar feed read over HTTP and expanded by a calendar library: it holds exactly the dates and titles
the bot shows in /termine and in the list of dates."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import aiohttp
import recurring_ical_events
from icalendar import Calendar

from bot.i18n import Translator
from bot.meetings import ics, render
from bot.meetings.recurrence import occurrences
from bot.storage.models_meetings import Meeting, OccurrenceChange
from bot.timeutil import BERLIN, local, now
from tests.support.backend import Chat, deliver_due, grant_role, served_app
from tests.test_meetings import RTK, announce, make_due

OLD, NEW = "Stammtisch Ehrenamt", "Sonderrunde mit der Buergermeisterin"


def _labels(chat: Chat) -> list:
    return [b for reply in chat.replies for row in reply.buttons for b in row]


async def _open_dates(chat: Chat, listed: str) -> list:
    await chat.say("/termine")
    await chat.press(next(b for b in _labels(chat) if OLD in b.label or NEW in b.label))
    await chat.press(listed)
    return _labels(chat)


async def test_one_date_changed_moved_and_cancelled_reads_the_same_in_the_feed(tmp_path, db_url):
    async with served_app(tmp_path, db_url) as served:
        app, adapter = served.app, served.adapter
        kora = Chat(app, "kora", language="en")
        await grant_role(app, kora, "coordinator", RTK)
        gabi = Chat(app, "gabi", language="de")
        await gabi.say("/subscribe taunusstein")
        today = local(now()).date()
        soon = today + timedelta(days=2)
        first = soon + timedelta(days=(3 - soon.weekday()) % 7)  # a Thursday two to eight days ahead
        await announce(kora, f"{OLD}, woechentlich donnerstags 18-20 uhr ab {first.day}.{first.month}.{first.year}, "
                             f"6 mal, Buergerhaus Taunusstein")
        await deliver_due(app)
        [news] = adapter.to(gabi.chat_id)
        await gabi.press(news.buttons[0][0], [news])  # yes, for every date
        assert "Danke" in gabi.text, gabi.text

        # The first date gets its own title, the second its own address; the third moves, the fourth is cancelled.
        dates = await _open_dates(kora, "Dates")
        await kora.press(dates[0])
        await kora.press("Change only this date")
        await kora.press("Title")
        await kora.say(NEW)
        assert "Changed for" in kora.text and "only" in kora.text, kora.text
        await kora.press((await _open_dates(kora, "Dates"))[1])
        await kora.press("Change only this date")
        await kora.press("Address or room")
        await kora.say("rathaus hahn, raum 3")
        third = first + timedelta(days=14)
        await kora.press((await _open_dates(kora, "Dates"))[2])
        await kora.press("Change only this date")
        await kora.press("Date and time")
        friday = third + timedelta(days=1)
        await kora.say(f"{friday.day}.{friday.month}.{friday.year} 19 uhr")
        assert "Moved to" in kora.text
        await kora.press((await _open_dates(kora, "Dates"))[3])
        await kora.press("Cancel this date")
        await kora.press("Yes, cancel this date")
        dates = await _open_dates(kora, "Dates")
        assert [d.label.split(" – ")[-1] for d in dates if " – " in d.label] == ["changed", "changed", "moved",
                                                                                  "CANCELLED"]

        # Gabi hears of each date's change, old -> new, in German; the other dates keep the series' values.
        await deliver_due(app)
        notices = [r.text for r in adapter.to(gabi.chat_id)[1:]]
        assert any(f"Titel: {OLD} → {NEW}" in n for n in notices), notices
        assert any("Buergerhaus Taunusstein → rathaus hahn, raum 3" in n for n in notices), notices
        assert any("19:00–21:00" in n and "→" in n for n in notices), notices
        assert any("ABGESAGT" in n or "Abgesagt" in n for n in notices), notices
        assert len(notices) == 4

        # Her answer for the changed date and its reminder still work, with the date's own title.
        await make_due(app, "event_reminder")
        await deliver_due(app)
        reminders = [r.text for r in adapter.to(gabi.chat_id) if "Erinnerung" in r.text]
        assert any(NEW in r for r in reminders), reminders
        own = await _open_dates(gabi, "Termine")
        await gabi.press(own[0])
        assert NEW in gabi.text
        await gabi.press(_labels(gabi)[2])  # "no", for this date only
        day = render.day_text(Translator("de"), datetime.combine(first, time(18), tzinfo=BERLIN))
        assert "abgesagt" in gabi.text and day in gabi.text, gabi.text

        # What the bot shows: /termine (the next date) and the list of dates with each date's own title.
        t = Translator("de")
        await gabi.say("/termine")
        [line] = [x for r in gabi.replies for x in r.text.splitlines() if x.startswith("1. ")]
        shown = []
        for button in await _open_dates(gabi, "Termine"):
            if "ABGESAGT" in button.label:
                continue
            await gabi.press(button)
            title = re.sub(r"</?b>", "", gabi.replies[0].text.splitlines()[0])
            shown.append((button.label.split(" – ")[0], title))
            await gabi.say("/termine")
            await gabi.press(next(b for b in _labels(gabi) if "Buergermeisterin" in b.label or OLD in b.label))
            await gabi.press("Termine")

        # What a calendar app shows from the feed.
        await gabi.say("/kalender")
        link = gabi.replies[0].buttons[0][0].url
        async with aiohttp.ClientSession() as http, http.get(link) as response:
            assert response.status == 200
            calendar = Calendar.from_ical(await response.read())
        events = list(calendar.walk("VEVENT"))
        assert len({str(e["UID"]) for e in events}) == 1 and sum("RECURRENCE-ID" in e for e in events) == 2
        expanded = sorted(recurring_ical_events.of(calendar).between(first - timedelta(days=1),
                                                                      first + timedelta(days=60)),
                          key=lambda e: e["DTSTART"].dt)
        feed = [(f"{render.short_day(t, e['DTSTART'].dt)} {render.clock(e['DTSTART'].dt)}", str(e["SUMMARY"]))
                for e in expanded]
        assert feed == shown and len(feed) == 5
        assert feed[0][1] == NEW and {s for _d, s in feed[1:]} == {OLD}
        assert line.startswith(f"1. {feed[0][0]} – {NEW} (Taunusstein)") and line.endswith("🔁")
        assert "rathaus hahn, raum 3" in str(expanded[1]["LOCATION"])
        assert "Buergerhaus Taunusstein" in str(expanded[0]["LOCATION"])
        assert local(expanded[2]["DTSTART"].dt).date() == friday
        assert first + timedelta(days=21) not in [local(e["DTSTART"].dt).date() for e in expanded]


def test_a_date_changed_before_the_series_was_split_stays_with_the_new_series():
    """After "this and all following" the old series ends; its calendar file must not bring back a later date
    that had its own title, while the dates it keeps show theirs."""
    start = datetime(2027, 1, 7, 18, tzinfo=BERLIN)
    event = Meeting(id=1, uid="s@helferbot", sequence=3, place_id="06439015", title=OLD, starts_at=start,
                    ends_at=start + timedelta(hours=2), location="Buergerhaus", topic="", organiser="",
                    description="", status="announced", rrule="FREQ=WEEKLY;BYDAY=TH;UNTIL=20270120T000000Z",
                    updated_at=start)
    kept = OccurrenceChange(event_id=1, original_start=start + timedelta(days=7), status="changed", title=NEW)
    later = OccurrenceChange(event_id=1, original_start=start + timedelta(days=21), status="changed", title="Weg")
    calendar = Calendar.from_ical(ics.event_file(event, "Taunusstein", [kept, later]))
    expanded = recurring_ical_events.of(calendar).between(start - timedelta(days=1), start + timedelta(days=60))
    found = sorted((local(e["DTSTART"].dt), str(e["SUMMARY"])) for e in expanded)
    assert found == [(start, OLD), (start + timedelta(days=7), NEW)]
    bot = [(o.starts_at, o.title or OLD) for o in occurrences(event, [kept, later], after=start,
                                                               before=start + timedelta(days=60))]
    assert bot == found
