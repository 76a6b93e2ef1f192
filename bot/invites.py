"""Single-use, expiring invitations that grant a role for a scope."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import roles
from bot.storage.models import Invite, User
from bot.timeutil import now
from bot.tokens import digest, new_token

DEFAULT_TTL = timedelta(days=7)
PREFIX = "inv_"


class RedeemResult(enum.Enum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    """Its creator lost the right to hand out this role, or deleted their account: it died with them."""


@dataclass(frozen=True)
class Redeemed:
    result: RedeemResult
    role: str | None = None
    scope: str | None = None
    inviter: User | None = None


async def may_invite(
    session: AsyncSession, inviter: User, role: str, scope: str, superadmins: roles.Superadmins
) -> bool:
    """Admins invite to any role; coordinators only invite coordinators inside their own area.

    Reviewer and admin roles release money and other people's data, so only admins hand them out.
    """
    if await roles.has_role(session, inviter, roles.ADMIN, superadmins=superadmins):
        return True
    if role != roles.COORDINATOR or scope == roles.EVERYWHERE:
        return False
    return await roles.has_role(session, inviter, roles.COORDINATOR, scope, superadmins=superadmins)


async def create(
    session: AsyncSession, inviter: User, role: str, scope: str, ttl: timedelta = DEFAULT_TTL
) -> tuple[str, Invite]:
    """Returns the token (shown once) and the stored invite (which keeps only its hash)."""
    token = PREFIX + new_token(16)
    invite = Invite(token_hash=digest(token), role=role, scope=scope, created_by=inviter.id, expires_at=now() + ttl)
    session.add(invite)
    await session.flush()
    return token, invite


def looks_like_invite(text: str) -> bool:
    return text.startswith(PREFIX) and 10 < len(text) <= 64


async def redeem(
    session: AsyncSession, token: str, user: User, superadmins: roles.Superadmins = roles.Superadmins()
) -> Redeemed:
    invite = await session.scalar(select(Invite).where(Invite.token_hash == digest(token)))
    if invite is None:
        return Redeemed(RedeemResult.UNKNOWN)
    if invite.redeemed_at is not None:
        return Redeemed(RedeemResult.USED)
    if invite.expires_at <= now():
        return Redeemed(RedeemResult.EXPIRED)
    inviter = await session.get(User, invite.created_by) if invite.created_by else None
    if inviter is None or not await may_invite(session, inviter, invite.role, invite.scope, superadmins):
        return Redeemed(RedeemResult.REVOKED)
    # Conditional update: of two people redeeming at once, only one wins.
    result = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.redeemed_at.is_(None))
        .values(redeemed_by=user.id, redeemed_at=now())
    )
    if result.rowcount != 1:
        return Redeemed(RedeemResult.USED)
    await roles.grant(session, user, invite.role, invite.scope, inviter)
    return Redeemed(RedeemResult.OK, invite.role, invite.scope, inviter)
