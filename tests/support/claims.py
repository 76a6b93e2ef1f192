"""Shared steps for the travel-cost claim tests: a bot with claim rules, and a volunteer filing a claim by chat."""

from __future__ import annotations

import re
import struct
import zlib

from sqlalchemy import select

from bot import users
from bot.core.app import App
from bot.messages import OutgoingFile
from bot.storage.models_claims import AuditEntry, Claim
from bot.wiring import build_app
from tests.support.backend import Chat, RecordingAdapter
from tests.support.config import make_config

IBAN_ANNA = "DE89 3704 0044 0532 0130 00"
IBAN_ANNA_COMPACT = "DE89370400440532013000"
IBAN_BEN = "DE02 1203 0000 0000 2020 51"
PAYOUT = {"debtor_name": "Förderverein Flüchtlingshilfe Nürtingen e.V.", "debtor_iban": "DE75512108001245126199",
          "debtor_bic": "SOGEDEFFXXX"}
NUERTINGEN, KREIS_ESSLINGEN, STUTTGART = "08116049", "08116", "08111000"


def png(width: int = 8, height: int = 6) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x10\x80\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 8 + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"


def photo(data: bytes = JPEG, name: str = "beleg.jpg", mime: str = "image/jpeg") -> OutgoingFile:
    return OutgoingFile(name, mime, data)


def claims_bot(tmp_path, db_url, db, *, claims=None, payout=None, platforms=(("test", True),)) -> App:
    """The real bot with its own [claims]/[payout] sections and recording platforms (name, native buttons).

    A test files claims far faster than a person types, so the per-person message limit is switched off.
    """
    sections: dict = {"bot": {"user_messages_per_minute": 0}}
    if claims is not None:
        sections["claims"] = claims
    if payout is not None:
        sections["payout"] = payout
    app = build_app(make_config(tmp_path, db_url, **sections), db=db)
    for name, native in platforms:
        adapter = RecordingAdapter(name, native_buttons=native)
        app.add_adapter(adapter)
        adapter.app = app
    return app


def buttons_of(chat: Chat) -> list[str]:
    return [b.label for r in chat.replies for row in r.buttons for b in row]


async def reach_receipt_step(
    chat: Chat, *, start: str = "Nürtingen", destination: str = "Stuttgart", when: str = "gestern",
    transport: str = "Auto", amount: str = "42,5", purpose: str = "Begleitung zur Ausländerbehörde",
) -> None:
    """Answer /fahrtkosten up to the question for a receipt."""
    await chat.say("/fahrtkosten")
    await chat.say(start)
    await chat.say(destination)
    if "Wo war Ihr ehrenamtlicher Einsatz" in chat.text:
        await chat.press(start)
    await chat.say(when)
    await chat.press(transport)
    await chat.say(amount)
    await chat.say(purpose)


async def file_claim(
    chat: Chat, *, start: str = "Nürtingen", destination: str = "Stuttgart", when: str = "gestern",
    transport: str = "Auto", amount: str = "42,5", purpose: str = "Begleitung zur Ausländerbehörde",
    receipt: OutgoingFile | None = None, holder: str = "Anna Müller", iban: str = IBAN_ANNA, save: bool = False,
    saved: bool = False, submit: bool = True,
) -> int | None:
    """Go through /fahrtkosten as a German-speaking volunteer; returns the new claim's number."""
    await reach_receipt_step(chat, start=start, destination=destination, when=when, transport=transport,
                             amount=amount, purpose=purpose)
    if receipt is not None:
        await chat.say(file=receipt)
        assert "der Beleg ist da" in chat.text, chat.text
    else:
        await chat.press("Kein Beleg")
    if saved:
        await chat.press("Konto von")
    else:
        await chat.say(holder)
        await chat.say(iban)
        await chat.press("Ja, merken" if save else "Nein")
    assert "Bitte prüfen Sie Ihren Antrag" in chat.text, chat.text
    if not submit:
        return None
    await chat.press("Einreichen")
    found = re.search(r"Antrag #(\d+)", chat.text)
    assert found, chat.text
    return int(found.group(1))


async def claim_row(app: App, claim_id: int) -> Claim:
    async with app.db.session() as session:
        return await session.get(Claim, claim_id)


async def claims_in_db(app: App) -> list[Claim]:
    async with app.db.session() as session:
        return list(await session.scalars(select(Claim).order_by(Claim.id)))


async def audit_of(app: App, claim_id: int) -> list[AuditEntry]:
    async with app.db.session() as session:
        return list(await session.scalars(
            select(AuditEntry).where(AuditEntry.claim_id == claim_id).order_by(AuditEntry.id)))


async def user_of(app: App, chat: Chat):
    async with app.db.session() as session:
        return await users.find(session, chat.platform, chat.user_id)


async def dialog_of(app: App, chat: Chat):
    from bot.storage.models import DialogState

    async with app.db.session() as session:
        user = await users.find(session, chat.platform, chat.user_id)
        return await session.get(DialogState, user.id) if user else None
