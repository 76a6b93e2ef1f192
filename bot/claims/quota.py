"""How much receipt data one person may upload: receipts live in the database and in every backup.

Without a limit one account filled 52 MB in 40 messages. The limits are per person (all their accounts' uploads
count by account, which is what the database can see cheaply) and per day, and generous for honest use: a
volunteer sends one or two receipts per claim and rarely more than a few claims a day.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import User
from bot.storage.models_claims import Claim, Receipt
from bot.timeutil import now

MAX_RECEIPTS_PER_DAY = 10
MAX_MB_PER_DAY = 30
MAX_UNATTACHED = 5
"""Receipts not (yet) belonging to a claim: a dialog needs one; a few spare for retries."""


async def refusal(session: AsyncSession, user: User, size: int) -> str | None:
    """None if `user` may store a receipt of `size` bytes now, else "per_day" or "unattached"."""
    since = now() - timedelta(days=1)
    count, total = (await session.execute(
        select(func.count(Receipt.id), func.coalesce(func.sum(Receipt.size), 0))
        .where(Receipt.user_id == user.id, Receipt.created_at >= since))).one()
    if count >= MAX_RECEIPTS_PER_DAY or int(total) + size > MAX_MB_PER_DAY * 1024 * 1024:
        return "per_day"
    attached = select(Claim.receipt_id).where(Claim.receipt_id.is_not(None))
    loose = await session.scalar(select(func.count(Receipt.id)).where(
        Receipt.user_id == user.id, Receipt.id.not_in(attached))) or 0
    if loose >= MAX_UNATTACHED:
        return "unattached"
    return None
