"""Every reviewable claim has someone responsible, and waiting claims come back to people's attention.

A claim for a place without a reviewer (no Koordinierungsstelle has one there yet) goes to the superadmins with a
notice saying so, instead of to nobody. Reviewers are reminded of claims waiting longer than REMIND_AFTER, again
every REMIND_AFTER; the volunteer is told once when their claim has waited TELL_VOLUNTEER_AFTER.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import User
from bot.storage.models_claims import IN_REVIEW, REVIEWABLE, Claim
from bot.timeutil import now

if TYPE_CHECKING:
    from bot.core.app import App

log = logging.getLogger(__name__)

REMIND_AFTER = timedelta(days=3)
TELL_VOLUNTEER_AFTER = timedelta(days=14)


async def superadmin_users(session: AsyncSession, app: App) -> list[User]:
    ids = list(app.superadmins.ids)
    if not ids:
        return []
    return list(await session.scalars(
        select(User).where(tuple_(User.platform, User.platform_user_id).in_(ids)).order_by(User.id)))


def place_name(place_id: str | None) -> str:
    from knowledge.places import default_gazetteer

    try:
        place = default_gazetteer().get(place_id or "")
    except Exception:  # no place index on this machine: the key still says where
        place = None
    return place.name if place is not None else (place_id or "?")


async def remind(app: App, at: datetime | None = None) -> tuple[int, int]:
    """One round: (reminders to reviewers, notices to volunteers). Each claim's times are kept in its row."""
    from bot.claims import workflow

    at = at or now()
    reminded = told = 0
    async with app.db.session() as session:
        waiting = list(await session.scalars(select(Claim).where(
            Claim.status.in_(REVIEWABLE), Claim.updated_at < at - REMIND_AFTER,
            or_(Claim.reminded_at.is_(None), Claim.reminded_at < at - REMIND_AFTER)).order_by(Claim.id)))
        for claim in waiting:
            days = (at - claim.updated_at).days
            await workflow._notify_reviewers(session, app, claim, lambda t, c=claim, d=days: t.ngettext(
                "Reminder: travel-cost claim #{id} has been waiting for your review for {n} day.",
                "Reminder: travel-cost claim #{id} has been waiting for your review for {n} days.", d, id=c.id))
            claim.reminded_at = at
            reminded += 1
        long_waiting = list(await session.scalars(select(Claim).where(
            Claim.status.in_(IN_REVIEW), Claim.created_at < at - TELL_VOLUNTEER_AFTER,
            Claim.waiting_told_at.is_(None), Claim.user_id.is_not(None)).order_by(Claim.id)))
        for claim in long_waiting:
            await workflow._tell_claimant(session, app, claim, lambda t, c=claim: t.gettext(
                "Your travel-cost claim #{id} has not been decided yet. The reviewers have been reminded; if it is "
                "urgent, please contact your coordinator. See /myclaims.", id=c.id))
            claim.waiting_told_at = at
            told += 1
        await session.commit()
    return reminded, told


UNPAID_IBAN_DAYS = 30
"""A rejected or withdrawn claim is never paid: its IBAN is erased after the time to correct and resubmit it."""


async def expire_undecided(session: AsyncSession, before: datetime, at: datetime) -> dict[str, int]:
    """Never-decided claims untouched since `before` end as withdrawn, without their IBAN (run by retention)."""
    from sqlalchemy import update

    from bot.claims import audit
    from bot.storage.models_claims import REJECTED, WITHDRAWN

    stale = list(await session.scalars(select(Claim.id).where(Claim.status.in_(IN_REVIEW), Claim.updated_at < before)))
    for claim_id in stale:
        result = await session.execute(
            update(Claim).where(Claim.id == claim_id, Claim.status.in_(IN_REVIEW))
            .values(status=WITHDRAWN, iban_encrypted=None, updated_at=at).execution_options(synchronize_session=False))
        if result.rowcount:
            await audit.record(session, "expired", actor=None, claim_id=claim_id, new=WITHDRAWN,
                               note="never decided; ended by the retention rules")
    erased = await session.execute(
        update(Claim).where(Claim.status.in_((REJECTED, WITHDRAWN)), Claim.iban_encrypted.is_not(None),
                            Claim.updated_at < at - timedelta(days=UNPAID_IBAN_DAYS))
        .values(iban_encrypted=None).execution_options(synchronize_session=False))
    return {"expired_claims": len(stale), "unpaid_ibans": erased.rowcount or 0}


async def reminder_job(app: App) -> None:
    while True:
        reminded, told = await remind(app)
        if reminded or told:
            log.info("claims: reminded reviewers of %d claims, told %d volunteers", reminded, told)
        await asyncio.sleep(6 * 3600)
