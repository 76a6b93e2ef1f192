"""Money files: one claim never blocks everyone's payout, text is cleaned where it comes in, the list is right."""

from __future__ import annotations

import csv
import io
import logging

from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import update

from bot.storage.models_claims import Claim
from tests.support.backend import Chat, deliver_due, grant_role
from tests.support.claims import (
    IBAN_BEN,
    KREIS_ESSLINGEN,
    PAYOUT,
    audit_of,
    claim_row,
    claims_bot,
    file_claim,
    reach_receipt_step,
)
from tests.test_claims_payout import NS, approved_claims, cli, config_file


async def set_columns(app, claim_id: int, **values) -> None:
    """A claim as it was stored before its text was cleaned on the way in."""
    async with app.db.session() as session:
        await session.execute(update(Claim).where(Claim.id == claim_id).values(**values))
        await session.commit()


async def test_a_name_no_bank_can_carry_is_refused_where_it_is_typed(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    anna = Chat(app, "anna")
    await reach_receipt_step(anna)
    await anna.press("Kein Beleg")
    await anna.say("😀😀")
    assert "lateinischen Buchstaben" in anna.text
    await anna.say("Олена Коваль")  # transliterated, so accepted
    assert "IBAN" in anna.text


async def test_one_unpayable_claim_is_left_out_named_and_can_be_sent_back(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db, payout=PAYOUT)
    good, bad = await approved_claims(app, "10", "20")
    await set_columns(app, bad, holder="😀😀")
    ada = Chat(app, "ada")
    await grant_role(app, ada, "admin", "")
    await ada.say("/auszahlung")
    await ada.press("SEPA-Datei")
    doc = etree.fromstring(ada.replies[0].file.data)
    assert [e.text for e in doc.findall(".//p:EndToEndId", NS)] == [f"HELFERBOT-CLAIM-{good}"]
    assert f"Antrag #{bad}" in ada.text and "Kontoinhabers" in ada.text
    assert (await claim_row(app, good)).status == "exported" and (await claim_row(app, bad)).status == "approved"
    await ada.press(f"#{bad} zur Prüfung zurückgeben")
    assert "wieder in der Prüfung" in ada.text
    claim = await claim_row(app, bad)
    assert (claim.status, claim.decided_by) == ("pending", None)
    assert [e.action for e in await audit_of(app, bad)][-1] == "sent_back"
    await deliver_due(app)
    assert any("zurückgegeben" in r.text for r in app.adapters["test"].to("dm-rita"))


async def test_the_command_line_export_names_what_it_left_out(tmp_path, db_url, db, capsys):
    app = claims_bot(tmp_path, db_url, db, payout=PAYOUT)
    good, bad = await approved_claims(app, "10", "20")
    await set_columns(app, bad, holder="Anna\x07")  # a control character: nothing but "Anna" can be written
    await set_columns(app, good, holder="\u200f\u200f")
    path, out = config_file(tmp_path, db_url), tmp_path / "sepa.xml"
    assert await cli("claims", "export", "--config", str(path), "--format", "sepa", "--output", str(out)) == 0
    err = capsys.readouterr().err
    assert f"left out claim #{good}" in err and f"send-back --claim {good}" in err
    assert await cli("claims", "send-back", "--config", str(path), "--claim", str(good), "--reason",
                     "Name fehlt") == 0
    assert (await claim_row(app, good)).status == "pending"


async def test_a_purpose_with_line_breaks_and_bidi_marks_is_one_plain_line(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    anna, rita = Chat(app, "anna"), Chat(app, "rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(anna, purpose="Begleitung\nBeleg: beigefügt\n\u202ePrüfungen ✓")
    assert (await claim_row(app, claim_id)).purpose == "Begleitung Beleg: beigefügt Prüfungen ✓"
    await rita.say("/pruefen")
    await rita.press(f"#{claim_id}")
    assert not any(line.startswith("Beleg: beigefügt") for line in rita.text.splitlines())


async def test_a_control_character_does_not_break_the_list_nor_reach_the_log(tmp_path, db_url, db, caplog):
    app = claims_bot(tmp_path, db_url, db, payout=PAYOUT)
    [claim_id] = await approved_claims(app, "10")
    await set_columns(app, claim_id, purpose="Geheimer Zweck\x0b mit Steuerzeichen")
    ada = Chat(app, "ada")
    await grant_role(app, ada, "admin", "")
    await ada.say("/auszahlung")
    with caplog.at_level(logging.DEBUG):
        await ada.press("Liste (Excel)")
    values = list(load_workbook(io.BytesIO(ada.replies[0].file.data)).active.iter_rows(values_only=True))
    assert values[1][0] == claim_id and "Geheimer Zweck" in values[1][11]
    assert "Geheimer" not in caplog.text


async def test_the_payout_list_holds_what_is_paid_with_approver_place_and_total(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db, payout=PAYOUT)
    approved = await approved_claims(app, "28", "10")  # 8,40 and 3,00
    anna, rita, ada = Chat(app, "anna"), Chat(app, "rita"), Chat(app, "ada")
    withdrawn = await file_claim(anna, iban=IBAN_BEN, purpose="Fahrt x")
    await anna.say("/meineantraege")
    await anna.press(f"#{withdrawn} zurückziehen")
    rejected = await file_claim(anna, iban=IBAN_BEN, purpose="Fahrt y")
    await rita.say("/pruefen")
    await rita.press(f"#{rejected}")
    await rita.press("Ablehnen")
    await rita.say("doppelt eingereicht")
    await grant_role(app, ada, "admin", "")
    await ada.say("/auszahlung")
    assert "2 Anträge, 11,40" in ada.text
    await ada.press("Liste (CSV)")
    rows = list(csv.reader(io.StringIO(ada.replies[0].file.data.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    for column in ("Genehmigt von", "Genehmigt am", "Ort", "Kreis", "Zweck"):
        assert column in header
    body = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert set(body) == {str(approved[0]), str(approved[1]), "Summe"}
    first = body[str(approved[0])]
    assert first["Betrag EUR"] == "8,40" and body[str(approved[1])]["Betrag EUR"] == "3,00"
    assert first["Ort"] == "Nürtingen" and "Esslingen" in first["Kreis"] and first["Genehmigt von"].startswith("user:")
    assert first["Genehmigt am"] and body["Summe"]["Betrag EUR"] == "11,40"
    await ada.say("/auszahlung")
    await ada.press("Liste (Excel)")
    xl = list(load_workbook(io.BytesIO(ada.replies[0].file.data)).active.iter_rows(values_only=True))
    assert [r[0] for r in xl[1:]] == [approved[0], approved[1], "Summe"] and float(xl[-1][10]) == 11.4
