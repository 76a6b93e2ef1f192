"""A round table from the coordinator's phone to the volunteer's calendar, on the real platform stacks.

Telegram: python-telegram-bot against the Bot API emulator, over HTTP. Matrix: a real Synapse with an encrypting
Element-like client, where choices are numbered. On both a volunteer subscribes to Nürtingen, a coordinator of
the Landkreis Esslingen announces a round table, the outbox delivers it with answer choices, the volunteer says
yes (the coordinator sees it counted) and gets a calendar file with the right start. On Telegram the coordinator
then cancels, and the volunteer hears about it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from icalendar import Calendar

from bot import roles
from bot.timeutil import BERLIN, local, now
from tests.support.claims import KREIS_ESSLINGEN
from tests.support.scenes import give_role, matrix_bot, telegram_bot
from tests.support.telegram_person import FAST, TelegramPerson

EVENTS = {"quiet_hours": "off"}
"""Announcements wait for the end of quiet hours; without this the test would depend on the time of day."""


def round_table_day() -> date:
    return local(now()).date() + timedelta(days=10)


def announcement(day: date) -> str:
    return f"Runder Tisch Asyl, {day.day}.{day.month}.{day.year} 14-17 Uhr, Rathaus Nürtingen"


def assert_starts_at_two(data: bytes, day: date) -> None:
    """The calendar file is one confirmed event starting at 14:00 Berlin time on `day`."""
    [vevent] = Calendar.from_ical(data).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Runder Tisch Asyl" and vevent["STATUS"] == "CONFIRMED"
    assert "Nürtingen" in str(vevent["LOCATION"])
    assert vevent.decoded("DTSTART").astimezone(BERLIN) == datetime.combine(day, time(14), BERLIN)
    assert vevent.decoded("DTEND").astimezone(BERLIN) == datetime.combine(day, time(17), BERLIN)


def labels(msg) -> list[list[str]]:
    return [[button["text"] for button in row] for row in msg.buttons]


# --- Telegram ----------------------------------------------------------------------------------------------------

async def test_on_telegram(tmp_path, db_url, db):
    day = round_table_day()
    async with telegram_bot(tmp_path, db_url, db, bot=FAST, events=EVENTS) as (app, emu):
        vera, kora = TelegramPerson(emu, 7), TelegramPerson(emu, 8)
        await vera.say("/abonnieren Nürtingen", "Nürtingen (Landkreis Esslingen, Baden-Württemberg) ist abonniert")
        await give_role(app, "telegram", "8", "8", roles.COORDINATOR, KREIS_ESSLINGEN)
        preview = await kora.say(f"/runder_tisch {announcement(day)}", "Bitte prüfen Sie")
        assert "14:00–17:00 Uhr" in preview.visible_text and "an 1 Abonnentin" in preview.visible_text
        await kora.press("Ankündigen", "Angekündigt: Runder Tisch Asyl")
        await kora.expect("🗓")  # the event itself, with the coordinator's buttons

        news = await vera.expect("Neuer Termin in Nürtingen")
        assert "Runder Tisch Asyl" in news.visible_text and "14:00–17:00 Uhr" in news.visible_text
        assert labels(news) == [["Ja, ich komme", "Vielleicht", "Nein"], ["In den Kalender (.ics)"]]
        await vera.press("Ja, ich komme", "Sie haben zugesagt")
        answers = await kora.press("Rückmeldungen", "Rückmeldungen zu")
        assert "1 ja, 0 vielleicht, 0 nein" in answers.visible_text

        ics = await vera.press("In den Kalender", "in Ihren Kalender")
        assert ics.method == "sendDocument" and ics.filename.endswith(".ics")
        assert_starts_at_two(ics.document, day)

        await kora.press("Treffen absagen", "wirklich absagen?")
        await kora.press("Ja, Treffen absagen", "Die Veranstaltung ist abgesagt")
        notice = await vera.expect("Abgesagt: Runder Tisch Asyl")
        assert labels(notice) == []  # nothing left to answer, nothing to put in a calendar


# --- Matrix ------------------------------------------------------------------------------------------------------

def number_of(message: dict, label: str) -> str:
    """The number a person types to choose `label` from the numbered list under a bot message."""
    found = re.search(rf"^(\d+)\. {re.escape(label)}", message["body"], re.MULTILINE)
    assert found, f"no choice {label!r} in {message['body']!r}"
    return found.group(1)


async def test_on_matrix(synapse, tmp_path, db_url, db):
    day = round_table_day()
    async with matrix_bot(synapse, tmp_path, db_url, db, ["vera", "kora"], bot=FAST, events=EVENTS) as scene:
        (vera, kora) = scene.people
        await give_role(scene.app, "matrix", kora.user_id, scene.rooms[1], roles.COORDINATOR, KREIS_ESSLINGEN)

        await scene.say(vera, "!abonnieren Nürtingen", "ist abonniert")
        preview = await scene.say(kora, f"!runder_tisch {announcement(day)}", "Bitte prüfen Sie")
        await scene.say(kora, number_of(preview, "Ankündigen"), "Angekündigt: Runder Tisch Asyl")
        event = await scene.says(kora, "Rückmeldungen")  # the event with its choices

        news = await scene.says(vera, "Neuer Termin in Nürtingen")
        assert news["encrypted"] and "14:00–17:00 Uhr" in news["body"]
        answer = await scene.say(vera, number_of(news, "Ja, ich komme"), "Sie haben zugesagt")
        answers = await scene.say(kora, number_of(event, "Rückmeldungen"), "Rückmeldungen zu")
        assert "1 ja, 0 vielleicht, 0 nein" in answers["body"]

        # The answer offers the calendar again as its own numbered choice.
        await scene.say(vera, number_of(answer, "In den Kalender (.ics)"), "in Ihren Kalender")
        ics = await scene.says(vera, ".ics")
        assert ics["msgtype"] == "m.file" and ics["encrypted"]
        assert "file" in ics["content"] and "url" not in ics["content"]  # an encrypted attachment
        assert_starts_at_two(await vera.download_media(ics), day)

        listing = await scene.say(vera, "!termine", "Kommende Termine an Ihren Orten")
        assert "Runder Tisch Asyl (Nürtingen) ✓" in listing["body"]  # her answer shows in the list
