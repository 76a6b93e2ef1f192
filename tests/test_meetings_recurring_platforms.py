"""A recurring round table announced on Telegram (Bot API emulator) and answered on Matrix (real Synapse,
encrypted, numbered choices): one date moved, one cancelled, and the volunteer's calendar file expanded by
`recurring-ical-events` to the dates the bot shows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, time, timedelta

import recurring_ical_events
from icalendar import Calendar

from bot import roles
from bot.i18n import Translator
from bot.meetings import render
from bot.platforms.matrix import MatrixAdapter
from bot.platforms.telegram import TelegramAdapter
from bot.timeutil import BERLIN, local, now
from bot.wiring import build_app
from tests.support.claims import KREIS_ESSLINGEN
from tests.support.config import make_config
from tests.support.matrix_client import MatrixTestUser
from tests.support.scenes import Scene, give_role
from tests.support.telegram_emulator import TelegramEmulator
from tests.support.telegram_person import FAST, TelegramPerson
from tests.test_meetings_platforms import EVENTS, number_of


def second_tuesdays(after: date, count: int) -> list[date]:
    found, day = [], after
    while len(found) < count:
        if day.weekday() == 1 and 8 <= day.day <= 14:
            found.append(day)
        day += timedelta(days=1)
    return found


def label(day: date) -> str:
    at = datetime.combine(day, time(18), tzinfo=BERLIN)
    return f"{render.short_day(Translator('de'), at)} {render.clock(at)}"


async def test_recurring_round_table_from_telegram_to_matrix(synapse, tmp_path, db_url, db):
    dates = second_tuesdays(local(now()).date() + timedelta(days=1), 6)
    localpart = f"helferbot_{uuid.uuid4().hex[:8]}"
    await synapse.register(localpart, "bot-password")
    bot_id = f"@{localpart}:{synapse.server_name}"
    async with TelegramEmulator(bot_username="helfer_test_bot") as emu:
        cfg = make_config(tmp_path, db_url, bot=FAST, events=EVENTS, telegram={
            "token": emu.token, "api_base_url": emu.base_url, "file_base_url": emu.base_file_url}, matrix={
            "homeserver": synapse.url, "user_id": bot_id, "password": "bot-password",
            "store_dir": str(tmp_path / "s")})
        vera_m = await MatrixTestUser.create(synapse, f"vera_{uuid.uuid4().hex[:6]}", tmp_path / "vera")
        app = build_app(cfg, db=db)
        app.add_adapter(TelegramAdapter(cfg))
        app.add_adapter(MatrixAdapter(cfg, startup_wait=30))
        await app.start()
        try:
            await vera_m.start()
            room = await vera_m.create_dm(bot_id, encrypted=True)
            await vera_m.wait_for_join(room, bot_id)
            scene = Scene(app, bot_id, [vera_m], [room])
            kora = TelegramPerson(emu, 8)
            await give_role(app, "telegram", "8", "8", roles.COORDINATOR, KREIS_ESSLINGEN)

            await scene.say(vera_m, "!abonnieren Nürtingen", "ist abonniert")
            preview = await kora.say("/runder_tisch Runder Tisch Asyl, jeden zweiten Dienstag im Monat 18-20 Uhr, "
                                     "Rathaus Nürtingen", "Bitte prüfen Sie")
            assert "jeden zweiten Dienstag im Monat" in preview.visible_text
            await kora.press("Ankündigen", "Angekündigt: Runder Tisch Asyl")
            await kora.expect("🗓")

            news = await scene.says(vera_m, "Neuer Termin in Nürtingen")
            assert news["encrypted"] and "jeden zweiten Dienstag im Monat" in news["body"]
            await scene.say(vera_m, number_of(news, "Ja, ich komme"), "Sie haben zugesagt")

            # The coordinator moves the second date to the Wednesday at 19:00 and cancels the third.
            await kora.press("Termine", "Die nächsten Termine")
            await kora.press(label(dates[1]), "Rückmeldungen zu diesem Termin")
            await kora.press("Diesen Termin verschieben", "Auf wann")
            moved = dates[1] + timedelta(days=1)
            await kora.say(f"{moved.day}.{moved.month}. 19 uhr", "Verschoben auf")
            notice = await scene.says(vera_m, "Geändert (Datum und Uhrzeit)")
            assert "→" in notice["body"] and "19:00–21:00" in notice["body"]

            await kora.say("/termine", "Kommende Termine")
            await kora.press("Runder Tisch Asyl", "🗓")
            await kora.press("Termine", "Die nächsten Termine")
            await kora.press(label(dates[2]), "Rückmeldungen zu diesem Termin")
            await kora.press("Diesen Termin absagen", "wirklich absagen")
            await kora.say("referentin krank", "Begründung: referentin krank")
            await kora.press("Ja, diesen Termin absagen", "ist abgesagt")
            cancelled = await scene.says(vera_m, "Abgesagt: Runder Tisch Asyl")
            assert "Begründung: referentin krank" in cancelled["body"]

            # Her calendar gets one series, with the moved and the cancelled date as the bot shows them.
            listing = await scene.say(vera_m, "!termine", "Kommende Termine")
            view = await scene.say(vera_m, number_of(listing, "1. Runder Tisch Asyl"), "🗓")
            await scene.say(vera_m, number_of(view, "In den Kalender (.ics)"), "in Ihren Kalender")
            ics = await scene.says(vera_m, ".ics")
            calendar = Calendar.from_ical(await vera_m.download_media(ics))
            [vevent] = calendar.walk("VEVENT")
            assert "RRULE" in vevent and "EXDATE" in vevent and "RDATE" in vevent
            starts = sorted(e["DTSTART"].dt for e in recurring_ical_events.of(calendar).between(
                dates[0], dates[-1] + timedelta(days=1)))
            expected = [datetime.combine(dates[0], time(18), tzinfo=BERLIN),
                        datetime.combine(moved, time(19), tzinfo=BERLIN)]
            expected += [datetime.combine(d, time(18), tzinfo=BERLIN) for d in dates[3:]]
            assert starts == expected
        finally:
            await app.stop()
            await vera_m.stop()
            await asyncio.sleep(0)
