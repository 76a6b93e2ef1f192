"""The audit log: every step of every claim, written in the same transaction as the step itself.

Entries are only ever added; the database refuses UPDATE and DELETE on the table (triggers from migration 0004),
so not even a bug or a hand-typed SQL statement can rewrite who approved what.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import User
from bot.storage.models_claims import AuditEntry

CLI = "cli"


def actor_label(user: User | None) -> str:
    return CLI if user is None else f"{user.platform}:{user.platform_user_id}"[:80]


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
