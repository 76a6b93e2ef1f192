"""Privacy: the statement, the export, deletion on request, the retention job, clean logs, health and metrics."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from datetime import date, datetime, timedelta

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot import logs, privacy
from bot.config import ConfigError
from bot.messages import Reply
from bot.storage.base import Base
from bot.storage.models import ButtonToken, Delivery, DialogState, RoleGrant, SeenEvent, User
from bot.storage.models_claims import AuditEntry, Claim, PayoutAccount, Receipt
from bot.storage.models_directory import DirectoryEntry
from bot.storage.models_meetings import Meeting, Rsvp, Subscription
from bot.timeutil import now
from bot.wiring import build_app
from tests.support.backend import Chat, RecordingAdapter, deliver_due, grant_role, user_id
from tests.support.claims import IBAN_ANNA_COMPACT, JPEG, file_claim, photo
from tests.support.config import make_config

IBAN_BERT = "DE02120300000000202051"


def bot_with(tmp_path, db_url, db, **sections):
    app = build_app(make_config(tmp_path, db_url, **sections), db=db)
    adapter = RecordingAdapter("test")
    app.add_adapter(adapter)
    adapter.app = app
    return app


async def count(app, model, *where) -> int:
    async with app.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def give_anna_a_life(app, anna: Chat) -> tuple[int, int]:
    """Anna subscribes, says yes to a meeting, has a role, an open dialog and one filed claim with a receipt."""
    claim_id = await file_claim(anna, receipt=photo(JPEG, "beleg.jpg"), save=True)
    await grant_role(app, anna, "coordinator", "08116049")
    uid = await user_id(app, anna)
    async with app.db.session() as session:
        event = Meeting(uid="e1@helferbot", place_id="08116049", title="Runder Tisch Asyl",
                      starts_at=now() + timedelta(days=3))
        session.add(event)
        await session.flush()
        session.add_all([Subscription(user_id=uid, place_id="08116049"),
                         Rsvp(event_id=event.id, user_id=uid, answer="yes")])
        await session.commit()
    await anna.say("/fahrtkosten")  # leaves a dialog open
    return uid, claim_id


async def test_the_statement_names_what_is_kept_and_the_configured_periods(tmp_path, db_url, db):
    app = bot_with(tmp_path, db_url, db, privacy={
        "claims_retention_years": 10, "deliveries_retention_days": 14,
        "controller": "Landratsamt Esslingen, Pulverwiesen 11, 73728 Esslingen",
        "contact": "datenschutz@lra-es.de"})
    anna = Chat(app, "anna")
    [short] = await anna.say("/datenschutz")
    assert len(short.text) < 1000  # one phone screen
    assert "Landratsamt Esslingen, Pulverwiesen 11" in short.text and "datenschutz@lra-es.de" in short.text
    assert "10 volle Kalenderjahre" in short.text
    assert "/meinedaten" in short.text and "/loeschen" in short.text and "Beschwerde" in short.text
    details = {}
    for label in ("Was und wozu", "Wie lange", "Fahrtkosten", "Ihre Rechte"):
        [details[label]] = await anna.press(label, [short])
        assert len(details[label].text) < 1000, label
    assert "Art. 6 Abs. 1 lit. b DSGVO" in details["Was und wozu"].text
    assert "14 Tage" in details["Wie lange"].text
    assert "internen Nummer statt Ihres Chat-Kontos" in details["Fahrtkosten"].text  # how the claims log names people
    assert "Fingerabdruck" in details["Fahrtkosten"].text
    assert "Datenschutz-Aufsichtsbehörde Ihres Bundeslandes" in details["Ihre Rechte"].text
    bob = Chat(app, "bob", language="en")
    [short] = await bob.say("/privacy")
    assert "10 full calendar years" in short.text and "/delete" in short.text and "Landratsamt" in short.text
    [rights] = await bob.press("Your rights", [short])
    assert "data protection authority of your Land" in rights.text


async def test_without_a_configured_controller_the_statement_says_whom_to_ask(app, chat):
    [short] = await chat.say("/datenschutz")
    assert "fragen Sie Ihre Koordinierungsstelle" in short.text


@pytest.mark.parametrize("section, problem", [
    ({"claims_retention_yrs": 8}, "unknown key privacy.claims_retention_yrs"),
    ({"deliveries_retention_days": "30"}, "privacy.deliveries_retention_days must be a whole number"),
    ({"claims_retention_years": 0}, "privacy.claims_retention_years must be a whole number of at least 1"),
])
async def test_a_wrong_privacy_section_stops_the_start(tmp_path, db_url, db, section, problem):
    with pytest.raises(ConfigError) as caught:
        build_app(make_config(tmp_path, db_url, privacy=section), db=db)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


async def test_my_data_is_readable_and_has_everything_but_the_full_iban(app, chat, new_chat):
    uid, claim_id = await give_anna_a_life(app, chat)
    rita = new_chat("rita")
    await grant_role(app, rita, "reviewer", "08116")
    await chat.say("abbrechen")
    await rita.say("/pruefen")
    await rita.press(f"#{claim_id}")
    await rita.press("Rückfrage stellen")
    await rita.say("Bitte das Ticket nachreichen")
    await deliver_due(app)
    question = app.adapters["test"].to(chat.chat_id)[-1]
    await chat.press(question.buttons[0][0])
    await chat.say("Ticket ist im Anhang, war eine Tageskarte")
    await chat.say("/meinedaten")
    page, machine = [r.file for r in chat.replies if r.file is not None]
    assert page.mime_type == "text/html" and machine.mime_type == "application/json"
    raw = machine.data.decode()
    sections = {s["key"]: s for s in json.loads(raw)["sections"]}
    assert sections["account"]["title"] == "Ihr Konto"
    assert sections["account"]["records"][0]["Ihre ID auf dieser Plattform"] == "anna"
    assert sections["roles"]["records"][0]["Bereich"] == "Nürtingen (08116049)"
    assert sections["subscriptions"]["records"][0]["Ort"] == "Nürtingen (08116049)"
    [meeting] = sections["meeting_answers"]["records"]
    assert meeting["Treffen"] == "Runder Tisch Asyl" and meeting["Ihre Antwort"] == "ja"
    [claim] = sections["claims"]["records"]
    assert claim["Antrag"] == f"#{claim_id}" and claim["IBAN"] == "…3000" and claim["Kontoinhaber"] == "Anna Müller"
    assert claim["Betrag"].endswith("€") and "," in claim["Betrag"]
    assert "Bitte das Ticket nachreichen" in claim["Verlauf"]  # the reviewer's question …
    assert "war eine Tageskarte" in claim["Verlauf"]  # … and the person's own answer
    assert sections["saved_account"]["records"][0]["IBAN"] == "…3000"
    assert sections["receipts"]["records"][0]["Größe in Bytes"] == len(JPEG)
    assert IBAN_ANNA_COMPACT not in raw and "0532013000" not in raw and "iban_encrypted" not in raw
    assert "rita" not in raw  # reviewers appear by their role, not their account
    assert "button_tokens" not in raw and "km_tenths" not in raw and "decided_by" not in raw
    html = page.data.decode()
    assert "<h2>Ihre Fahrtkostenanträge</h2>" in html and "Nürtingen (08116049)" in html
    assert IBAN_ANNA_COMPACT not in html


async def test_my_data_and_delete_are_not_answered_in_a_group(app, new_chat):
    group = new_chat("anna", group=True, chat_id="group-1")
    for command in ("/meinedaten", "/loeschen"):
        replies = await group.say(command)
        assert all(r.file is None and not any(b.token for row in r.buttons for b in row) for r in replies)
        assert "privaten Chat" in group.text


async def test_delete_asks_first_and_no_keeps_everything(app, chat):
    uid, _ = await give_anna_a_life(app, chat)
    await chat.say("/loeschen")
    assert "wirklich" in chat.text and "10 Jahre" not in chat.text and "8 Jahre" in chat.text
    await chat.press("Nein")
    assert "nichts gelöscht" in chat.text
    assert await user_id(app, chat) == uid
    assert await count(app, Subscription, Subscription.user_id == uid) == 1


async def test_delete_removes_the_person_and_keeps_claims_detached(app, chat, new_chat):
    bert = new_chat("bert")
    await bert.say("/abonnieren")
    bert_id = await user_id(app, bert)
    uid, claim_id = await give_anna_a_life(app, chat)
    async with app.db.session() as session:
        audit_before = await session.scalar(select(func.count()).select_from(AuditEntry))
        session.add(Delivery(platform="test", chat_id=chat.chat_id, user_id=uid, payload=Reply("hi").to_payload()))
        await session.commit()

    async with app.db.session() as session:
        created = (await session.get(User, uid)).created_at.isoformat()
    await chat.say("/loeschen")
    confirm = chat.find("Ja, alles löschen")
    await chat.press(confirm)
    assert "gelöscht" in chat.text and "Fahrtkostenantrag" in chat.text and "8 Jahre" in chat.text

    assert await user_id(app, chat) is None
    for model in (RoleGrant, Subscription, Rsvp, DialogState, ButtonToken, PayoutAccount, Delivery):
        assert await count(app, model, model.user_id == uid) == 0, model.__name__
    assert await count(app, Delivery, Delivery.chat_id == chat.chat_id) == 0
    async with app.db.session() as session:
        claim = await session.get(Claim, claim_id)
        assert claim is not None and claim.user_id is None and claim.holder == "Anna Müller"
        assert (await session.get(Receipt, claim.receipt_id)) is not None
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    assert await user_id(app, bert) == bert_id  # nobody else is touched

    await chat.press(confirm)  # the confirmation works once
    assert "gelöscht" not in chat.text
    assert await count(app, Claim, Claim.user_id.is_not(None)) == 0
    await chat.say("/meinedaten")  # a fresh, empty account
    data = json.loads(next(r.file for r in chat.replies if r.file and r.file.mime_type == "application/json").data)
    sections = {s["key"]: s["records"] for s in data["sections"]}
    assert sections["account"][0]["Ihre ID auf dieser Plattform"] == "anna"
    async with app.db.session() as session:
        assert (await session.scalar(select(User.created_at).where(User.platform_user_id == "anna"))).isoformat() > created
    assert set(sections) == {"account"}, set(sections)


async def test_retention_removes_what_has_outlived_its_purpose(tmp_path, db_url, db):
    app = bot_with(tmp_path, db_url, db, privacy={"claims_retention_years": 8, "deliveries_retention_days": 30})
    anna = Chat(app, "anna")
    recent = await file_claim(anna)
    old = await file_claim(anna, receipt=photo(JPEG, "alt.jpg"), purpose="Fahrt zum Sprachkurs")
    t = now()
    long_ago = datetime(t.year - 9, 6, 1, tzinfo=t.tzinfo)
    inside = datetime(t.year - 8, 6, 1, tzinfo=t.tzinfo)  # its retention ends on 31 December this year
    async with app.db.session() as session:
        for claim_id, status, when in ((recent, "paid", inside), (old, "paid", long_ago)):
            claim = await session.get(Claim, claim_id)
            claim.status, claim.updated_at, claim.trip_date = status, when, date(when.year, 5, 30)
        old_receipt = (await session.get(Claim, old)).receipt_id
        session.add_all([
            Delivery(platform="test", chat_id="c", payload={}, status="sent", created_at=t - timedelta(days=31)),
            Delivery(platform="test", chat_id="c", payload={}, status="pending", created_at=t - timedelta(days=40)),
            Delivery(platform="test", chat_id="c", payload={}, status="sent", created_at=t - timedelta(days=2)),
            SeenEvent(platform="test", event_id="old", seen_at=t - timedelta(days=31)),
            SeenEvent(platform="test", event_id="new", seen_at=t - timedelta(days=1)),
            ButtonToken(token="expiredtoken", action="lang", payload={}, expires_at=t - timedelta(days=2)),
        ])
        await session.commit()

    done = await privacy.run_retention(app)

    assert done["claims"] == 1 and done["deliveries"] == 1 and done["seen_events"] == 1
    assert await count(app, AuditEntry, AuditEntry.claim_id == old) == 0  # the log goes with its record
    assert await count(app, AuditEntry, AuditEntry.claim_id == recent) == 1
    async with app.db.session() as session:
        assert await session.get(Claim, old) is None and await session.get(Receipt, old_receipt) is None
        kept = await session.get(Claim, recent)
        assert kept is not None and kept.iban_encrypted is None  # paid: the IBAN is gone, the record stays
        assert await session.get(SeenEvent, ("test", "new")) is not None
        assert await session.get(SeenEvent, ("test", "old")) is None
        assert await session.get(ButtonToken, "expiredtoken") is None
        statuses = sorted(await session.scalars(select(Delivery.status).where(Delivery.chat_id == "c")))
    assert statuses == ["pending", "sent"]
    assert (await privacy.run_retention(app))["claims"] == 0


async def test_a_paid_iban_stays_when_the_payout_config_says_so(tmp_path, db_url, db):
    app = bot_with(tmp_path, db_url, db, payout={"keep_iban_after_payout": True})
    anna = Chat(app, "anna")
    claim_id = await file_claim(anna)
    async with app.db.session() as session:
        (await session.get(Claim, claim_id)).status = "paid"
        await session.commit()
    await privacy.run_retention(app)
    async with app.db.session() as session:
        assert (await session.get(Claim, claim_id)).iban_encrypted is not None


async def test_logs_hold_no_texts_names_phone_numbers_or_ibans(app, chat):
    """The logging as `helferbot run` sets it up, at its most talkative level."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.setup("DEBUG")
    root.handlers[0].setStream(stream)
    try:
        await file_claim(chat, holder="Anna Müller", iban=IBAN_ANNA_COMPACT)
        await chat.say("Meine Nummer ist 0171 2345678, schreiben Sie an anna.mueller@example.org")
        await chat.say("/loeschen")
        await chat.press("Ja, alles löschen")
        logging.getLogger("probe").error("failed for DE89 3704 0044 0532 0130 00 and +49 171 2345678 a@b.de")
        async with app.db.session() as session:  # a database error quotes its statement, never its values
            session.add_all([User(platform="test", platform_user_id=f"Anna Müller {i}") for i in range(2)])
            await session.flush()
            await session.execute(sa.update(User).where(User.platform == "test").values(
                platform_user_id="Nummer Müller"))
    except IntegrityError:
        logging.getLogger("probe").exception("database error")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    out = stream.getvalue()
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines and all({"ts", "level", "logger", "msg"} <= set(entry) for entry in lines)
    for secret in ("Anna Müller", "Müller", "DE89", "0532013000", "2345678", "anna.mueller", "a@b.de", "Nummer"):
        assert secret not in out, secret
    assert "[iban]" in out and "[number]" in out and "[email]" in out
    assert "UPDATE users" in out and "hide_parameters" in out


async def test_a_flooding_person_is_told_once_then_ignored_without_writes(tmp_path, db_url, db, new_chat):
    app = bot_with(tmp_path, db_url, db, bot={"user_messages_per_minute": 3})
    flood = Chat(app, "flood")
    calm = Chat(app, "calm")
    for _ in range(3):
        assert await flood.say("/hilfe")
    [warning] = await flood.say("/hilfe")
    assert "Minute" in warning.text
    async with app.db.session() as session:
        seen_before = (await session.get(User, await user_id(app, flood))).last_seen_at
    for _ in range(5):
        assert await flood.say("/hilfe") == []
    async with app.db.session() as session:
        assert (await session.get(User, await user_id(app, flood))).last_seen_at == seen_before
    assert "Was ich kann" in (await calm.say("/hilfe"))[0].text  # others are not affected
    group = Chat(app, "spammer", group=True, chat_id="group-1")
    for _ in range(3):
        await group.say("spam")
    assert await group.say("spam") == []  # a group never sees the notice


def test_the_window_slides():
    from bot.core.ratelimit import SlidingWindow

    clock = [0.0]
    window = SlidingWindow(2, 60, clock=lambda: clock[0])
    key = ("test", "a")
    assert [window.hit(key) for _ in range(4)] == ["ok", "ok", "warn", "drop"]
    clock[0] = 61
    assert window.hit(key) == "ok"
    assert SlidingWindow(0).hit(key) == "ok"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_health_and_metrics_over_http(tmp_path, db_url, db):
    port = free_port()
    app = bot_with(tmp_path, db_url, db, bot={"http_port": port})
    anna = Chat(app, "anna")
    await file_claim(anna)
    async with app.db.session() as session:
        session.add_all([Delivery(platform="test", chat_id="c", payload={}, status=status)
                         for status in ("pending", "pending", "failed", "sent")])
        await session.commit()
    await app.start(workers=False)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(50):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        health = (response.status, await response.json())
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                metrics = await response.text()
    finally:
        await app.stop()
    assert health == (200, {"status": "ok", "platforms": ["test"]})
    assert 'helferbot_deliveries_pending{platform="test"} 2.0' in metrics
    assert 'helferbot_deliveries_failed{platform="test"} 1.0' in metrics
    assert 'helferbot_claims{status="pending"} 1.0' in metrics and 'helferbot_claims{status="paid"} 0.0' in metrics
    assert 'helferbot_messages_handled_total{kind="message",platform="test"}' in metrics
    assert "helferbot_replies_total" in metrics and "helferbot_platform_errors" in metrics


async def test_after_delete_no_personal_string_is_left_but_the_accounting_records(app, chat, new_chat):
    """Every column of every table is searched after /loeschen; only documented accounting records may remain."""
    await give_anna_a_life(app, chat)
    await chat.say("abbrechen")
    uid = await user_id(app, chat)
    personal = ["Zenobia Quenstedt", "0711 4711815", "zenobia@example.org", "Anna Müller", "Ehrenamtsbüro Zenobia"]
    async with app.db.session() as session:
        session.add(DirectoryEntry(place_id="08116049", role="Koordination Asyl", name="Zenobia Quenstedt",
                                   organisation="Ehrenamtsbüro Zenobia", phone="0711 4711815",
                                   email="zenobia@example.org", owner_user_id=uid, origin="chat"))
        event = (await session.scalars(select(Meeting))).one()
        event.created_by, event.organiser = uid, "Zenobia Quenstedt"
        await session.commit()
    await chat.say("/kontakt Nürtingen")
    assert "Zenobia Quenstedt" in chat.text
    await chat.say("/loeschen")
    assert "Kontaktverzeichnis (Nürtingen)" in chat.text and "Treffen" in chat.text
    await chat.press("Ja, alles löschen")
    assert "Verzeichniseintrag wurde gelöscht" in chat.text and "aus dem Treffen entfernt" in chat.text

    leftovers = []
    async with app.db.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(sa.select(table))).mappings():
                for column, value in row.items():
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    for secret in personal + ["dm-anna"]:
                        if secret in text and (table.name, column) not in privacy.ACCOUNTING_RECORDS:
                            leftovers.append((table.name, column, secret))
                    if table.name == "users" and column == "platform_user_id" and value == "anna":
                        leftovers.append((table.name, column, value))
    assert leftovers == []
    bert = new_chat("bert")
    await bert.say("/kontakt Nürtingen")
    assert "Zenobia" not in bert.text


async def test_a_coordinator_can_hand_the_directory_entry_over(app, chat, new_chat):
    admin = new_chat("ada")
    await grant_role(app, admin, "admin", "")
    await admin.say("/hilfe")
    await grant_role(app, chat, "coordinator", "08116")
    uid = await user_id(app, chat)
    async with app.db.session() as session:
        session.add(DirectoryEntry(place_id="08116049", role="Koordination Asyl", name="Büro Koordination",
                                   phone="07022 75-0", owner_user_id=uid, origin="chat"))
        await session.commit()
    await chat.say("/loeschen")
    await chat.press("Verzeichniseintrag übergeben")
    assert "bleibt, wie er ist" in chat.text and "nicht mehr mit Ihnen verbunden" in chat.text
    async with app.db.session() as session:
        entry = (await session.scalars(select(DirectoryEntry).where(DirectoryEntry.origin == "chat"))).one()
    assert entry.owner_user_id is None and entry.name == "Büro Koordination"
    await deliver_due(app)
    notice = app.adapters["test"].to(admin.chat_id)[-1]
    assert "Verzeichniseintrag für Nürtingen übergeben" in notice.text and "/kontakt Nürtingen" in notice.text
