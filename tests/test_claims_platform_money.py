"""The money rules on Telegram (python-telegram-bot against the Bot API emulator): transport as typed, a name no
bank can carry refused where it is typed, "Ändern" on the summary, and a multi-line purpose made one line."""

from __future__ import annotations

from bot import roles
from tests.support.claims import IBAN_ANNA, KREIS_ESSLINGEN, PAYOUT, claims_in_db
from tests.support.scenes import give_role, telegram_bot
from tests.support.telegram_person import FAST, TelegramPerson


async def test_money_rules_on_telegram(tmp_path, db_url, db):
    async with telegram_bot(tmp_path, db_url, db, payout=PAYOUT, bot=FAST) as (app, emu):
        anna, otto = TelegramPerson(emu, 17), TelegramPerson(emu, 18)
        await otto.say("/hilfe", "Was ich kann")
        await give_role(app, "telegram", "18", "18", roles.REVIEWER, KREIS_ESSLINGEN)
        await anna.say("/fahrtkosten", "Wo hat die Fahrt begonnen?")
        await anna.say("nuertingen", "Wohin sind Sie gefahren?")
        await anna.say("stuttgart", "Wo war Ihr ehrenamtlicher Einsatz?")
        await anna.press("Nürtingen", "An welchem Tag")
        await anna.press("Gestern", "Womit sind Sie gefahren?")
        await anna.say("pkw", "Wie viele Kilometer")
        await anna.say("425", "Wofür war die Fahrt?")
        await anna.say("Begleitung\nBeleg: beigefügt", "Beleg")
        await anna.press("Kein Beleg", "Auf wessen Namen")
        await anna.say("😀😀", "lateinischen Buchstaben")
        await anna.say("Anna Müller", "Bitte schreiben Sie die IBAN")
        await anna.say(IBAN_ANNA, "Soll ich mir dieses Konto")
        summary = await anna.press("Nein", "Bitte prüfen Sie Ihren Antrag")
        assert "127,50" in summary.visible_text
        await anna.press("Ändern", "Was möchten Sie ändern?")
        await anna.press("Kilometer oder Preis", "Wie viele Kilometer")
        summary = await anna.say("42,5", "Bitte prüfen Sie Ihren Antrag")
        assert "12,75" in summary.visible_text and "Begleitung Beleg: beigefügt" in summary.visible_text
        await anna.press("Einreichen", "ist eingereicht")
        await otto.expect("Neuer Fahrtkostenantrag")
    [claim] = await claims_in_db(app)
    assert (claim.km_tenths, claim.purpose, claim.transport) == (425, "Begleitung Beleg: beigefügt", "car")
