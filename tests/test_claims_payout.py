"""Paying out: the SEPA file (checked against the pain.001.001.09 schema), CSV/XLSX lists, never paying twice."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from datetime import timedelta
from importlib import resources
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import select

from bot.claims import workflow
from bot.cli import main
from bot.storage.models_claims import PayoutBatch
from tests.support.backend import Chat, deliver_due, grant_role
from tests.support.claims import (
    IBAN_ANNA_COMPACT,
    KREIS_ESSLINGEN,
    PAYOUT,
    audit_of,
    claim_row,
    claims_bot,
    file_claim,
)

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
SCHEMA_FILE = resources.files("sepaxml") / "schemas" / "pain.001.001.09.xsd"


@pytest.fixture(scope="module")
def pain_schema() -> etree.XMLSchema:
    assert SCHEMA_FILE.is_file(), "sepaxml ships the pain.001.001.09 schema; without it nothing can be validated"
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


def validated(data: bytes, schema: etree.XMLSchema) -> etree._Element:
    doc = etree.fromstring(data)
    assert schema.validate(doc), schema.error_log
    return doc


def config_file(tmp_path: Path, db_url: str, *, payout: dict | None = PAYOUT) -> Path:
    lines = ["[bot]", f'data_dir = "{tmp_path / "data"}"', 'secret_key = "test-secret-key-0123456789abcdef"',
             "[database]", f'url = "{db_url}"']
    if payout is not None:
        lines.append("[payout]")
        lines += [f'{key} = "{value}"' for key, value in payout.items()]
    path = tmp_path / "helferbot.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def approved_claims(app, *amounts_km: str) -> list[int]:
    anna, rita = Chat(app, "anna"), Chat(app, "rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    ids = []
    for n, km in enumerate(amounts_km):
        trip = workflow.today() - timedelta(days=n + 1)
        ids.append(await file_claim(anna, amount=km, when=trip.strftime("%d.%m.%Y"), purpose=f"Fahrt {n}"))
    for claim_id in ids:
        await rita.say("/pruefen")
        await rita.press(f"#{claim_id}")
        await rita.press("Genehmigen")
    return ids


async def test_the_sepa_file_validates_and_pays_the_right_amount_to_the_right_iban_once(
    tmp_path, db_url, db, pain_schema, capsys
):
    app = claims_bot(tmp_path, db_url, db, payout=PAYOUT)
    [claim_id] = await approved_claims(app, "42,5")
    path = config_file(tmp_path, db_url)
    out = tmp_path / "sepa.xml"

    assert await cli("claims", "export", "--config", str(path), "--format", "sepa", "--output", str(out)) == 0
    data = out.read_bytes()
    doc = validated(data, pain_schema)
    [tx] = doc.findall(".//p:CdtTrfTxInf", NS)
    assert tx.findtext("p:Amt/p:InstdAmt", namespaces=NS) == "12.75"
    assert tx.find("p:Amt/p:InstdAmt", NS).get("Ccy") == "EUR"
    assert tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN_ANNA_COMPACT
    assert tx.findtext("p:Cdtr/p:Nm", namespaces=NS) == "Anna Mueller"
    assert tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == f"HELFERBOT-CLAIM-{claim_id}"
    assert doc.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == PAYOUT["debtor_iban"]
    assert doc.findtext(".//p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == PAYOUT["debtor_bic"]
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "12.75"

    claim = await claim_row(app, claim_id)
    async with app.db.session() as session:
        [batch] = list(await session.scalars(select(PayoutBatch)))
    assert (claim.status, claim.batch_id) == ("exported", batch.id)
    assert (batch.count, batch.total_cents, batch.checksum) == (1, 1275, hashlib.sha256(data).hexdigest())
    assert "mark-paid --batch" in capsys.readouterr().out

    # A claim in a file is never exported again.
    again = tmp_path / "again.xml"
    assert await cli("claims", "export", "--config", str(path), "--format", "sepa", "--output", str(again)) == 1
    assert not again.exists() and "no approved claims" in capsys.readouterr().err

    assert await cli("claims", "mark-paid", "--config", str(path), "--batch", str(batch.id)) == 0
    claim = await claim_row(app, claim_id)
    assert (claim.status, claim.iban_encrypted, claim.iban_last4) == ("paid", None, "3000")
    assert await cli("claims", "mark-paid", "--config", str(path), "--batch", str(batch.id)) == 1
    assert "already marked as paid" in capsys.readouterr().err
    assert [e.action for e in await audit_of(app, claim_id)] == [
        "submitted", "approved", "exported", "paid"]
    assert [e.actor for e in await audit_of(app, claim_id)][-2:] == ["cli", "cli"]

    await deliver_due(app)
    told = [r.text for r in app.adapters["test"].to("dm-anna")]
    assert any("in einer Überweisung" in t for t in told)
    assert "auf das Konto mit der Endung 3000 überwiesen" in told[-1]


async def test_admins_pay_out_in_the_chat(tmp_path, db_url, db, pain_schema):
    app = claims_bot(tmp_path, db_url, db, payout={**PAYOUT, "keep_iban_after_payout": True})
    ids = await approved_claims(app, "42,5", "10")
    ada, rita = Chat(app, "ada"), Chat(app, "rita")
    await rita.say("/auszahlung")
    assert "dürfen Sie leider nicht" in rita.text
    await grant_role(app, ada, "admin", "")
    await ada.say("/auszahlung")
    assert "2 Anträge, 15,75\xa0€" in ada.text

    await ada.press("SEPA-Datei")
    [reply] = ada.replies
    assert reply.file is not None and reply.file.filename.endswith(".xml")
    doc = validated(reply.file.data, pain_schema)
    assert sorted(e.text for e in doc.findall(".//p:InstdAmt", NS)) == ["12.75", "3.00"]
    assert [(await claim_row(app, i)).status for i in ids] == ["exported", "exported"]

    await ada.press("ist bezahlt")
    assert "als bezahlt markieren" in ada.text
    assert [(await claim_row(app, i)).status for i in ids] == ["exported", "exported"]  # not yet confirmed
    confirm = ada.find("Ja, die Bank hat gezahlt")
    await ada.press(confirm)
    assert "als bezahlt markiert" in ada.text
    rows = [await claim_row(app, i) for i in ids]
    assert [r.status for r in rows] == ["paid", "paid"] and all(r.iban_encrypted for r in rows)
    await ada.press(confirm)
    assert "schon benutzt" in ada.text

    await ada.say("/auszahlung")
    await ada.press("SEPA-Datei")
    assert "keine genehmigten Anträge" in ada.text

    await ada.say("/auszahlung")
    await ada.press("Liste (Excel)")  # paid claims are no longer being paid out: only the (empty) total remains
    book = load_workbook(io.BytesIO(ada.replies[0].file.data))
    values = list(book.active.iter_rows(values_only=True))
    assert values[0][:3] == ("Antrag", "Status", "Reisedatum")
    assert [(v[0], v[10]) for v in values[1:]] == [("Summe", 0)]


async def test_csv_for_the_accounts_office_masks_ibans_unless_asked(tmp_path, db_url, db, capsys):
    app = claims_bot(tmp_path, db_url, db)
    [claim_id] = await approved_claims(app, "42,5")
    path = config_file(tmp_path, db_url, payout=None)
    masked, full = tmp_path / "list.csv", tmp_path / "full.csv"
    assert await cli("claims", "export", "--config", str(path), "--status", "approved", "--format", "csv",
                     "--output", str(masked)) == 0
    assert await cli("claims", "export", "--config", str(path), "--format", "csv", "--full-iban",
                     "--output", str(full)) == 0
    raw = masked.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Antrag" and rows[1][0] == str(claim_id)
    assert rows[1][10] == "12,75" and rows[1][14] == "…3000" and IBAN_ANNA_COMPACT not in raw.decode("utf-8-sig")
    assert IBAN_ANNA_COMPACT in full.read_text(encoding="utf-8-sig")
    assert full.stat().st_mode & 0o777 == 0o600
    assert (await claim_row(app, claim_id)).status == "approved"  # a list changes nothing
    empty = tmp_path / "pending.xlsx"
    assert await cli("claims", "export", "--config", str(path), "--status", "pending", "--format", "xlsx",
                     "--output", str(empty)) == 0
    assert [r[0] for r in list(load_workbook(empty).active.iter_rows(values_only=True))[1:]] == ["Summe"]


async def test_without_a_payout_account_the_sepa_export_names_the_missing_keys(tmp_path, db_url, db, capsys):
    app = claims_bot(tmp_path, db_url, db)
    [claim_id] = await approved_claims(app, "10")
    path = config_file(tmp_path, db_url, payout=None)
    out = tmp_path / "sepa.xml"
    assert await cli("claims", "export", "--config", str(path), "--format", "sepa", "--output", str(out)) == 1
    err = capsys.readouterr().err
    assert "payout.debtor_name" in err and "payout.debtor_iban" in err and not out.exists()
    assert (await claim_row(app, claim_id)).status == "approved"


async def test_a_cancelled_file_returns_its_claims_for_the_next_one(tmp_path, db_url, db, pain_schema, capsys):
    app = claims_bot(tmp_path, db_url, db, payout=PAYOUT)
    [claim_id] = await approved_claims(app, "10")
    path = config_file(tmp_path, db_url)
    first, second = tmp_path / "1.xml", tmp_path / "2.xml"
    assert await cli("claims", "export", "--config", str(path), "--format", "sepa", "--output", str(first)) == 0
    assert await cli("claims", "batches", "--config", str(path)) == 0
    assert "#1 " in capsys.readouterr().out
    assert await cli("claims", "cancel-batch", "--config", str(path), "--batch", "1") == 0
    assert (await claim_row(app, claim_id)).status == "approved"
    assert await cli("claims", "mark-paid", "--config", str(path), "--batch", "1") == 1  # a cancelled file pays nobody
    assert await cli("claims", "export", "--config", str(path), "--format", "sepa", "--output", str(second)) == 0
    validated(second.read_bytes(), pain_schema)
    assert (await claim_row(app, claim_id)).batch_id == 2
    assert await cli("claims", "mark-paid", "--config", str(path), "--batch", "2") == 0
    assert (await claim_row(app, claim_id)).status == "paid"
    assert await cli("claims", "mark-paid", "--config", str(path), "--batch", "99") == 1


async def test_two_exports_at_once_never_put_a_claim_in_two_files(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db, payout=PAYOUT)
    ids = await approved_claims(app, "10", "20", "30")

    async def export():
        async with app.db.session() as session:
            try:
                found = await workflow.export_sepa(session, app, None)
                await session.commit()
                return found.batch.id
            except Exception as exc:  # the loser: refused, or the database's own conflict error
                await session.rollback()
                return exc

    results = await asyncio.gather(export(), export())
    succeeded = [r for r in results if isinstance(r, int)]
    assert len(succeeded) >= 1
    batches = {row.batch_id for row in [await claim_row(app, i) for i in ids]}
    assert len(batches) == 1 and batches <= set(succeeded)
    async with app.db.session() as session:
        stored = list(await session.scalars(select(PayoutBatch)))
    assert sum(b.count for b in stored) == 3


def test_a_bad_payout_or_rules_config_stops_the_start(tmp_path, db_url):
    from bot.config import ConfigError
    from bot.wiring import build_app
    from tests.support.config import make_config

    cfg = make_config(tmp_path, db_url, payout={"debtor_iban": "DE00 1234", "debtor_bic": "nonsense"},
                      claims={"default": {"rate_car_cents_per_km": -3, "cap_euros": 100}, "99999": {}})
    with pytest.raises(ConfigError) as raised:
        build_app(cfg)
    text = "\n".join(raised.value.problems)
    for key in ("payout.debtor_iban", "payout.debtor_bic", "claims.default.rate_car_cents_per_km",
                "claims.default.cap_euros", 'claims."99999"'):
        assert key in text


async def test_text_typed_like_a_formula_stays_text_in_the_lists(tmp_path, db_url, db):
    from bot.claims import export

    app = claims_bot(tmp_path, db_url, db)
    anna = Chat(app, "anna")
    await file_claim(anna, purpose='=HYPERLINK("http://example.org","Beleg")')
    async with app.db.session() as session:
        table = export.rows(await export.select_claims(session, "all"))
    rows = list(csv.reader(io.StringIO(export.to_csv(table).decode("utf-8-sig")), delimiter=";"))
    assert rows[1][11] == "'=HYPERLINK(\"http://example.org\",\"Beleg\")"
    cell = load_workbook(io.BytesIO(export.to_xlsx(table))).active.cell(row=2, column=12)
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://example.org","Beleg")', "s")
