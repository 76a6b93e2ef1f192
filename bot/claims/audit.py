"""The audit log: every step of every claim, written in the same transaction as the step itself.

Entries are only ever added; the database refuses UPDATE, and DELETE of any entry whose claim or batch still
exists (triggers from migrations 0004 and 0005), so not even a bug or a hand-typed SQL statement can rewrite who
approved what. Once the retention job has removed a claim, its entries go with it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import User
from bot.storage.models_claims import AuditEntry

CLI = "cli"


def actor_label(user: User | None) -> str:
    """A pseudonym, not the chat account: the log outlives accounts, and a deleted person must not stay named.

    While the account exists, the id leads to it; once it is deleted, nothing does (ids are never reused).
    """
    return CLI if user is None else f"user:{user.id}"


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor: User | None,
    claim_id: int | None = None,
    batch_id: int | None = None,
    old: str | None = None,
    new: str | None = None,
    note: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        claim_id=claim_id, batch_id=batch_id, actor_id=actor.id if actor else None, actor=actor_label(actor),
        action=action, old_status=old, new_status=new, note=note,
    )
    session.add(entry)
    await session.flush()
    return entry


async def history(session: AsyncSession, claim_id: int) -> list[AuditEntry]:
    return list(await session.scalars(
        select(AuditEntry).where(AuditEntry.claim_id == claim_id).order_by(AuditEntry.id)
    ))
