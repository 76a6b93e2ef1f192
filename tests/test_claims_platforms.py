"""A claim from a phone to a SEPA file, on the real platform stacks.

Telegram: python-telegram-bot against the Bot API emulator, over HTTP. Matrix: a real Synapse with an encrypting
Element-like client, where choices are numbered. On both a volunteer files a claim with a receipt photo, a
reviewer on the same platform gets the notification, sees the receipt and approves, and the SEPA file made from
it validates against the pain.001.001.09 schema with the right amount and IBAN.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from importlib import resources

from lxml import etree

from bot import roles, users
from bot.app import build_app
from bot.claims import workflow
from bot.platforms.matrix import MatrixAdapter
from bot.platforms.telegram import TelegramAdapter
from tests.conftest import make_config
from tests.support.matrix_client import MatrixTestUser
from tests.support.telegram_emulator import SentMessage, TelegramEmulator
from tests.test_claims_helpers import IBAN_ANNA, IBAN_ANNA_COMPACT, KREIS_ESSLINGEN, PAYOUT, claims_in_db, png

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
FAST = {"user_messages_per_minute": 0}
"""A test answers faster than a person types; the per-person message limit would pause it."""


async def make_reviewer(app, platform: str, user_id: str, chat_id: str) -> None:
    async with app.db.session() as session:
        user = await users.get_or_create(session, platform, user_id, language="de", default_language="de",
                                          dm_chat_id=chat_id)
        await roles.grant(session, user, roles.REVIEWER, KREIS_ESSLINGEN, None)
        await session.commit()


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

class TelegramPerson:
    """Someone in a private chat with the bot, reading what arrives and pressing inline buttons."""

    def __init__(self, emu: TelegramEmulator, user_id: int):
        self.emu, self.id, self.seen = emu, user_id, []

    async def expect(self, contains: str) -> SentMessage:
        while True:
            [msg] = await self.emu.wait_for_sent(chat_id=self.id, timeout=15)
            self.seen.append(msg)
            if contains in (msg.visible_text or ""):
                return msg

    async def say(self, text: str, expect: str) -> SentMessage:
        self.emu.push_text(self.id, text)
        return await self.expect(expect)

    async def press(self, label: str, expect: str) -> SentMessage:
        for msg in reversed(self.seen):
            for row in msg.buttons:
                for button in row:
                    if label in button["text"]:
                        self.emu.push_callback(self.id, button["callback_data"], message_id=msg.message_id)
                        return await self.expect(expect)
        raise AssertionError(f"no button {label!r}")


async def test_on_telegram(tmp_path, db_url, db):
    async with TelegramEmulator(bot_username="helfer_test_bot") as emu:
        cfg = make_config(tmp_path, db_url, payout=PAYOUT, bot=FAST, telegram={
            "token": emu.token, "api_base_url": emu.base_url, "file_base_url": emu.base_file_url})
        app = build_app(cfg, db=db)
        app.add_adapter(TelegramAdapter(cfg))
        await app.start()
        try:
            anna, rita = TelegramPerson(emu, 7), TelegramPerson(emu, 8)
            await rita.say("/hilfe", "Was ich kann")  # a bot may only write to people who wrote to it first
            await make_reviewer(app, "telegram", "8", "8")
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
        finally:
            await app.stop()
    [claim] = await claims_in_db(app)
    assert claim.status == "approved"
    assert_pays_anna(await sepa_of_approved(app), "12.75")


# --- Matrix ------------------------------------------------------------------------------------------------------

async def bot_says(person: MatrixTestUser, room_id: str, bot_id: str, contains: str) -> dict:
    return await person.wait_for_message(room_id, sender=bot_id, contains=contains, timeout=30)


async def test_on_matrix(synapse, tmp_path, db_url, db):
    localpart = f"helferbot_{uuid.uuid4().hex[:8]}"
    await synapse.register(localpart, "bot-password")
    bot_id = f"@{localpart}:{synapse.server_name}"
    cfg = make_config(tmp_path, db_url, payout=PAYOUT, bot=FAST, matrix={
        "homeserver": synapse.url, "user_id": bot_id, "password": "bot-password", "store_dir": str(tmp_path / "s")})
    anna = await MatrixTestUser.create(synapse, f"anna_{uuid.uuid4().hex[:6]}", tmp_path / "anna")
    rita = await MatrixTestUser.create(synapse, f"rita_{uuid.uuid4().hex[:6]}", tmp_path / "rita")
    app = build_app(cfg, db=db)
    app.add_adapter(MatrixAdapter(cfg, startup_wait=30))
    await app.start()
    try:
        await asyncio.gather(anna.start(), rita.start())
        rooms = []
        for person in (anna, rita):
            room_id = await person.create_dm(bot_id, encrypted=True)
            await person.wait_for_join(room_id, bot_id)
            rooms.append(room_id)
        anna_room, rita_room = rooms
        await make_reviewer(app, "matrix", rita.user_id, rita_room)

        async def step(text: str, expect: str) -> dict:
            await anna.send_text(anna_room, text)
            return await bot_says(anna, anna_room, bot_id, expect)

        await step("!fahrtkosten", "Wo hat die Fahrt begonnen?")
        await step("Nürtingen", "Wohin sind Sie gefahren?")
        await step("Stuttgart", "Wo war Ihr ehrenamtlicher Einsatz?")
        await step("1", "An welchem Tag")  # numbered choice: Nürtingen
        await step("gestern", "Womit sind Sie gefahren?")
        await step("1", "Wie viele Kilometer")  # Auto
        await step("42,5", "Wofür war die Fahrt?")
        await step("Begleitung zur Ausländerbehörde", "senden Sie ein Foto")
        picture = png(30, 20)
        await anna.send_image(anna_room, picture, "quittung.png", "image/png")
        await bot_says(anna, anna_room, bot_id, "Auf wessen Namen")
        await step("Anna Müller", "Bitte schreiben Sie die IBAN")
        await step(IBAN_ANNA, "Soll ich mir dieses Konto")
        summary = await step("2", "Bitte prüfen Sie Ihren Antrag")  # Nein
        assert "12,75" in summary["body"]
        done = await step("1", "ist eingereicht")  # Einreichen
        claim_id = re.search(r"#(\d+)", done["body"]).group(1)

        await bot_says(rita, rita_room, bot_id, f"Neuer Fahrtkostenantrag #{claim_id}")
        await rita.send_text(rita_room, "1")  # Antrag öffnen
        await bot_says(rita, rita_room, bot_id, "Prüfungen:")
        receipt = await rita.wait_for_message(rita_room, sender=bot_id, contains="beleg", timeout=30)
        assert await rita.download_media(receipt) == picture
        await rita.send_text(rita_room, "1")  # Genehmigen
        await bot_says(rita, rita_room, bot_id, "ist genehmigt")
        await bot_says(anna, anna_room, bot_id, "ist genehmigt")
    finally:
        await app.stop()
        await asyncio.gather(anna.stop(), rita.stop())
    [claim] = await claims_in_db(app)
    assert claim.status == "approved"
    assert_pays_anna(await sepa_of_approved(app), "12.75")
