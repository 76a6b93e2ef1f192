"""Travel-cost claims, their receipts, saved payout accounts, payout batches and the audit log.

Claims are financial records that must be kept for years: a deleted chat account sets `user_id` to NULL instead
of deleting its claims. The audit log has no foreign keys at all, because a cascading update or delete would be a
change to a row that the database refuses (triggers in migration 0004 make the table append-only).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base
from bot.storage.types import UTCDateTime
from bot.timeutil import now

# Claim states. A claim is "open" for review in PENDING and SECOND_APPROVAL, waits for the volunteer in INFO.
PENDING = "pending"
INFO = "info_requested"
SECOND_APPROVAL = "second_approval"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
EXPORTED = "exported"
PAID = "paid"
IN_REVIEW = (PENDING, INFO, SECOND_APPROVAL)
"""States from which the volunteer may still withdraw the claim."""
REVIEWABLE = (PENDING, SECOND_APPROVAL)
CLAIM_STATES = (PENDING, INFO, SECOND_APPROVAL, APPROVED, REJECTED, WITHDRAWN, EXPORTED, PAID)


class Receipt(Base):
    """A receipt file, kept in the database so it is in every backup and in the same transaction as its claim.

    It is stored as soon as it is uploaded (the claim does not exist yet) and linked on submission; receipts of
    dialogs that were never finished are removed by a background job.
    """

    __tablename__ = "claim_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    mime_type: Mapped[str] = mapped_column(sa.String(64))
    filename: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class PayoutAccount(Base):
    """The account a volunteer agreed to have remembered for the next claim."""

    __tablename__ = "claim_accounts"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(70))
    iban_encrypted: Mapped[str] = mapped_column(sa.Text)
    iban_hash: Mapped[str] = mapped_column(sa.String(64))
    iban_last4: Mapped[str] = mapped_column(sa.String(4))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class PayoutBatch(Base):
    """One exported SEPA file; its claims are paid when an admin confirms the bank executed it."""

    __tablename__ = "claim_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="exported")  # exported | paid | cancelled
    message_id: Mapped[str] = mapped_column(sa.String(35))
    checksum: Mapped[str] = mapped_column(sa.String(64))
    count: Mapped[int]
    total_cents: Mapped[int] = mapped_column(sa.BigInteger)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Claim(Base):
    """A travel-cost claim. Money in integer cents, distance in integer tenths of a kilometre."""

    __tablename__ = "claims"
    __table_args__ = (
        sa.Index("ix_claims_user_trip", "user_id", "trip_date"),
        sa.Index("ix_claims_status_place", "status", "place_id"),
        sa.CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(20), default=PENDING)
    trip_date: Mapped[date] = mapped_column(sa.Date)
    from_text: Mapped[str] = mapped_column(sa.String(200))
    from_place_id: Mapped[str | None] = mapped_column(sa.String(12))
    to_text: Mapped[str] = mapped_column(sa.String(200))
    to_place_id: Mapped[str | None] = mapped_column(sa.String(12))
    place_id: Mapped[str] = mapped_column(sa.String(12))
    """The Gemeinde (or Kreis) whose reviewers check the claim and whose Kreis's rules apply."""
    transport: Mapped[str] = mapped_column(sa.String(16))
    km_tenths: Mapped[int | None]
    ticket_cents: Mapped[int | None]
    rate_cents_per_km: Mapped[int | None]
    rules_valid_from: Mapped[date | None] = mapped_column(sa.Date)
    amount_cents: Mapped[int]
    uncapped_cents: Mapped[int]
    purpose: Mapped[str] = mapped_column(sa.String(500))
    round_table: Mapped[str | None] = mapped_column(sa.String(200))
    receipt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claim_receipts.id", ondelete="SET NULL"))
    holder: Mapped[str] = mapped_column(sa.String(70))
    iban_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    """Erased after payout unless payout.keep_iban_after_payout is set."""
    iban_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    iban_last4: Mapped[str] = mapped_column(sa.String(4))
    needs_second_approval: Mapped[bool] = mapped_column(default=False)
    first_approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str | None] = mapped_column(sa.String(500))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("claim_batches.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    person_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    """The filing person (a keyed hash, see bot.claims.identity): kept when the account is deleted."""
    first_approver_person: Mapped[str | None] = mapped_column(sa.String(64))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the reviewers were last reminded of this waiting claim."""
    waiting_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the volunteer was told that the claim is still waiting."""


class AuditEntry(Base):
    """Who did what to which claim or batch, when, from which state to which. Rows are never changed."""

    __tablename__ = "claim_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int | None] = mapped_column(index=True)
    batch_id: Mapped[int | None]
    actor_id: Mapped[int | None]
    """The user who acted; None for the command line."""
    actor: Mapped[str] = mapped_column(sa.String(80))
    """"user:<id>" or "cli": a pseudonym, so the log names nobody once their account is deleted."""
    action: Mapped[str] = mapped_column(sa.String(32))
    old_status: Mapped[str | None] = mapped_column(sa.String(20))
    new_status: Mapped[str | None] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
