"""A claim from a phone to a SEPA file, on the real platform stacks.

Telegram: python-telegram-bot against the Bot API emulator, over HTTP. Matrix: a real Synapse with an encrypting
Element-like client, where choices are numbered. On both a volunteer files a claim with a receipt photo, a
reviewer on the same platform gets the notification, sees the receipt and approves, and the SEPA file made from
it validates against the pain.001.001.09 schema with the right amount and IBAN.
"""

from __future__ import annotations

import re
from importlib import resources

from lxml import etree

from bot import roles
from bot.claims import workflow
from tests.support.claims import IBAN_ANNA, IBAN_ANNA_COMPACT, KREIS_ESSLINGEN, PAYOUT, claims_in_db, png
from tests.support.matrix_client import MatrixTestUser
from tests.support.scenes import give_role, matrix_bot, telegram_bot
from tests.support.telegram_person import FAST, TelegramPerson

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
"""A test answers faster than a person types; the per-person message limit would pause it."""


async def sepa_of_approved(app) -> etree._Element:
    async with app.db.session() as session:
        sepa = await workflow.export_sepa(session, app, None)
        await session.commit()
    schema = etree.XMLSchema(etree.parse(str(resources.files("sepaxml") / "schemas" / "pain.001.001.09.xsd")))
    doc = etree.fromstring(sepa.data)
    assert schema.validate(doc), schema.error_log
    return doc


def assert_pays_anna(doc: etree._Element, euros: str) -> None:
    [tx] = doc.findall(".//p:CdtTrfTxInf", NS)
    assert tx.findtext("p:Amt/p:InstdAmt", namespaces=NS) == euros
    assert tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN_ANNA_COMPACT


# --- Telegram ----------------------------------------------------------------------------------------------------

async def test_on_telegram(tmp_path, db_url, db):
    async with telegram_bot(tmp_path, db_url, db, payout=PAYOUT, bot=FAST) as (app, emu):
        anna, rita = TelegramPerson(emu, 7), TelegramPerson(emu, 8)
        await rita.say("/hilfe", "Was ich kann")  # a bot may only write to people who wrote to it first
        await give_role(app, "telegram", "8", "8", roles.REVIEWER, KREIS_ESSLINGEN)
        await anna.say("/fahrtkosten", "Wo hat die Fahrt begonnen?")
        await anna.say("Nürtingen", "Wohin sind Sie gefahren?")
        await anna.say("Stuttgart", "Wo war Ihr ehrenamtlicher Einsatz?")
        await anna.press("Nürtingen", "An welchem Tag")
        await anna.press("Gestern", "Womit sind Sie gefahren?")
        await anna.press("Auto", "Wie viele Kilometer")
        await anna.say("42,5", "Wofür war die Fahrt?")
        await anna.say("Begleitung zur Ausländerbehörde", "senden Sie ein Foto")
        picture = png(40, 30)
        emu.push_photo(7, picture)
        await anna.expect("Auf wessen Namen")
        await anna.say("Anna Müller", "Bitte schreiben Sie die IBAN")
        await anna.say(IBAN_ANNA, "Soll ich mir dieses Konto")
        summary = await anna.press("Nein", "Bitte prüfen Sie Ihren Antrag")
        assert "12,75" in summary.visible_text and "Beleg: liegt bei" in summary.visible_text
        done = await anna.press("Einreichen", "ist eingereicht")
        claim_id = re.search(r"#(\d+)", done.visible_text).group(1)

        await rita.expect(f"Neuer Fahrtkostenantrag #{claim_id}")
        await rita.press(f"#{claim_id}", "Prüfungen:")
        receipt = await rita.expect(f"Beleg zu Antrag #{claim_id}")
        assert receipt.document == picture
        await rita.press("Genehmigen", "ist genehmigt")
        await anna.expect("ist genehmigt")
    [claim] = await claims_in_db(app)
    assert claim.status == "approved"
    assert_pays_anna(await sepa_of_approved(app), "12.75")


# --- Matrix ------------------------------------------------------------------------------------------------------

async def bot_says(person: MatrixTestUser, room_id: str, bot_id: str, contains: str) -> dict:
    return await person.wait_for_message(room_id, sender=bot_id, contains=contains, timeout=30)


async def test_on_matrix(synapse, tmp_path, db_url, db):
    async with matrix_bot(synapse, tmp_path, db_url, db, ["anna", "rita"], payout=PAYOUT, bot=FAST) as scene:
        app, (anna, rita) = scene.app, scene.people
        await give_role(app, "matrix", rita.user_id, scene.rooms[1], roles.REVIEWER, KREIS_ESSLINGEN)

        async def step(text: str, expect: str) -> dict:
            return await scene.say(anna, text, expect)

        await step("!fahrtkosten", "Wo hat die Fahrt begonnen?")
        await step("Nürtingen", "Wohin sind Sie gefahren?")
        await step("Stuttgart", "Wo war Ihr ehrenamtlicher Einsatz?")
        await step("1", "An welchem Tag")  # numbered choice: Nürtingen
        await step("gestern", "Womit sind Sie gefahren?")
        await step("1", "Wie viele Kilometer")  # Auto
        await step("42,5", "Wofür war die Fahrt?")
        await step("Begleitung zur Ausländerbehörde", "senden Sie ein Foto")
        picture = png(30, 20)
        await anna.send_image(scene.rooms[0], picture, "quittung.png", "image/png")
        await scene.says(anna, "Auf wessen Namen")
        await step("Anna Müller", "Bitte schreiben Sie die IBAN")
        await step(IBAN_ANNA, "Soll ich mir dieses Konto")
        summary = await step("2", "Bitte prüfen Sie Ihren Antrag")  # Nein
        assert "12,75" in summary["body"]
        done = await step("1", "ist eingereicht")  # Einreichen
        claim_id = re.search(r"#(\d+)", done["body"]).group(1)

        await scene.says(rita, f"Neuer Fahrtkostenantrag #{claim_id}")
        await scene.say(rita, "1", "Prüfungen:")  # Antrag öffnen
        receipt = await scene.says(rita, "beleg")
        assert await rita.download_media(receipt) == picture
        await scene.say(rita, "1", "ist genehmigt")  # Genehmigen
        await scene.says(anna, "ist genehmigt")
    [claim] = await claims_in_db(app)
    assert claim.status == "approved"
    assert_pays_anna(await sepa_of_approved(app), "12.75")
