"""A round table from the coordinator's phone to the volunteer's calendar, on the real platform stacks.

Telegram: python-telegram-bot against the Bot API emulator, over HTTP. Matrix: a real Synapse with an encrypting
Element-like client, where choices are numbered. On both a volunteer subscribes to Nürtingen, a coordinator of
the Landkreis Esslingen announces a round table, the outbox delivers it with answer choices, the volunteer says
yes (the coordinator sees it counted) and gets a calendar file with the right start. On Telegram the coordinator
then cancels, and the volunteer hears about it.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import date, datetime, time, timedelta

from icalendar import Calendar

from bot import roles, users
from bot.app import build_app
from bot.platforms.matrix import MatrixAdapter
from bot.platforms.telegram import TelegramAdapter
from bot.timeutil import BERLIN, local, now
from tests.conftest import make_config
from tests.support.matrix_client import MatrixTestUser
from tests.support.telegram_emulator import TelegramEmulator
from tests.test_claims_helpers import KREIS_ESSLINGEN
from tests.test_claims_platforms import FAST, TelegramPerson, bot_says

EVENTS = {"quiet_hours": "off"}
"""Announcements wait for the end of quiet hours; without this the test would depend on the time of day."""


def round_table_day() -> date:
    return local(now()).date() + timedelta(days=10)


def announcement(day: date) -> str:
    return f"Runder Tisch Asyl, {day.day}.{day.month}.{day.year} 14-17 Uhr, Rathaus Nürtingen"


async def make_coordinator(app, platform: str, user_id: str, chat_id: str) -> None:
    async with app.db.session() as session:
        user = await users.get_or_create(session, platform, user_id, language="de", default_language="de",
                                          dm_chat_id=chat_id)
        await roles.grant(session, user, roles.COORDINATOR, KREIS_ESSLINGEN, None)
        await session.commit()


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
    async with TelegramEmulator(bot_username="helfer_test_bot") as emu:
        cfg = make_config(tmp_path, db_url, bot=FAST, events=EVENTS, telegram={
            "token": emu.token, "api_base_url": emu.base_url, "file_base_url": emu.base_file_url})
        app = build_app(cfg, db=db)
        app.add_adapter(TelegramAdapter(cfg))
        await app.start()
        try:
            vera, kora = TelegramPerson(emu, 7), TelegramPerson(emu, 8)
            await vera.say("/abonnieren Nürtingen", "Nürtingen (Landkreis Esslingen, Baden-Württemberg) ist abonniert")
            await make_coordinator(app, "telegram", "8", "8")
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

            await kora.press("Absagen", "wirklich absagen?")
            await kora.press("Ja, absagen", "Die Veranstaltung ist abgesagt")
            notice = await vera.expect("Abgesagt: Runder Tisch Asyl")
            assert labels(notice) == [["In den Kalender (.ics)"]]  # nothing left to answer
        finally:
            await app.stop()


# --- Matrix ------------------------------------------------------------------------------------------------------

def number_of(message: dict, label: str) -> str:
    """The number a person types to choose `label` from the numbered list under a bot message."""
    found = re.search(rf"^(\d+)\. {re.escape(label)}", message["body"], re.MULTILINE)
    assert found, f"no choice {label!r} in {message['body']!r}"
    return found.group(1)


async def test_on_matrix(synapse, tmp_path, db_url, db):
    day = round_table_day()
    localpart = f"helferbot_{uuid.uuid4().hex[:8]}"
    await synapse.register(localpart, "bot-password")
    bot_id = f"@{localpart}:{synapse.server_name}"
    cfg = make_config(tmp_path, db_url, bot=FAST, events=EVENTS, matrix={
        "homeserver": synapse.url, "user_id": bot_id, "password": "bot-password", "store_dir": str(tmp_path / "s")})
    vera = await MatrixTestUser.create(synapse, f"vera_{uuid.uuid4().hex[:6]}", tmp_path / "vera")
    kora = await MatrixTestUser.create(synapse, f"kora_{uuid.uuid4().hex[:6]}", tmp_path / "kora")
    app = build_app(cfg, db=db)
    app.add_adapter(MatrixAdapter(cfg, startup_wait=30))
    await app.start()
    try:
        await asyncio.gather(vera.start(), kora.start())
        rooms = []
        for person in (vera, kora):
            room_id = await person.create_dm(bot_id, encrypted=True)
            await person.wait_for_join(room_id, bot_id)
            rooms.append(room_id)
        vera_room, kora_room = rooms
        await make_coordinator(app, "matrix", kora.user_id, kora_room)

        async def say(person: MatrixTestUser, room_id: str, text: str, expect: str) -> dict:
            await person.send_text(room_id, text)
            return await bot_says(person, room_id, bot_id, expect)

        await say(vera, vera_room, "!abonnieren Nürtingen", "ist abonniert")
        preview = await say(kora, kora_room, f"!runder_tisch {announcement(day)}", "Bitte prüfen Sie")
        await say(kora, kora_room, number_of(preview, "Ankündigen"), "Angekündigt: Runder Tisch Asyl")
        event = await bot_says(kora, kora_room, bot_id, "Rückmeldungen")  # the event with its choices

        news = await bot_says(vera, vera_room, bot_id, "Neuer Termin in Nürtingen")
        assert news["encrypted"] and "14:00–17:00 Uhr" in news["body"]
        await say(vera, vera_room, number_of(news, "Ja, ich komme"), "Sie haben zugesagt")
        answers = await say(kora, kora_room, number_of(event, "Rückmeldungen"), "Rückmeldungen zu")
        assert "1 ja, 0 vielleicht, 0 nein" in answers["body"]

        # The answer asked nothing, so a number no longer picks from the announcement; the list leads back to it.
        listing = await say(vera, vera_room, "!termine", "Kommende Termine an Ihren Orten")
        assert "Runder Tisch Asyl (Nürtingen) ✓" in listing["body"]
        shown = await say(vera, vera_room, number_of(listing, "1. Runder Tisch Asyl"), "Sie haben zugesagt")
        await say(vera, vera_room, number_of(shown, "In den Kalender (.ics)"), "in Ihren Kalender")
        ics = await bot_says(vera, vera_room, bot_id, ".ics")
        assert ics["msgtype"] == "m.file" and ics["encrypted"]
        assert "file" in ics["content"] and "url" not in ics["content"]  # an encrypted attachment
        assert_starts_at_two(await vera.download_media(ics), day)
    finally:
        await app.stop()
        await asyncio.gather(vera.stop(), kora.stop())
