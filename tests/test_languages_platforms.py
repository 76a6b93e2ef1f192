"""A Ukrainian volunteer on a real Synapse: her first message decides the language (Matrix does not tell it),
and contact, a round table and a travel-cost claim all answer in Ukrainian, while the German coordinator and
reviewer in the same scene keep reading German.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot import directory, formats, roles
from bot.i18n import LANGUAGES, Translator
from tests.support.claims import IBAN_ANNA, KREIS_ESSLINGEN, PAYOUT, claims_in_db, png
from tests.support.scenes import give_role, matrix_bot
from tests.support.telegram_person import FAST
from tests.test_meetings_platforms import EVENTS, announcement, number_of, round_table_day

pytestmark = pytest.mark.skipif("uk" not in LANGUAGES, reason="no Ukrainian catalog")


def uk(msgid: str) -> str:
    return Translator("uk").gettext(msgid)


def first_line(msgid: str) -> str:
    """A translated text up to its first placeholder or command (Matrix shows /help as !help)."""
    return re.split(r"\{\w*\}|/", uk(msgid))[0]


async def test_ukrainian_volunteer_on_matrix(synapse, tmp_path, db_url, db):
    day = round_table_day()
    async with matrix_bot(synapse, tmp_path, db_url, db, ["olena", "kora", "rita"], bot=FAST, events=EVENTS,
                          payout=PAYOUT) as scene:
        app, (olena, kora, rita) = scene.app, scene.people
        async with app.db.session() as session:
            await directory.seed_once(session)
            await session.commit()
        await give_role(app, "matrix", kora.user_id, scene.rooms[1], roles.COORDINATOR, KREIS_ESSLINGEN)
        await give_role(app, "matrix", rita.user_id, scene.rooms[2], roles.REVIEWER, KREIS_ESSLINGEN)

        async def step(text: str, expect: str) -> dict:
            return await scene.say(olena, text, expect)

        # Her first words are Ukrainian: the bot answers in Ukrainian from then on.
        await step("привіт", first_line("Hello! I help volunteers and coordinators in refugee and integration work. "
                                        "What would you like to do?"))
        await step("!hilfe", uk("What I can do:"))

        # Contact
        contacts = await step("!contact nurtingen", first_line("Contacts for {place}:"))
        assert "Nürtingen" in contacts["body"] and "Landkreis Esslingen" in contacts["body"]
        assert "(район (Kreis) для Nürtingen)" in contacts["body"]

        # A claim, answered as people type on phones
        await step("!claim", uk('Where did the trip start? Write the town, e.g. "Nürtingen".')[:20])
        await step("nurtingen", uk("Where did you go? Write the town."))
        await step("stuttgart", uk("Where was your volunteer work? The reviewers there will check the claim."))
        when = await step("1", first_line("On which day was the trip? Write the date, e.g. 14.03.2025, or choose:"))
        how = await step(number_of(when, uk("Yesterday")), uk("How did you travel?"))
        await step(number_of(how, uk("car")), first_line(
            "How many kilometres did you drive in total (there and back)? The rate is {rate} per km."))
        await step("42,5", first_line('What was the trip for? E.g. "accompanying a family to the immigration '
                                      'office".'))
        await step("супровід родини до Ausländerbehörde", first_line(
            'If you have a receipt (e.g. for parking), send a photo or PDF of it (at most {mb} MB). Otherwise '
            'press "No receipt".'))
        await olena.send_image(scene.rooms[0], png(30, 20), "kvytanciya.png", "image/png")
        await scene.says(olena, uk("Who holds the account the money should go to? Write the name as your bank "
                                   "has it."))
        await step("Olena Kovalenko", first_line("Please write the IBAN, e.g. DE89 3704 0044 0532 0130 00. It is "
                                                 "stored encrypted."))
        remember = await step(IBAN_ANNA, uk("Shall I remember this account (encrypted) for your next claims?"))
        summary = await step(number_of(remember, uk("No")), uk("Please check your claim:"))
        assert formats.money(1275, "uk") in summary["body"]
        submitted = await step(number_of(summary, uk("Submit")), first_line(
            "Thank you! Your claim #{id} over {amount} has been submitted. I will tell you when it has been "
            "checked. Your claims: /myclaims"))
        claim_id = re.search(r"№(\d+)", submitted["body"]).group(1)

        # The reviewer reads German; the volunteer hears the outcome in Ukrainian.
        await scene.says(rita, f"Neuer Fahrtkostenantrag #{claim_id}")
        await scene.say(rita, "1", "Prüfungen:")
        await scene.say(rita, "1", "ist genehmigt")
        approved = await scene.says(olena, first_line(
            "Your travel-cost claim #{id} over {amount} was approved. The payout follows with the next transfer."))
        assert f"№{claim_id}" in approved["body"]

        # Meetings: she subscribes, the German coordinator announces, she answers in Ukrainian.
        await step("!subscribe nurtingen", first_line("Subscribed to {place}."))
        preview = await scene.say(kora, f"!runder_tisch {announcement(day)}", "Bitte prüfen Sie")
        await scene.say(kora, number_of(preview, "Ankündigen"), "Angekündigt: Runder Tisch Asyl")
        news = await scene.says(olena, first_line("New event in {place}:"))
        assert formats.full_date(day, "uk") in news["body"] and "14:00" in news["body"]
        assert "Runder Tisch Asyl" in news["body"]  # the coordinator's own words stay as written
        await step(number_of(news, uk("Yes, I'll come")), uk("You said you will come."))
        listing = await step("!events", uk("Upcoming events for your places:"))
        assert "Runder Tisch Asyl" in listing["body"]

    [claim] = await claims_in_db(app)
    assert claim.status == "approved" and claim.trip_date < date.today()
