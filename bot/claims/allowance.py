"""Yearly totals per person against the tax-free volunteer allowance (Ehrenamtspauschale, §3 Nr. 26a EStG).

Reimbursed travel costs themselves are not income, but associations often pay them under the allowance, and a
treasurer must see who is near it: 960 € a year from 2026 (`payout.allowance_cents_per_year`). Totals count every
claim of the person (all their accounts, also deleted ones) with a trip in the year that was not refused.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models_claims import REJECTED, WITHDRAWN, Claim

NEAR_SHARE = 0.8
"""From this share of the allowance on, a person is listed as near the limit."""


async def near_limit(session: AsyncSession, year: int, allowance_cents: int) -> list[tuple[str, int, list[int]]]:
    """(person's pseudonym, year total in cents, claim numbers) of everyone at NEAR_SHARE of the allowance or more."""
    person = func.coalesce(Claim.person_key, func.cast(Claim.user_id, Claim.person_key.type))
    rows = (await session.execute(
        select(person, func.sum(Claim.amount_cents)).where(
            Claim.trip_date >= date(year, 1, 1), Claim.trip_date < date(year + 1, 1, 1),
            Claim.status.not_in((REJECTED, WITHDRAWN))).group_by(person)
        .having(func.sum(Claim.amount_cents) >= int(allowance_cents * NEAR_SHARE))
    )).all()
    out = []
    for key, total in rows:
        ids = list(await session.scalars(select(Claim.id).where(
            func.coalesce(Claim.person_key, func.cast(Claim.user_id, Claim.person_key.type)) == key,
            Claim.trip_date >= date(year, 1, 1), Claim.trip_date < date(year + 1, 1, 1),
            Claim.status.not_in((REJECTED, WITHDRAWN))).order_by(Claim.id)))
        out.append((f"P-{str(key)[-6:]}", int(total), ids))
    return sorted(out, key=lambda r: -r[1])
