"""Filing a travel-cost claim by chat: the dialog, the summary, bad input, receipts, saved accounts, withdrawing."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.claims import workflow
from bot.claims.crypto import CannotDecrypt, IbanVault
from bot.messages import Attachment, AttachmentTooLarge, IncomingMessage
from bot.storage.models_claims import Claim, PayoutAccount, Receipt
from bot.wiring import build_app
from tests.support.backend import Chat, RecordingAdapter, deliver_due, grant_role
from tests.support.claims import (
    IBAN_ANNA,
    IBAN_ANNA_COMPACT,
    JPEG,
    KREIS_ESSLINGEN,
    NUERTINGEN,
    PDF,
    audit_of,
    buttons_of,
    claim_row,
    claims_bot,
    claims_in_db,
    dialog_of,
    file_claim,
    photo,
    png,
    reach_receipt_step,
)
from tests.support.config import make_config


@pytest.fixture
def app(tmp_path, db_url, db):
    """The shared `app` fixture, with the per-person message limit off (see claims_bot)."""
    return claims_bot(tmp_path, db_url, db)


@pytest.mark.parametrize("platform, native_buttons", [("telegram", True), ("matrix", False)])
async def test_a_claim_with_a_receipt_photo_is_filed_reviewed_and_the_volunteer_told(
    tmp_path, db_url, db, platform, native_buttons
):
    app = claims_bot(tmp_path, db_url, db, platforms=[(platform, native_buttons)])
    anna = Chat(app, "anna", platform=platform)
    rita = Chat(app, "rita", platform=platform)
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    picture = png()

    claim_id = await file_claim(anna, receipt=photo(picture, "IMG_2001.jpg", "image/jpeg"))

    claim = await claim_row(app, claim_id)
    assert (claim.status, claim.amount_cents, claim.km_tenths, claim.rate_cents_per_km) == ("pending", 1275, 425, 30)
    assert (claim.place_id, claim.from_place_id, claim.to_place_id) == (NUERTINGEN, NUERTINGEN, "08111000")
    assert claim.trip_date == workflow.today() - timedelta(days=1)
    async with app.db.session() as session:
        receipt = await session.get(Receipt, claim.receipt_id)
    assert receipt.data == picture and receipt.mime_type == "image/png"  # read from the bytes, not the label
    assert receipt.sha256 == hashlib.sha256(picture).hexdigest()

    await deliver_due(app, platform)
    [notice] = app.adapters[platform].to(rita.chat_id)
    assert f"#{claim_id}" in notice.text and "12,75" in notice.text
    await rita.press(notice.buttons[0][0])
    assert "Beleg: liegt bei" in rita.text and "plausibel" in rita.text
    [file_reply] = [r for r in rita.replies if r.file is not None]
    assert file_reply.file.data == picture
    await rita.press("Genehmigen", rita.replies)
    assert (await claim_row(app, claim_id)).status == "approved"

    await deliver_due(app, platform)
    told = app.adapters[platform].to(anna.chat_id)
    assert "ist genehmigt" in told[-1].text and "12,75" in told[-1].text


async def test_numbered_menus_do_not_swallow_a_typed_distance(tmp_path, db_url, db):
    """On Matrix "2" answers the last numbered menu; after the transport menu it must be 2 km, not "Motorrad"."""
    app = claims_bot(tmp_path, db_url, db, platforms=[("matrix", False)])
    anna = Chat(app, "anna", platform="matrix")
    for message in ("/fahrtkosten", "Nürtingen", "Nürtingen"):
        await anna.say(message)
    await anna.say("gestern")
    await anna.say("1")  # the first numbered choice: Auto
    assert "Wie viele Kilometer" in anna.text
    await anna.say("2")
    assert "Wofür war die Fahrt" in anna.text
    state = await dialog_of(app, anna)
    assert (state.data["transport"], state.data["km_tenths"]) == ("car", 20)


async def test_nothing_is_stored_before_the_summary_is_confirmed(app, chat):
    await file_claim(chat, receipt=photo(), submit=False)
    assert "Betrag: 12,75\xa0€" in chat.text and "Anna Müller" in chat.text and "…3000" in chat.text
    assert await claims_in_db(app) == []
    await chat.press("Abbrechen")
    assert "nichts eingereicht" in chat.text
    assert await claims_in_db(app) == [] and await dialog_of(app, chat) is None


async def test_a_ticket_needs_its_receipt_and_takes_a_pdf(app, chat):
    await chat.say("/fahrtkosten")
    await chat.say("Nürtingen")
    await chat.say("Nürtingen")
    await chat.press("Heute")
    await chat.press("Bus- oder Bahnfahrkarte")
    await chat.say("4,60 €")
    await chat.say("Sprachcafé")
    assert "Foto oder PDF der Fahrkarte" in chat.text and "Kein Beleg" not in buttons_of(chat)
    await chat.say("habe ich nicht")
    assert "keinen Text" in chat.text and (await dialog_of(app, chat)).step == "receipt"
    await chat.say(file=photo(PDF, "Quittung.pdf", "application/pdf"))
    await chat.say("Anna Müller")
    await chat.say(IBAN_ANNA)
    await chat.press("Nein")
    await chat.press("Einreichen")
    [claim] = await claims_in_db(app)
    assert (claim.transport, claim.ticket_cents, claim.amount_cents, claim.km_tenths) == ("ticket", 460, 460, None)
    assert claim.rate_cents_per_km is None and claim.receipt_id is not None


async def bad(chat: Chat, app, message: str = "", **kwargs) -> tuple[str, str]:
    """Send something wrong; the same question must stay open with the same answers so far."""
    before = await dialog_of(app, chat)
    await chat.say(message, **kwargs)
    after = await dialog_of(app, chat)
    assert (after.step, after.data) == (before.step, before.data), chat.text
    return chat.text, after.step


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(app, chat):
    await chat.say("/fahrtkosten")
    await chat.say("Nürtingen")
    await chat.say("Nürtingen")
    in_two_days = (workflow.today() + timedelta(days=2)).strftime("%d.%m.%Y")
    assert "Zukunft" in (await bad(chat, app, in_two_days))[0]
    assert "180 Tage" in (await bad(chat, app, (workflow.today() - timedelta(days=400)).strftime("%d.%m.%Y")))[0]
    assert "nicht lesen" in (await bad(chat, app, "irgendwann"))[0]
    assert "nicht lesen" in (await bad(chat, app, "31.02.2025"))[0]
    await chat.say("gestern")
    assert "Womit" in chat.text
    assert "Schaltflächen" in (await bad(chat, app, "Auto bitte"))[0]
    await chat.press("Auto")
    assert "größer als 0" in (await bad(chat, app, "-12"))[0]
    assert "größer als 0" in (await bad(chat, app, "0"))[0]
    assert "mehr als 1000 km" in (await bad(chat, app, "100000"))[0]
    assert "nur eine Zahl" in (await bad(chat, app, "zwölf"))[0]
    assert "nur eine Zahl" in (await bad(chat, app, "1.234,5"))[0]
    assert "keine Datei" in (await bad(chat, app, file=photo()))[0]
    await chat.say("12,5 km")
    assert "Wofür" in chat.text
    assert "höchstens 300 Zeichen" in (await bad(chat, app, "x" * 301))[0]
    await chat.say("Hausaufgabenhilfe")

    assert "keinen Text" in (await bad(chat, app, "hier ist das Foto"))[0]
    exe = b"MZ\x90\x00" + bytes(2000)
    assert "nur Fotos" in (await bad(chat, app, file=photo(exe, "beleg.jpg", "image/jpeg")))[0]
    assert "leer" in (await bad(chat, app, file=photo(b"", "leer.pdf", "application/pdf")))[0]
    assert "zu groß" in (await bad(chat, app, file=photo(JPEG + bytes(11 * 1024 * 1024))))[0]

    await chat.press("Kein Beleg")
    await chat.say("Anna Müller")
    assert "Prüfziffern" in (await bad(chat, app, "DE89 3704 0044 0532 0130 01"))[0]
    assert "falsche Länge" in (await bad(chat, app, "DE89 3704 0044 0532 0130"))[0]
    assert "keine gültige IBAN" in (await bad(chat, app, "meine IBAN weiß ich nicht"))[0]
    assert "SEPA-Raum" in (await bad(chat, app, "BR15 0000 0000 0000 1093 2840 814P2"))[0]
    await chat.say(IBAN_ANNA)
    await chat.press("Nein")
    await chat.press("Einreichen")
    [claim] = await claims_in_db(app)
    assert (claim.km_tenths, claim.amount_cents, claim.receipt_id) == (125, 375, None)
    async with app.db.session() as session:
        assert list(await session.scalars(select(Receipt))) == []


async def test_a_50_mb_file_is_refused_before_it_is_downloaded(app, chat):
    await reach_receipt_step(chat, destination="Nürtingen", transport="Bus- oder Bahnfahrkarte", amount="12,40",
                             purpose="Runder Tisch Asyl")
    downloads = []

    async def fetch() -> bytes:
        downloads.append(1)
        return JPEG

    before = await dialog_of(app, chat)
    huge = Attachment(filename="scan.pdf", mime_type="application/pdf", size=50 * 1024 * 1024, fetch=fetch)
    replies = await app.handle(IncomingMessage(platform="test", chat_id=chat.chat_id, sender_id="anna",
                                               language="de", attachment=huge, message_id="huge"))
    assert "zu groß" in replies[0].text and "10 MB" in replies[0].text
    assert downloads == []
    after = await dialog_of(app, chat)
    assert (after.step, after.data) == (before.step, before.data)

    async def lying_fetch() -> bytes:  # no size declared, and more arrives than allowed
        return JPEG + bytes(10 * 1024 * 1024)

    sneaky = Attachment(filename="x.jpg", mime_type="image/jpeg", size=None, fetch=lying_fetch)
    replies = await app.handle(IncomingMessage(platform="test", chat_id=chat.chat_id, sender_id="anna",
                                               language="de", attachment=sneaky, message_id="sneaky"))
    assert "zu groß" in replies[0].text and "10 MB" in replies[0].text

    async def platform_limit() -> bytes:  # the platform's own limit is lower than the receipt's: name that one
        raise AttachmentTooLarge(5 * 1024 * 1024)

    capped = Attachment(filename="x.jpg", mime_type="image/jpeg", size=None, fetch=platform_limit)
    replies = await app.handle(IncomingMessage(platform="test", chat_id=chat.chat_id, sender_id="anna",
                                               language="de", attachment=capped, message_id="capped"))
    assert "zu groß" in replies[0].text and "5 MB" in replies[0].text

    async def broken_fetch() -> bytes:  # the platform refuses or the network fails
        raise ConnectionError("gone")

    broken = Attachment(filename="x.jpg", mime_type="image/jpeg", size=None, fetch=broken_fetch)
    replies = await app.handle(IncomingMessage(platform="test", chat_id=chat.chat_id, sender_id="anna",
                                               language="de", attachment=broken, message_id="broken"))
    assert "nicht herunterladen" in replies[0].text
    after = await dialog_of(app, chat)
    assert (after.step, after.data) == (before.step, before.data)
    async with app.db.session() as session:
        assert list(await session.scalars(select(Receipt))) == []


async def test_the_account_is_reused_only_if_the_volunteer_agrees_and_is_encrypted_at_rest(app, chat, db):
    first = await file_claim(chat, save=True)
    await reach_receipt_step(chat, destination="Nürtingen", amount="10", purpose="Sprachkurs")
    await chat.press("Kein Beleg")
    assert "Konto von Anna Müller, IBAN …3000" in buttons_of(chat)
    await chat.press("Konto von")
    await chat.press("Einreichen")
    claims = await claims_in_db(app)
    assert [c.id for c in claims][0] == first and claims[1].iban_hash == claims[0].iban_hash

    # Nowhere in the database - claims, saved accounts, dialog states, outbox - is the IBAN readable.
    async with db.engine.connect() as conn:
        for table in ("claims", "claim_accounts", "dialog_states", "deliveries", "claim_audit"):
            for row in (await conn.execute(text(f"SELECT * FROM {table}"))).all():
                dumped = " ".join(str(v) for v in row)
                assert IBAN_ANNA_COMPACT not in dumped and "0532 0130" not in dumped and "05320130" not in dumped
    vault = IbanVault.from_config(app.config)
    assert vault.open(claims[1].iban_encrypted) == IBAN_ANNA_COMPACT
    with pytest.raises(CannotDecrypt):
        IbanVault(b"another key").open(claims[1].iban_encrypted)

    # Without agreement nothing is remembered; and the volunteer can delete the saved account.
    await reach_receipt_step(chat, destination="Nürtingen", amount="10", purpose="Sprachkurs")
    await chat.press("Kein Beleg")
    await chat.press("Gespeichertes Konto löschen")
    assert "gelöscht" in chat.text and "Auf wessen Namen" in chat.text
    async with app.db.session() as session:
        assert await session.get(PayoutAccount, claims[0].user_id) is None


async def test_without_a_secret_key_a_key_file_is_made_once_and_kept_private(tmp_path, db_url, db):
    cfg = make_config(tmp_path, db_url, bot={"user_messages_per_minute": 0, "secret_key": ""})
    app = build_app(cfg, db=db)
    app.add_adapter(RecordingAdapter("test"))
    anna = Chat(app, "anna")
    key_file = cfg.data_dir / "secret.key"
    assert not key_file.exists()
    await file_claim(anna)
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600
    [claim] = await claims_in_db(app)
    again = IbanVault.from_config(cfg)  # a restarted bot reads the same key
    assert again.open(claim.iban_encrypted) == IBAN_ANNA_COMPACT


async def test_a_pending_claim_can_be_withdrawn_an_approved_one_not(app, chat, new_chat):
    claim_id = await file_claim(chat)
    await chat.press("Zurückziehen")
    assert f"Antrag #{claim_id} ist zurückgezogen" in chat.text
    assert (await claim_row(app, claim_id)).status == "withdrawn"
    assert [(e.action, e.old_status, e.new_status) for e in await audit_of(app, claim_id)] == [
        ("submitted", None, "pending"), ("withdrawn", "pending", "withdrawn")]

    second = await file_claim(chat, when="vorgestern")
    rita = new_chat("rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    await rita.say("/pruefen")
    await rita.press(f"#{second}")
    await rita.press("Genehmigen")
    await chat.say("/meineantraege")
    assert f"#{second}" in chat.text and "genehmigt" in chat.text
    assert not any("zurückziehen" in label for label in buttons_of(chat))
    mallory = new_chat("mallory")
    async with app.db.session() as session:
        from bot import users
        from bot.core import buttons

        anna = await users.find(session, "test", "anna")
        token = await buttons.create(session, anna, "claim_withdraw", {"claim": second})
        await session.commit()
    await chat.press_token(token)
    assert "nicht mehr zurückgezogen" in chat.text and (await claim_row(app, second)).status == "approved"
    await mallory.press_token(token)
    assert "jemand anderem" in mallory.text


async def test_a_restart_in_the_middle_of_the_dialog_continues_where_it_was(app, db, chat):
    for message in ("/fahrtkosten", "Nürtingen", "Stuttgart"):
        await chat.say(message)
    await chat.press("Nürtingen")
    await chat.say("gestern")
    restarted = build_app(app.config, db=db)
    restarted.add_adapter(RecordingAdapter("test"))
    anna = Chat(restarted, "anna")
    await anna.press("Motorrad", chat.replies)
    await anna.say("100")
    assert "Wofür" in anna.text
    state = await dialog_of(restarted, anna)
    assert (state.data["transport"], state.data["km_tenths"], state.data["place"]) == ("motorcycle", 1000, NUERTINGEN)


async def test_a_button_from_an_earlier_question_does_nothing(app, chat):
    for message in ("/fahrtkosten", "Nürtingen", "Nürtingen", "gestern"):
        await chat.say(message)
    transport_question = chat.replies
    await chat.press("Auto")
    await chat.say("30")
    before = await dialog_of(app, chat)
    await chat.press("Motorrad", transport_question)
    assert "früheren Frage" in chat.text
    after = await dialog_of(app, chat)
    assert (after.step, after.data) == (before.step, before.data)


async def test_an_ambiguous_place_is_asked_back_and_an_unknown_one_kept(app, chat):
    await chat.say("/fahrtkosten")
    await chat.say("Esslingen")
    assert "Welches „Esslingen“" in chat.text
    assert "Esslingen am Neckar (Landkreis Esslingen, Baden-Württemberg)" in buttons_of(chat)
    await chat.press("Esslingen am Neckar (")
    await chat.say("Gemeinschaftsunterkunft Zollberg")
    assert "nicht in meinem Ortsverzeichnis" in chat.text and "An welchem Tag" in chat.text
    state = await dialog_of(app, chat)
    assert state.data["from_place"] == "08116019" and state.data["to_place"] is None
    assert state.data["place"] == "08116019"  # the start decides whose reviewers check


async def test_the_place_is_asked_for_when_no_town_was_recognised(app, chat):
    for message in ("/fahrtkosten", "Bahnhof", "Gemeinschaftsunterkunft"):
        await chat.say(message)
    assert "In welchem Ort war Ihr ehrenamtlicher Einsatz" in chat.text
    await chat.say("Xyzzyhausen")
    assert "nicht gefunden" in chat.text
    await chat.say("Nürtingen")
    assert (await dialog_of(app, chat)).data["place"] == NUERTINGEN


async def test_in_a_group_the_claim_moves_to_the_private_chat(app, new_chat):
    group = new_chat("anna", chat_id="group-1", group=True)
    await group.say("/fahrtkosten")
    assert "privaten Chat" in group.text
    assert await dialog_of(app, group) is None


async def test_english_speakers_file_in_english_and_are_told_in_english(app, new_chat, adapter):
    ben = new_chat("ben", language="en")
    rita = new_chat("rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    await ben.say("/claim")
    assert "Where did the trip start?" in ben.text
    for message in ("Nürtingen", "Nürtingen", "yesterday"):
        await ben.say(message)
    await ben.press("car")
    await ben.say("20")
    await ben.say("Homework club")
    await ben.press("No receipt")
    await ben.say("Ben Smith")
    await ben.say("DE02 1203 0000 0000 2020 51")
    await ben.press("No")
    assert "Amount: 6,00\xa0€" in ben.text
    await ben.press("Submit")
    await deliver_due(app)
    [notice] = adapter.to(rita.chat_id)
    assert "Neuer Fahrtkostenantrag" in notice.text  # the reviewer in German
    await rita.press(notice.buttons[0][0])
    await rita.press("Genehmigen")
    await deliver_due(app)
    assert "was approved" in adapter.to(ben.chat_id)[-1].text


async def test_rates_change_only_for_later_trips(tmp_path, db_url, db):
    change = workflow.today() - timedelta(days=5)
    claims = {
        "default": [{"rate_car_cents_per_km": 30}, {"valid_from": change, "rate_car_cents_per_km": 35}],
        KREIS_ESSLINGEN: [{"valid_from": change + timedelta(days=2), "cap_cents": 500}],
    }
    app = claims_bot(tmp_path, db_url, db, claims=claims)
    anna = Chat(app, "anna")
    before = await file_claim(anna, when=(change - timedelta(days=1)).strftime("%d.%m.%Y"), amount="10")
    on_the_day = await file_claim(anna, when=change.strftime("%d.%m.%Y"), amount="10")
    capped = await file_claim(anna, when="gestern", amount="20", submit=False)
    assert capped is None and "gekürzt von 7,00\xa0€ auf den Höchstbetrag" in anna.text and "Betrag: 5,00\xa0€" in anna.text
    await anna.press("Einreichen")
    rows = {c.id: c for c in await claims_in_db(app)}
    assert (rows[before].rate_cents_per_km, rows[before].amount_cents) == (30, 300)
    assert (rows[on_the_day].rate_cents_per_km, rows[on_the_day].amount_cents) == (35, 350)
    last = max(rows)
    assert (rows[last].amount_cents, rows[last].uncapped_cents) == (500, 700)
    assert rows[last].rules_valid_from == change + timedelta(days=2)


async def test_a_bicycle_is_offered_only_where_it_has_a_rate(tmp_path, db_url, db, app, chat):
    for message in ("/fahrtkosten", "Nürtingen", "Nürtingen", "gestern"):
        await chat.say(message)
    assert "Fahrrad" not in buttons_of(chat)
    bikes = claims_bot(tmp_path, db_url, db, claims={KREIS_ESSLINGEN: {"rate_bicycle_cents_per_km": 10}})
    anna = Chat(bikes, "anna")
    await file_claim(anna, transport="Fahrrad", amount="7,5")
    claim = (await claims_in_db(bikes))[-1]
    assert (claim.transport, claim.amount_cents) == ("bicycle", 75)


async def test_unfinished_dialogs_leave_no_receipts_behind(app, chat):
    from bot.claims import receipts

    await file_claim(chat, receipt=photo(), submit=False)
    await chat.say("/abbrechen")
    async with app.db.session() as session:
        assert len(list(await session.scalars(select(Receipt)))) == 1
        assert await receipts.purge_unclaimed(session, timedelta(hours=1)) == 0  # still young
        await session.execute(text("UPDATE claim_receipts SET created_at = :old"),
                              {"old": workflow.now() - timedelta(days=3)})
        assert await receipts.purge_unclaimed(session, timedelta(hours=25)) == 1
        await session.commit()
    filed = await file_claim(chat, receipt=photo())
    async with app.db.session() as session:
        await session.execute(text("UPDATE claim_receipts SET created_at = :old"),
                              {"old": workflow.now() - timedelta(days=3)})
        assert await receipts.purge_unclaimed(session, timedelta(hours=25)) == 0  # belongs to a claim
        await session.commit()
    assert (await claim_row(app, filed)).receipt_id is not None


async def test_claims_of_others_are_not_shown(app, chat, new_chat):
    await file_claim(chat)
    ben = new_chat("ben")
    await ben.say("/meineantraege")
    assert "noch keine Fahrtkostenanträge" in ben.text
    async with app.db.session() as session:
        assert len(list(await session.scalars(select(Claim)))) == 1


async def test_the_purpose_can_be_a_round_table_the_volunteer_said_they_would_attend(app, chat):
    from datetime import datetime, time

    from bot import users
    from bot.storage.models_meetings import Meeting, Rsvp
    from bot.timeutil import BERLIN

    yesterday = workflow.today() - timedelta(days=1)
    async with app.db.session() as session:
        anna = await users.get_or_create(session, "test", "anna", language="de", default_language="de",
                                         dm_chat_id=chat.chat_id)
        event = Meeting(uid="rt-1@test", place_id=NUERTINGEN, title="Runder Tisch Asyl",
                      starts_at=datetime.combine(yesterday, time(14), tzinfo=BERLIN))
        session.add(event)
        await session.flush()
        session.add(Rsvp(event_id=event.id, user_id=anna.id, answer="yes"))
        await session.commit()
    for message in ("/fahrtkosten", "Nürtingen", "Nürtingen", "gestern"):
        await chat.say(message)
    await chat.press("Auto")
    await chat.say("12")
    assert "Runden Tisch" in chat.text
    await chat.press("Runder Tisch Asyl")
    await chat.press("Kein Beleg")
    await chat.say("Anna Müller")
    await chat.say(IBAN_ANNA)
    await chat.press("Nein")
    await chat.press("Einreichen")
    [claim] = await claims_in_db(app)
    assert claim.round_table == claim.purpose and claim.purpose.startswith("Runder Tisch Asyl (Nürtingen")
