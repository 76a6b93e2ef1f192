"""Claim lists for the accounts office as CSV or XLSX; the SEPA file is made in `workflow.export_sepa`.

These lists are reports and change nothing. By default they hold what is being paid (approved claims, and those
in a payment file not yet confirmed), with who approved them when, and a total row that matches the payout
summary; a status picks other claims. The columns are German because the files go to a German accounts
office; the CSV is what German spreadsheet programs open without an import dialog (semicolons, decimal comma,
UTF-8 with byte-order mark). IBANs are masked unless the caller asks for them in full (the command line's
`--full-iban`); the chat never sends full IBANs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.claims import sanitize
from bot.claims.crypto import IbanVault, masked
from bot.storage.models_claims import APPROVED, CLAIM_STATES, EXPORTED, AuditEntry, Claim
from bot.timeutil import local

HEADER = ("Antrag", "Status", "Reisedatum", "Ort", "Kreis", "Von", "Nach", "Verkehrsmittel", "km", "Satz ct/km",
          "Betrag EUR", "Zweck", "Runder Tisch", "Kontoinhaber", "IBAN", "Eingereicht", "Genehmigt von",
          "Genehmigt am", "Bezahlt", "Zahlungsdatei")
AMOUNT_COLUMN = HEADER.index("Betrag EUR")
DATE_COLUMNS = tuple(HEADER.index(h) for h in ("Reisedatum", "Eingereicht", "Genehmigt am", "Bezahlt"))
STATUS_DE = {"pending": "offen", "info_requested": "Rückfrage", "second_approval": "Zweitprüfung",
             "approved": "genehmigt", "rejected": "abgelehnt", "withdrawn": "zurückgezogen",
             "exported": "in Zahlungsdatei", "paid": "bezahlt"}
TRANSPORT_DE = {"car": "Auto", "motorcycle": "Motorrad", "bicycle": "Fahrrad", "ticket": "Fahrkarte"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "sepa": "application/xml"}
PAYOUT = "payout"
"""The default list: what is being paid - approved claims not yet in a file, and those in a file not yet paid."""
SELECTIONS = (PAYOUT, "all", *CLAIM_STATES)
CENT = Decimal("0.01")


async def select_claims(session: AsyncSession, status: str = PAYOUT) -> list[Claim]:
    query = select(Claim).order_by(Claim.id)
    if status == PAYOUT:
        query = query.where(Claim.status.in_((APPROVED, EXPORTED)))
    elif status != "all":
        if status not in CLAIM_STATES:
            raise ValueError(f"unknown status {status!r} (one of: {', '.join(SELECTIONS)})")
        query = query.where(Claim.status == status)
    return list(await session.scalars(query))


async def approvers(session: AsyncSession, claims: Sequence[Claim]) -> dict[int, str]:
    """Who gave the final approval, as the audit log's pseudonym (it outlives the approver's account)."""
    ids = [c.id for c in claims]
    if not ids:
        return {}
    found = await session.execute(
        select(AuditEntry.claim_id, AuditEntry.actor).where(AuditEntry.claim_id.in_(ids),
                                                            AuditEntry.action == "approved").order_by(AuditEntry.id))
    return {claim_id: actor for claim_id, actor in found}


def _place_names(place_id: str | None) -> tuple[str, str]:
    from knowledge.places import default_gazetteer

    if not place_id:
        return "", ""
    try:
        gazetteer = default_gazetteer()
    except Exception:  # no place index: the keys still say where
        return place_id, place_id[:5]
    place = gazetteer.get(place_id)
    kreis = gazetteer.kreise.get(place_id[:5])
    return (place.name if place else place_id), (kreis.name if kreis else place_id[:5])


def rows(claims: Sequence[Claim], vault: IbanVault | None = None, approved_by: dict[int, str] | None = None
         ) -> list[tuple]:
    """One tuple per claim; with a vault the IBAN is decrypted in full, otherwise only its last digits show."""
    out = []
    approved_by = approved_by or {}
    for c in claims:
        if vault is not None and c.iban_encrypted:
            iban = vault.open(c.iban_encrypted)
        else:
            iban = masked(c.iban_last4)
        place, kreis = _place_names(c.place_id)
        out.append((
            c.id, STATUS_DE.get(c.status, c.status), c.trip_date, place, kreis, c.from_text, c.to_text,
            TRANSPORT_DE.get(c.transport, c.transport),
            Decimal(c.km_tenths) / 10 if c.km_tenths is not None else None, c.rate_cents_per_km,
            (Decimal(c.amount_cents) / 100).quantize(CENT), c.purpose, c.round_table or "", c.holder, iban,
            local(c.created_at).date(), approved_by.get(c.id, ""),
            local(c.decided_at).date() if c.decided_at and c.status not in ("rejected", "withdrawn") else None,
            local(c.paid_at).date() if c.paid_at else None, c.batch_id,
        ))
    return out


def total_row(table: list[tuple]) -> tuple:
    row: list = [None] * len(HEADER)
    row[0] = "Summe"
    row[1] = f"{len(table)} Anträge" if len(table) != 1 else "1 Antrag"
    row[AMOUNT_COLUMN] = sum((r[AMOUNT_COLUMN] for r in table), Decimal("0.00")).quantize(CENT)
    return tuple(row)


def to_csv(table: list[tuple]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in [*table, total_row(table)]:
        writer.writerow([_csv_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    text = sanitize.spreadsheet_text(str(value))
    # Volunteers type the purpose and places: "=HYPERLINK(...)" must stay text in the accounts office's Excel.
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_xlsx(table: list[tuple]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Fahrtkosten"
    sheet.append(HEADER)
    for row in [*table, total_row(table)]:
        sheet.append([sanitize.spreadsheet_text(v) if isinstance(v, str) else v for v in row])
    euro, day = '#,##0.00 "€"', "DD.MM.YYYY"
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.data_type == "f":  # text typed by a volunteer that looks like a formula stays text
                cell.data_type = "s"
        cells[AMOUNT_COLUMN].number_format = euro
        for column in DATE_COLUMNS:
            cells[column].number_format = day
    sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
