"""Claim lists for the accounts office as CSV or XLSX; the SEPA file is made in `workflow.export_sepa`.

These lists are reports and change nothing. The columns are German because the files go to a German accounts
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

from bot.claims.crypto import IbanVault, masked
from bot.storage.models_claims import CLAIM_STATES, Claim
from bot.timeutil import local

HEADER = ("Antrag", "Status", "Reisedatum", "Von", "Nach", "Verkehrsmittel", "km", "Satz ct/km", "Betrag EUR",
          "Zweck", "Runder Tisch", "Kontoinhaber", "IBAN", "Eingereicht", "Bezahlt", "Zahlungsdatei")
STATUS_DE = {"pending": "offen", "info_requested": "Rückfrage", "second_approval": "Zweitprüfung",
             "approved": "genehmigt", "rejected": "abgelehnt", "withdrawn": "zurückgezogen",
             "exported": "in Zahlungsdatei", "paid": "bezahlt"}
TRANSPORT_DE = {"car": "Auto", "motorcycle": "Motorrad", "bicycle": "Fahrrad", "ticket": "Fahrkarte"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "sepa": "application/xml"}


async def select_claims(session: AsyncSession, status: str) -> list[Claim]:
    query = select(Claim).order_by(Claim.id)
    if status != "all":
        if status not in CLAIM_STATES:
            raise ValueError(f"unknown status {status!r} (one of: all, {', '.join(CLAIM_STATES)})")
        query = query.where(Claim.status == status)
    return list(await session.scalars(query))


def rows(claims: Sequence[Claim], vault: IbanVault | None = None) -> list[tuple]:
    """One tuple per claim; with a vault the IBAN is decrypted in full, otherwise only its last digits show."""
    out = []
    for c in claims:
        if vault is not None and c.iban_encrypted:
            iban = vault.open(c.iban_encrypted)
        else:
            iban = masked(c.iban_last4)
        out.append((
            c.id, STATUS_DE.get(c.status, c.status), c.trip_date, c.from_text, c.to_text,
            TRANSPORT_DE.get(c.transport, c.transport),
            Decimal(c.km_tenths) / 10 if c.km_tenths is not None else None, c.rate_cents_per_km,
            Decimal(c.amount_cents) / 100, c.purpose, c.round_table or "", c.holder, iban,
            local(c.created_at).date(), local(c.paid_at).date() if c.paid_at else None, c.batch_id,
        ))
    return out


def to_csv(table: list[tuple]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in table:
        writer.writerow([_csv_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    text = str(value)
    # Volunteers type the purpose and places: "=HYPERLINK(...)" must stay text in the accounts office's Excel.
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_xlsx(table: list[tuple]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Fahrtkosten"
    sheet.append(HEADER)
    for row in table:
        sheet.append(list(row))
    euro, day = '#,##0.00 "€"', "DD.MM.YYYY"
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.data_type == "f":  # text typed by a volunteer that looks like a formula stays text
                cell.data_type = "s"
        cells[2].number_format = day
        cells[8].number_format = euro
        cells[13].number_format = day
        cells[14].number_format = day
    sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
