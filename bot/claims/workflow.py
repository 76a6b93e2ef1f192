"""Every state change of a claim, shared by the chat and the command line.

    pending --approve--> approved (or second_approval --approve by someone else--> approved)
    pending/second_approval --ask--> info_requested --answer--> back
    pending/info_requested/second_approval --reject--> rejected, --withdraw--> withdrawn
    approved --SEPA export--> exported --admin confirms--> paid   (a cancelled file: exported --> approved)

Each change is one conditional UPDATE ("... WHERE status IN (expected)"), so two reviewers pressing at the same
moment, or a double tap, change a claim once; the loser is told the claim has moved on. Each change writes an
audit entry and queues a message to the volunteer in the same transaction, so none of the three can happen
without the others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import roles
from bot.claims import amounts, audit, identity, sanitize
from bot.claims.crypto import CannotDecrypt
from bot.claims.rules import TICKET, ClaimsSettings, RuleSet
from bot.i18n import Translator
from bot.storage.models import User
from bot.storage.models_claims import (
    APPROVED,
    CLAIM_STATES,
    EXPORTED,
    IN_REVIEW,
    INFO,
    PAID,
    PENDING,
    REJECTED,
    REVIEWABLE,
    SECOND_APPROVAL,
    WITHDRAWN,
    AuditEntry,
    Claim,
    PayoutAccount,
    PayoutBatch,
    Receipt,
)
from bot.timeutil import local, now

if TYPE_CHECKING:
    from bot.core.app import App

SEPA_SCHEMA = "pain.001.001.09"
MIN_REASON_LETTERS = 8
"""A rejection reason the volunteer can act on is a few words, not "x"."""


class Refused(Exception):
    """A step that is not allowed; `code` says why (the handlers turn it into a sentence)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def settings(app: App) -> ClaimsSettings:
    return app.services.claims.settings


async def status_counts(session: AsyncSession) -> dict[str, int]:
    """How many claims are in each state, every state named (for the metrics)."""
    found = dict.fromkeys(CLAIM_STATES, 0)
    for status, n in await session.execute(select(Claim.status, func.count()).group_by(Claim.status)):
        found[status] = n
    return found


def kreis_of(place_id: str | None) -> str | None:
    return place_id[:5] if place_id and len(place_id) >= 5 else None


def rules_for(app: App, place_id: str | None, trip_date: date) -> RuleSet:
    return settings(app).rules.for_trip(kreis_of(place_id), trip_date)


def today() -> date:
    return local(now()).date()


# --- filing --------------------------------------------------------------------------------------------------

def amount_of(rules: RuleSet, data: dict[str, Any]) -> amounts.Amount:
    return amounts.compute(rules, data["transport"], km_tenths=data.get("km_tenths"),
                           ticket_cents=data.get("ticket_cents"))


def build(app: App, user_id: int, data: dict[str, Any]) -> tuple[Claim, RuleSet]:
    """A claim (not yet stored) from the dialog's answers, checked against the rules for its trip.

    Used for the summary the volunteer confirms and again on submission, so what is submitted is exactly what
    was shown, recomputed from the rules rather than taken from the dialog.
    """
    trip = date.fromisoformat(data["date"])
    rules = rules_for(app, data["place"], trip)
    amounts.check_trip_date(trip, today(), rules.max_age_days)
    transport = data["transport"]
    if transport not in rules.transports():
        raise Refused("transport")
    if transport != TICKET and data.get("km_tenths", 0) > rules.max_km * 10:
        raise amounts.InputError("too_many_km", rules.max_km)
    amount = amount_of(rules, data)
    claim = Claim(
        user_id=user_id, status=PENDING, trip_date=trip,
        from_text=data["from_text"][:200], from_place_id=data.get("from_place"),
        to_text=data["to_text"][:200], to_place_id=data.get("to_place"), place_id=data["place"],
        transport=transport, km_tenths=data.get("km_tenths") if transport != TICKET else None,
        ticket_cents=data.get("ticket_cents") if transport == TICKET else None,
        rate_cents_per_km=amount.rate_cents_per_km,
        rules_valid_from=None if rules.valid_from == date.min else rules.valid_from,
        amount_cents=amount.cents, uncapped_cents=amount.uncapped_cents,
        purpose=data["purpose"][:500], round_table=(data.get("round_table") or None),
        receipt_id=data.get("receipt_id"), holder=data["holder"][:70], iban_encrypted=data["iban_sealed"],
        iban_hash=data["iban_hash"], iban_last4=data["iban_last4"],
        needs_second_approval=amount.cents > rules.second_approval_above_cents,
    )
    return claim, rules


async def submit(session: AsyncSession, app: App, user: User, data: dict[str, Any]) -> Claim:
    claim, rules = build(app, user.id, data)
    replaces = await _replaced(session, user, data.get("replaces"))
    if claim.receipt_id is not None:
        receipt = await session.get(Receipt, claim.receipt_id)
        used = await session.scalar(select(Claim.id).where(
            Claim.receipt_id == claim.receipt_id, Claim.id.is_distinct_from(replaces)))
        if receipt is None or receipt.user_id != user.id or used is not None:
            raise Refused("receipt_gone")
    elif claim.transport == TICKET and rules.receipt_required_for_tickets:
        raise Refused("receipt_required")
    claim.person_key = await identity.person_of(session, app, user)
    session.add(claim)
    await session.flush()
    await audit.record(session, "submitted", actor=user, claim_id=claim.id, new=PENDING,
                       note=f"corrected claim #{replaces}, which was rejected" if replaces else None)
    if data.get("save_account"):
        await remember_account(session, user, data)
    await _notify_reviewers(
        session, app, claim,
        lambda t: t.gettext("New travel-cost claim #{id}: {amount}, {route}, trip on {day}.", id=claim.id,
                            amount=amounts.money(claim.amount_cents, t.language), route=route(claim),
                            day=amounts.day(claim.trip_date, t.language)),
    )
    return claim


async def _replaced(session: AsyncSession, user: User, claim_id: Any) -> int | None:
    """The rejected claim of this user that a submission corrects (it shares its receipt), if any."""
    if not isinstance(claim_id, int):
        return None
    old = await session.get(Claim, claim_id)
    return old.id if old is not None and old.user_id == user.id and old.status == REJECTED else None


async def remember_account(session: AsyncSession, user: User, data: dict[str, Any]) -> None:
    row = await session.get(PayoutAccount, user.id)
    if row is None:
        row = PayoutAccount(user_id=user.id)
        session.add(row)
    row.holder, row.iban_encrypted = data["holder"][:70], data["iban_sealed"]
    row.iban_hash, row.iban_last4, row.updated_at = data["iban_hash"], data["iban_last4"], now()
    await session.flush()


def route(claim: Claim) -> str:
    return f"{claim.from_text} → {claim.to_text}"


# --- review --------------------------------------------------------------------------------------------------

async def may_review(session: AsyncSession, app: App, claim: Claim, reviewer: User) -> None:
    """Raises Refused unless `reviewer` may decide on `claim` now (checked again on every press)."""
    if claim.user_id == reviewer.id:
        raise Refused("own_claim")
    if not await roles.has_role(session, reviewer, roles.REVIEWER, claim.place_id, superadmins=app.superadmins):
        raise Refused("not_reviewer")
    if claim.status == SECOND_APPROVAL and claim.first_approver_id == reviewer.id:
        raise Refused("same_approver")
    found = await identity.conflict(session, app, claim, reviewer)
    if found is not None:
        raise Refused(found)


async def approve(session: AsyncSession, app: App, claim: Claim, reviewer: User) -> str:
    await may_review(session, app, claim, reviewer)
    if claim.status == PENDING and claim.needs_second_approval:
        await _move(session, claim, (PENDING,), SECOND_APPROVAL, first_approver_id=reviewer.id,
                    first_approver_person=await identity.person_of(session, app, reviewer))
        await audit.record(session, "approved_first", actor=reviewer, claim_id=claim.id, old=PENDING,
                           new=SECOND_APPROVAL)
        await _tell_claimant(session, app, claim, lambda t: t.gettext(
            "Your travel-cost claim #{id} was approved by a first reviewer. Because of its amount, a second "
            "reviewer checks it too.", id=claim.id))
        await _notify_reviewers(session, app, claim, lambda t: t.gettext(
            "Travel-cost claim #{id} ({amount}) needs a second approval.", id=claim.id,
            amount=amounts.money(claim.amount_cents, t.language)))
        return SECOND_APPROVAL
    if claim.status not in REVIEWABLE:
        raise Refused("wrong_state")
    old = claim.status
    await _move(session, claim, (old,), APPROVED, decided_by=reviewer.id, decided_at=now(),
                _also=Claim.first_approver_id.is_distinct_from(reviewer.id))
    await audit.record(session, "approved", actor=reviewer, claim_id=claim.id, old=old, new=APPROVED)
    await _tell_claimant(session, app, claim, lambda t: t.gettext(
        "Your travel-cost claim #{id} over {amount} was approved. The payout follows with the next transfer.",
        id=claim.id, amount=amounts.money(claim.amount_cents, t.language)))
    return APPROVED


async def reject(session: AsyncSession, app: App, claim: Claim, reviewer: User, reason: str) -> None:
    reason = reason.strip()[:500]
    if sum(c.isalpha() for c in reason) < MIN_REASON_LETTERS:
        raise Refused("reason_required")
    await may_review(session, app, claim, reviewer)
    old = claim.status
    await _move(session, claim, IN_REVIEW, REJECTED, decided_by=reviewer.id, decided_at=now(), reject_reason=reason)
    await audit.record(session, "rejected", actor=reviewer, claim_id=claim.id, old=old, new=REJECTED, note=reason)
    await _tell_claimant(session, app, claim, lambda t: t.gettext(
        "Your travel-cost claim #{id} was rejected. Reason: {reason}", id=claim.id, reason=reason))


async def ask(session: AsyncSession, app: App, claim: Claim, reviewer: User, question: str) -> None:
    question = question.strip()[:1000]
    if not question:
        raise Refused("question_required")
    await may_review(session, app, claim, reviewer)
    old = claim.status
    await _move(session, claim, REVIEWABLE, INFO)
    await audit.record(session, "info_requested", actor=reviewer, claim_id=claim.id, old=old, new=INFO,
                       note=question)
    await _tell_claimant(
        session, app, claim,
        lambda t: t.gettext("A reviewer has a question about your travel-cost claim #{id}:\n\n{question}\n\n"
                            "Press the button to answer.", id=claim.id, question=question),
        buttons=[[(lambda t: t.gettext("Answer"), "claim_answer", {"claim": claim.id})]],
    )


async def answer(session: AsyncSession, app: App, claim: Claim, user: User, text: str) -> None:
    text = text.strip()[:1000]
    if not text:
        raise Refused("answer_required")
    if claim.user_id != user.id:
        raise Refused("not_yours")
    back = SECOND_APPROVAL if (claim.first_approver_id or claim.first_approver_person) is not None else PENDING
    await _move(session, claim, (INFO,), back)
    await audit.record(session, "info_answered", actor=user, claim_id=claim.id, old=INFO, new=back, note=text)
    asked = await session.scalar(
        select(AuditEntry.actor_id).where(AuditEntry.claim_id == claim.id, AuditEntry.action == "info_requested")
        .order_by(AuditEntry.id.desc()).limit(1)
    )
    asker = await session.get(User, asked) if asked is not None else None
    if asker is not None:
        try:
            await may_review(session, app, claim, asker)
        except Refused:
            asker = None  # no longer a reviewer here: whoever is gets the answer

    def message(t: Translator) -> str:
        return t.gettext("The volunteer answered the question about travel-cost claim #{id}:\n\n{answer}",
                         id=claim.id, answer=text)

    if asker is not None:
        await app.notify(session, asker, message, buttons_spec=[[_open_button(claim)]])
    else:
        await _notify_reviewers(session, app, claim, message)


async def add_receipt(session: AsyncSession, app: App, claim: Claim, user: User, receipt_id: int) -> None:
    """A receipt sent after the claim: attached once, while the claim is still being reviewed."""
    if claim.user_id != user.id:
        raise Refused("not_yours")
    old = claim.status
    await _move(session, claim, IN_REVIEW, old, _also=Claim.receipt_id.is_(None), receipt_id=receipt_id)
    await audit.record(session, "receipt_added", actor=user, claim_id=claim.id, old=old, new=old)
    await _notify_reviewers(session, app, claim, lambda t: t.gettext(
        "The volunteer added a receipt to travel-cost claim #{id}.", id=claim.id))


async def correct(session: AsyncSession, app: App, claim: Claim, reviewer: User, value: int, reason: str) -> None:
    """A reviewer corrects the kilometres (tenths) or the ticket price (cents); the amount follows the rules."""
    reason = sanitize.one_line(reason)[:500]
    if sum(c.isalpha() for c in reason) < MIN_REASON_LETTERS:
        raise Refused("reason_required")
    await may_review(session, app, claim, reviewer)
    if claim.status not in REVIEWABLE:
        raise Refused("wrong_state")
    rules = rules_for(app, claim.place_id, claim.trip_date)
    ticket = claim.transport == TICKET
    if not ticket and value > rules.max_km * 10:
        raise amounts.InputError("too_many_km", rules.max_km)
    amount = amounts.compute(rules, claim.transport, km_tenths=None if ticket else value,
                             ticket_cents=value if ticket else None)
    before = claim.amount_cents
    old_value = claim.ticket_cents if ticket else claim.km_tenths
    old = claim.status
    # The amount changed, so any first approval was for another amount: the claim is reviewed afresh.
    await _move(session, claim, (old,), PENDING, first_approver_id=None, first_approver_person=None,
                amount_cents=amount.cents, uncapped_cents=amount.uncapped_cents,
                rate_cents_per_km=amount.rate_cents_per_km,
                needs_second_approval=amount.cents > rules.second_approval_above_cents,
                **({"ticket_cents": value} if ticket else {"km_tenths": value}))
    field = "ticket_cents" if ticket else "km_tenths"
    await audit.record(session, "corrected", actor=reviewer, claim_id=claim.id, old=old, new=PENDING,
                       note=f"{field} {old_value} -> {value}, amount {before} -> {amount.cents} cents: {reason}")
    await _tell_claimant(session, app, claim, lambda t: t.gettext(
        "A reviewer corrected your travel-cost claim #{id}: the amount is now {amount}. Reason: {reason}",
        id=claim.id, amount=amounts.money(claim.amount_cents, t.language), reason=reason))


async def withdraw(session: AsyncSession, app: App, claim: Claim, user: User) -> None:
    if claim.user_id != user.id:
        raise Refused("not_yours")
    old = claim.status
    await _move(session, claim, IN_REVIEW, WITHDRAWN)
    await audit.record(session, "withdrawn", actor=user, claim_id=claim.id, old=old, new=WITHDRAWN)


async def queue(session: AsyncSession, app: App, reviewer: User, limit: int = 20) -> tuple[list[Claim], int]:
    """Claims this reviewer may decide now, oldest first, and how many there are in all."""
    scopes = await roles.scopes(session, reviewer, roles.REVIEWER, superadmins=app.superadmins)
    if not scopes:
        return [], 0
    query = select(Claim).where(
        Claim.status.in_(REVIEWABLE), Claim.user_id.is_distinct_from(reviewer.id),
        or_(Claim.status != SECOND_APPROVAL, Claim.first_approver_id.is_distinct_from(reviewer.id)),
    )
    if roles.EVERYWHERE not in scopes:
        query = query.where(or_(*[Claim.place_id.startswith(s, autoescape=True) for s in scopes]))
    found = [c for c in await session.scalars(query.order_by(Claim.id))
             if await identity.conflict(session, app, c, reviewer) is None]
    return found[:limit], len(found)


# --- payout --------------------------------------------------------------------------------------------------

class ExportRefused(Exception):
    """`code`: "config", "nothing", "skipped" (no claim could be exported) or "conflict"; `problems` are for the operator."""

    def __init__(self, code: str, problems: list[str], skipped: list[tuple[int, str]] | None = None):
        super().__init__("; ".join(problems))
        self.code = code
        self.problems = problems
        self.skipped = skipped or []


@dataclass(frozen=True)
class SepaFile:
    batch: PayoutBatch
    data: bytes
    claims: list[Claim]
    skipped: tuple[tuple[int, str], ...] = ()
    """Claims left out of this file and why ("name", "iban", "undecryptable"); each can be sent back."""

    @property
    def filename(self) -> str:
        return f"fahrtkosten-sepa-{self.batch.id}.xml"


def sepa_text(text: str) -> str:
    return sanitize.sepa_text(text, 70)


async def export_sepa(session: AsyncSession, app: App, actor: User | None) -> SepaFile:
    """Put every approved claim that is in no file yet into a new SEPA file, and mark them exported.

    The claims are marked with a conditional UPDATE in the caller's transaction: a claim already taken by a
    concurrent export makes this one fail as a whole (a savepoint undoes its batch), so no claim is ever in
    two files.
    """
    async with session.begin_nested():
        return await _export_sepa(session, app, actor)


async def _export_sepa(session: AsyncSession, app: App, actor: User | None) -> SepaFile:
    from sepaxml import SepaTransfer

    payout = settings(app).payout
    if payout.sepa_problems():
        raise ExportRefused("config", payout.sepa_problems())
    query = select(Claim).where(Claim.status == APPROVED, Claim.batch_id.is_(None)).order_by(Claim.id)
    if not app.db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    claims = list(await session.scalars(query))
    if not claims:
        raise ExportRefused("nothing", ["there are no approved claims that are not in a SEPA file yet"])
    sepa_config = {"name": sepa_text(payout.debtor_name), "IBAN": payout.debtor_iban, "batch": True,
                   "currency": "EUR"}
    if payout.debtor_bic:
        sepa_config["BIC"] = payout.debtor_bic
    transfer = SepaTransfer(sepa_config, schema=SEPA_SCHEMA, clean=True)
    execution = today() + timedelta(days=payout.execution_days)
    the_vault = app.services.vault
    included, skipped = [], []
    for claim in claims:
        problem, payment = _payment(the_vault, claim, execution)
        if problem is not None:
            skipped.append((claim.id, problem))
            continue
        transfer.add_payment(payment)
        included.append(claim)
    if not included:
        listed = ", ".join(f"#{i} ({why})" for i, why in skipped)
        raise ExportRefused("skipped", [f"no approved claim can be put into a SEPA file: {listed}"], skipped)
    claims = included
    data = transfer.export(validate=True)
    batch = PayoutBatch(
        status=EXPORTED, message_id=transfer.msg_id[:35], checksum=hashlib.sha256(data).hexdigest(),
        count=len(claims), total_cents=sum(c.amount_cents for c in claims), created_by=actor.id if actor else None,
    )
    session.add(batch)
    await session.flush()
    ids = [c.id for c in claims]
    result = await session.execute(
        update(Claim).where(Claim.id.in_(ids), Claim.status == APPROVED, Claim.batch_id.is_(None))
        .values(status=EXPORTED, batch_id=batch.id, updated_at=now())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != len(ids):
        raise ExportRefused("conflict", ["another export took some of these claims at the same time; try again"])
    await audit.record(session, "batch_exported", actor=actor, batch_id=batch.id,
                       note=f"{batch.count} claims, {batch.total_cents} cents, sha256 {batch.checksum}")
    for claim in claims:
        await session.refresh(claim)
        await audit.record(session, "exported", actor=actor, claim_id=claim.id, batch_id=batch.id, old=APPROVED,
                           new=EXPORTED)
        await _tell_claimant(session, app, claim, lambda t, c=claim: t.gettext(
            "Your travel-cost claim #{id} over {amount} is in a bank transfer now. You are told again once it "
            "has been paid.", id=c.id, amount=amounts.money(c.amount_cents, t.language)))
    return SepaFile(batch, data, claims, tuple(skipped))


SKIP_REASONS = {"name": "the account holder's name cannot be written in a bank transfer",
                "iban": "the IBAN is not valid", "undecryptable": "the IBAN cannot be decrypted with the configured key"}


def _payment(the_vault, claim: Claim, execution: date) -> tuple[str | None, dict]:
    """The transfer for one claim, or why it cannot be one (then it is left out, never the whole file)."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    name = sanitize.sepa_name(claim.holder)
    if name is None:
        return "name", {}
    if claim.iban_encrypted is None:
        return "undecryptable", {}
    try:
        iban = IBAN(the_vault.open(claim.iban_encrypted)).compact
    except CannotDecrypt:
        return "undecryptable", {}
    except SchwiftyException:
        return "iban", {}
    return None, {
        "name": name, "IBAN": iban, "amount": claim.amount_cents, "execution_date": execution,
        "endtoend_id": f"HELFERBOT-CLAIM-{claim.id}",
        "description": f"Fahrtkosten Antrag {claim.id} vom {claim.trip_date:%d.%m.%Y}",
    }


async def send_back(session: AsyncSession, app: App, claim: Claim, actor: User | None, reason: str) -> None:
    """An approved claim that cannot be paid as it is (e.g. a name no bank accepts) goes back to review."""
    reason = sanitize.one_line(reason)[:500]
    await _move(session, claim, (APPROVED,), PENDING, _also=Claim.batch_id.is_(None), decided_by=None,
                decided_at=None, first_approver_id=None, first_approver_person=None)
    await audit.record(session, "sent_back", actor=actor, claim_id=claim.id, old=APPROVED, new=PENDING, note=reason)
    await _notify_reviewers(session, app, claim, lambda t: t.gettext(
        "Travel-cost claim #{id} was sent back to review from the payout: {reason}", id=claim.id, reason=reason))


async def mark_paid(session: AsyncSession, app: App, batch_id: int, actor: User | None) -> PayoutBatch:
    """Close a SEPA file as executed by the bank: its claims are paid (once: a paid file cannot be again)."""
    batch = await _close_batch(session, batch_id, "paid", actor)
    keep = settings(app).payout.keep_iban_after_payout
    claims = list(await session.scalars(
        select(Claim).where(Claim.batch_id == batch.id, Claim.status == EXPORTED).order_by(Claim.id)
    ))
    values: dict[str, Any] = {"status": PAID, "paid_at": now(), "updated_at": now()}
    if not keep:
        values["iban_encrypted"] = None
    await session.execute(
        update(Claim).where(Claim.id.in_([c.id for c in claims]), Claim.status == EXPORTED).values(**values)
        .execution_options(synchronize_session=False)
    )
    for claim in claims:
        await session.refresh(claim)
        await audit.record(session, "paid", actor=actor, claim_id=claim.id, batch_id=batch.id, old=EXPORTED,
                           new=PAID)
        await _tell_claimant(session, app, claim, lambda t, c=claim: t.gettext(
            "Your travel-cost claim #{id} over {amount} has been paid to the account ending in {last4}.",
            id=c.id, amount=amounts.money(c.amount_cents, t.language), last4=c.iban_last4))
    return batch


async def cancel_batch(session: AsyncSession, app: App, batch_id: int, actor: User | None) -> PayoutBatch:
    """For a file the bank never executed: its claims return to approved and go into the next file."""
    batch = await _close_batch(session, batch_id, "cancelled", actor)
    claims = list(await session.scalars(
        select(Claim).where(Claim.batch_id == batch.id, Claim.status == EXPORTED).order_by(Claim.id)
    ))
    await session.execute(
        update(Claim).where(Claim.id.in_([c.id for c in claims]), Claim.status == EXPORTED)
        .values(status=APPROVED, batch_id=None, updated_at=now()).execution_options(synchronize_session=False)
    )
    for claim in claims:
        await session.refresh(claim)
        await audit.record(session, "export_cancelled", actor=actor, claim_id=claim.id, batch_id=batch.id,
                           old=EXPORTED, new=APPROVED)
        await _tell_claimant(session, app, claim, lambda t, c=claim: t.gettext(
            "The bank transfer with your travel-cost claim #{id} was cancelled; the claim stays approved and "
            "goes into the next transfer.", id=c.id))
    return batch


async def unpaid_total(session: AsyncSession) -> tuple[int, int]:
    """(how many, cents) of the approved claims that are in no payment file yet."""
    count, total = (await session.execute(
        select(func.count(Claim.id), func.coalesce(func.sum(Claim.amount_cents), 0))
        .where(Claim.status == APPROVED, Claim.batch_id.is_(None))
    )).one()
    return count, int(total)


async def latest(session: AsyncSession, user: User, limit: int = 10) -> list[Claim]:
    """The person's own claims, newest first."""
    return list(await session.scalars(
        select(Claim).where(Claim.user_id == user.id).order_by(Claim.id.desc()).limit(limit)))


async def saved_account(session: AsyncSession, user: User) -> PayoutAccount | None:
    return await session.get(PayoutAccount, user.id)


async def forget_account(session: AsyncSession, account: PayoutAccount) -> None:
    await session.delete(account)
    await session.flush()


async def open_batches(session: AsyncSession) -> list[PayoutBatch]:
    return list(await session.scalars(
        select(PayoutBatch).where(PayoutBatch.status == EXPORTED).order_by(PayoutBatch.id)
    ))


async def _close_batch(session: AsyncSession, batch_id: int, status: str, actor: User | None) -> PayoutBatch:
    result = await session.execute(
        update(PayoutBatch).where(PayoutBatch.id == batch_id, PayoutBatch.status == EXPORTED)
        .values(status=status, closed_by=actor.id if actor else None, closed_at=now())
        .execution_options(synchronize_session=False)
    )
    batch = await session.get(PayoutBatch, batch_id)
    if batch is None:
        raise Refused("no_batch")
    await session.refresh(batch)
    if result.rowcount != 1:
        raise Refused(f"batch_{batch.status}")
    await audit.record(session, f"batch_{status}", actor=actor, batch_id=batch.id, old=EXPORTED, new=status)
    return batch


# --- helpers -------------------------------------------------------------------------------------------------

async def _move(
    session: AsyncSession, claim: Claim, allowed: tuple[str, ...], new: str, _also: Any = None, **values: Any
) -> None:
    """Change the status only if it is still one of `allowed` (and `_also` holds) at the moment of writing."""
    result = await session.execute(
        update(Claim).where(Claim.id == claim.id, Claim.status.in_(allowed), true() if _also is None else _also)
        .values(status=new, updated_at=now(), **values).execution_options(synchronize_session=False)
    )
    await session.refresh(claim)
    if result.rowcount != 1:
        raise Refused("wrong_state")


def _open_button(claim: Claim):
    return (lambda t: t.gettext("Open claim #{id}", id=claim.id), "claim_open", {"claim": claim.id})


async def reviewers_for(session: AsyncSession, app: App, claim: Claim, exclude: set[int] = frozenset()) -> list[User]:
    """Who may decide on the claim now: reviewers of its place, never the claimant or the first approver."""
    found = await app.users_with_role(session, roles.REVIEWER, claim.place_id)
    if claim.status == SECOND_APPROVAL and claim.first_approver_id is not None:
        exclude = {*exclude, claim.first_approver_id}
    return [u for u in found if u.id != claim.user_id and u.id not in exclude
            and await identity.conflict(session, app, claim, u) is None]


async def _notify_reviewers(session: AsyncSession, app: App, claim: Claim, text, exclude: set[int] = frozenset()):
    found = await reviewers_for(session, app, claim, exclude)
    if found:
        for reviewer in found:
            await app.notify(session, reviewer, text, buttons_spec=[[_open_button(claim)]])
        return
    # Nobody reviews claims for this place: the superadmins are responsible, and are told why it reaches them.
    from bot.claims import escalation

    place = escalation.place_name(claim.place_id)
    for admin in await escalation.superadmin_users(session, app):
        if admin.id in exclude or await identity.conflict(session, app, claim, admin) is not None:
            continue
        await app.notify(session, admin, lambda t: text(t) + "\n\n" + t.gettext(
            "No reviewer covers {place}, so this claim comes to you as a superadmin. Review it, or invite a "
            "reviewer for the place with /invite.", place=place), buttons_spec=[[_open_button(claim)]])


async def _tell_claimant(session: AsyncSession, app: App, claim: Claim, text, buttons=None) -> None:
    if claim.user_id is None:
        return
    user = await session.get(User, claim.user_id)
    if user is not None:
        await app.notify(session, user, text, buttons_spec=buttons)
