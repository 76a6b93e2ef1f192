"""What travel-cost claims keep about a person, and for how long.

Claims are the exception the law makes: they are accounting records, so /loeschen detaches them from the chat
account (the generic walk sets the link to NULL) and keeps them, with their receipt and history, until
`privacy.claims_retention_years` full calendar years have passed; the daily retention job then removes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.claims.amounts import km, money
from bot.claims.texts import status_text, transport_name
from bot.i18n import N_
from bot.privacy_export import Reader, Section, _records
from bot.storage.models import User
from bot.storage.models_claims import AuditEntry, Claim, PayoutAccount, PayoutBatch, Receipt
from bot.timeutil import local

if TYPE_CHECKING:
    from bot.core.app import App

FINAL_CLAIM_STATES = ("paid", "rejected", "withdrawn")
HISTORY = {
    "submitted": N_("submitted by you"),
    "approved_first": N_("first approval"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "info_requested": N_("question from the reviewer"),
    "info_answered": N_("your answer"),
    "withdrawn": N_("withdrawn by you"),
    "exported": N_("put into a bank transfer"),
    "paid": N_("paid"),
    "export_cancelled": N_("bank transfer cancelled"),
}


async def _claims(r: Reader) -> Section | None:
    claims = (await r.session.scalars(sa.select(Claim).where(Claim.user_id == r.user.id)
                                      .order_by(Claim.id))).all()
    if not claims:
        return None
    history = (await r.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.claim_id.in_([c.id for c in claims])).order_by(AuditEntry.id))).all()
    by_claim: dict[int, list[str]] = {}
    for entry in history:
        what = r.label(HISTORY.get(entry.action, entry.action))
        line = f"{r.when(entry.created_at)}: {what}"
        if entry.note and entry.action in ("info_requested", "info_answered", "rejected"):
            line += f" – {entry.note}"
        by_claim.setdefault(entry.claim_id, []).append(line)
    lang = r.language
    return Section("claims", r.label("Your travel-cost claims"), _records(r, [{
        N_("Claim"): f"#{c.id}", N_("Day of the trip"): r.day(c.trip_date),
        N_("From"): c.from_text, N_("To"): c.to_text, N_("Place of the volunteer work"): r.place(c.place_id),
        N_("Means of transport"): transport_name(r.t, c.transport),
        N_("Kilometres"): km(c.km_tenths, lang) if c.km_tenths is not None else None,
        N_("Amount"): money(c.amount_cents, lang), N_("Purpose"): c.purpose, N_("Round table"): c.round_table,
        N_("Account holder"): c.holder, N_("IBAN"): f"…{c.iban_last4}" if c.iban_last4 else None,
        N_("Status"): status_text(r.t, c.status), N_("Filed at"): r.when(c.created_at),
        N_("Decided at"): r.when(c.decided_at), N_("Reason for rejection"): c.reject_reason,
        N_("Paid at"): r.when(c.paid_at), N_("History"): "\n".join(by_claim.get(c.id, [])) or None,
    } for c in claims]))


async def _account(r: Reader) -> Section | None:
    found = await r.session.get(PayoutAccount, r.user.id)
    if found is None:
        return None
    return Section("saved_account", r.label("Your saved account details"), _records(r, [{
        N_("Account holder"): found.holder, N_("IBAN"): f"…{found.iban_last4}", N_("Saved at"): r.when(found.updated_at),
    }]))


async def _receipts(r: Reader) -> Section | None:
    rows = (await r.session.execute(sa.select(Receipt.filename, Receipt.mime_type, sa.func.length(Receipt.data),
                                              Receipt.created_at).where(Receipt.user_id == r.user.id))).all()
    if not rows:
        return None
    return Section("receipts", r.label("Your receipts"), _records(r, [{
        N_("File"): name, N_("Type"): mime, N_("Size in bytes"): size, N_("Sent at"): r.when(at),
    } for name, mime, size, at in rows]))
SECTIONS = (("claims", _claims), ("claim_accounts", _account), ("claim_receipts", _receipts))


@dataclass(frozen=True)
class ClaimsKept:
    claims: int
    """Claims kept as accounting records, no longer linked to the person."""
    receipts_deleted: int


async def erase(session: AsyncSession, user: User, choices: frozenset[str]) -> ClaimsKept:
    """Keep the claims (the generic walk detaches them) and drop the receipts no claim uses."""
    kept = await session.scalar(sa.select(sa.func.count()).where(Claim.user_id == user.id)) or 0
    used = sa.select(Claim.receipt_id).where(Claim.receipt_id.is_not(None))
    result = await session.execute(sa.delete(Receipt).where(Receipt.user_id == user.id, Receipt.id.not_in(used)))
    return ClaimsKept(kept, result.rowcount or 0)


def claims_retention_cutoff(years: int, at: datetime) -> datetime:
    """Records last changed before this moment have completed `years` full calendar years after their year."""
    return datetime(local(at).year - years, 1, 1, tzinfo=local(at).tzinfo)


async def retention(app: App, session: AsyncSession, at: datetime) -> dict[str, int]:
    """Paid IBANs, undecided claims after a year, and finished claims whose retention period has ended."""
    policy = app.services.privacy.settings
    done: dict[str, int] = {}

    async def run(name: str, statement) -> None:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        done[name] = result.rowcount or 0

    if not app.services.claims.settings.payout.keep_iban_after_payout:
        await run("paid_ibans", sa.update(Claim).where(Claim.status == "paid", Claim.iban_encrypted.is_not(None))
                  .values(iban_encrypted=None))
    from bot.claims.escalation import expire_undecided

    done.update(await expire_undecided(session, at - timedelta(days=policy.open_claims_expire_days), at))
    cutoff = claims_retention_cutoff(policy.claims_retention_years, at)
    old = sa.select(Claim.id).where(Claim.status.in_(FINAL_CLAIM_STATES), Claim.updated_at < cutoff)
    receipts = sa.select(Claim.receipt_id).where(Claim.id.in_(old), Claim.receipt_id.is_not(None))
    receipt_ids = list(await session.scalars(receipts))
    await run("claims", sa.delete(Claim).where(Claim.id.in_(old)))
    if receipt_ids:
        await run("claim_receipts", sa.delete(Receipt).where(Receipt.id.in_(receipt_ids)))
    from bot.claims.identity import forget_unused

    done["person_links"] = await forget_unused(session)
    emptied = sa.select(Claim.batch_id).where(Claim.batch_id.is_not(None))
    await run("claim_batches", sa.delete(PayoutBatch).where(
        PayoutBatch.created_at < cutoff, PayoutBatch.id.not_in(emptied)))
    # The log of a removed record goes with it (the database refuses this while the claim or batch exists).
    await run("claim_audit", sa.delete(AuditEntry).where(
        sa.or_(AuditEntry.claim_id.is_not(None), AuditEntry.batch_id.is_not(None)),
        sa.or_(AuditEntry.claim_id.is_(None), AuditEntry.claim_id.not_in(sa.select(Claim.id))),
        sa.or_(AuditEntry.batch_id.is_(None), AuditEntry.batch_id.not_in(sa.select(PayoutBatch.id)))))
    return done
