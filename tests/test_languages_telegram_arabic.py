"""An Arabic-speaking volunteer on Telegram (python-telegram-bot against the Bot API emulator): her app's language
decides the bot's, and contact, a round table and a travel-cost claim all answer in Arabic, read right to left with
the German names, amounts and dates kept in their order; the German coordinator and reviewer keep reading German.
"""

from __future__ import annotations

import re

import pytest

from bot import bidi, directory, formats, roles
from bot.i18n import LANGUAGES, Translator
from tests.support.claims import IBAN_ANNA, KREIS_ESSLINGEN, PAYOUT, claims_in_db, png
from tests.support.scenes import give_role, telegram_bot
from tests.support.telegram_person import FAST, TelegramPerson
from tests.test_meetings_platforms import EVENTS, announcement, round_table_day

pytestmark = pytest.mark.skipif("ar" not in LANGUAGES, reason="no Arabic catalog")


def ar(msgid: str) -> str:
    return Translator("ar").gettext(msgid)


def first_part(msgid: str) -> str:
    """A translated text up to its first placeholder or command."""
    return re.split(r"\{\w*\}|/", ar(msgid))[0].strip()


def mixes_german(text: str) -> bool:
    german = Translator("de")
    return any(german.gettext(m) in text for m in ("What I can do:", "Please check your claim:", "Submit"))


async def test_arabic_volunteer_on_telegram(tmp_path, db_url, db):
    day = round_table_day()
    async with telegram_bot(tmp_path, db_url, db, bot=FAST, events=EVENTS, payout=PAYOUT) as (app, emu):
        async with app.db.session() as session:
            await directory.seed_once(session)
            await session.commit()
        emu.user(7, first_name="Amal", language_code="ar")
        amal, kora, rita = TelegramPerson(emu, 7), TelegramPerson(emu, 8), TelegramPerson(emu, 9)
        await kora.say("/hilfe", "Was ich kann")
        await rita.say("/hilfe", "Was ich kann")
        await give_role(app, "telegram", "8", "8", roles.COORDINATOR, KREIS_ESSLINGEN)
        await give_role(app, "telegram", "9", "9", roles.REVIEWER, KREIS_ESSLINGEN)

        welcome = await amal.say("مرحبا", first_part(
            "Hello! I help volunteers and coordinators in refugee and integration work. What would you like to do?"))
        assert bidi.first_strong(welcome.visible_text) == "R" and len(welcome.buttons) == 3

        # Contact: German place names inside an Arabic sentence are isolated, so they keep their order.
        contacts = await amal.say("من هو المنسق في nurtingen؟", first_part("Contacts for {place}:"))
        assert "Nürtingen" in contacts.visible_text and not mixes_german(contacts.visible_text)

        # A claim, tapped and typed as on a phone
        await amal.say("/claim", first_part('Where did the trip start? Write the town, e.g. "Nürtingen".'))
        await amal.say("nurtingen", first_part("Where did you go? Write the town."))
        await amal.say("stuttgart", first_part(
            "Where was your volunteer work? The reviewers there will check the claim."))
        await amal.press("Nürtingen", first_part(
            "On which day was the trip? Write the date, e.g. 14.03.2025, or choose:"))
        await amal.press(ar("Yesterday"), first_part("How did you travel?"))
        await amal.press(ar("car"), first_part(
            "How many kilometres did you drive in total (there and back)? The rate is {rate} per km."))
        await amal.say("42,5", first_part(
            'What was the trip for? E.g. "accompanying a family to the immigration office".'))
        await amal.say("مرافقة عائلة إلى Ausländerbehörde", first_part(
            'If you have a receipt (e.g. for parking), send a photo or PDF of it (at most {mb} MB). Otherwise '
            'press "No receipt".'))
        emu.push_photo(7, png(40, 30))
        await amal.expect(first_part(
            "Who holds the account the money should go to? Write the name as your bank has it."))
        await amal.say("Amal Haddad", first_part(
            "Please write the IBAN, e.g. DE89 3704 0044 0532 0130 00. It is stored encrypted."))
        await amal.say(IBAN_ANNA, first_part("Shall I remember this account (encrypted) for your next claims?"))
        summary = await amal.press(ar("No"), first_part("Please check your claim:"))
        amount = formats.money(1275, "ar").strip(bidi.FSI + bidi.PDI)
        assert amount in summary.visible_text  # CLDR's Arabic currency pattern, with its own right-to-left mark
        assert f"{bidi.FSI}Amal Haddad{bidi.PDI}" in summary.visible_text  # a Latin name in Arabic keeps its order
        assert f"{bidi.FSI}…3000{bidi.PDI}" in summary.visible_text
        done = await amal.press(ar("Submit"), first_part(
            "Thank you! Your claim #{id} over {amount} has been submitted. I will tell you when it has been "
            "checked. Your claims: /myclaims"))
        claim_id = re.search(r"(\d+)", done.visible_text.split(amount)[0]).group(1)

        await rita.expect(f"Neuer Fahrtkostenantrag #{claim_id}")
        await rita.press(f"#{claim_id}", "Prüfungen:")
        await rita.press("Genehmigen", "ist genehmigt")
        approved = await amal.expect(first_part(
            "Your travel-cost claim #{id} over {amount} was approved. The payout follows with the next transfer."))
        assert amount in approved.visible_text

        # A round table in Nürtingen: she subscribes, the German coordinator announces, she answers.
        await amal.say("/subscribe nurtingen", first_part("Subscribed to {place}."))
        await kora.say(f"/runder_tisch {announcement(day)}", "Bitte prüfen Sie")
        await kora.press("Ankündigen", "Angekündigt: Runder Tisch Asyl")
        news = await amal.expect(first_part("New event in {place}:"))
        assert "Runder Tisch Asyl" in news.visible_text and formats.full_date(day, "ar") in news.visible_text
        await amal.press(ar("Yes, I'll come"), first_part("You said you will come."))
        listing = await amal.say("/events", first_part("Upcoming events for your places:"))
        assert "Runder Tisch Asyl" in listing.visible_text and not mixes_german(listing.visible_text)

    [claim] = await claims_in_db(app)
    assert claim.status == "approved" and claim.holder == "Amal Haddad"
