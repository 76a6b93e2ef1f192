"""Who holds which role, and taking roles and open invitations back.

Whoever may hand out a role may also take it back: admins everything, coordinators the coordinator roles inside
their own area (the same rule as `invites.may_invite`). Every revocation is written to the append-only audit log
with the pseudonyms of both people, and the person who lost the role is told.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import invites, roles
from bot.storage.models import Invite, RoleGrant, User
from bot.timeutil import now


@dataclass(frozen=True)
class Overview:
    grants: list[RoleGrant]
    invites: list[Invite]


async def areas(session: AsyncSession, user: User, superadmins: roles.Superadmins) -> list[str] | None:
    """The scopes whose roles `user` may see and take back ([""] for all); None when they may not at all."""
    if await roles.has_role(session, user, roles.ADMIN, superadmins=superadmins):
        return [roles.EVERYWHERE]
    found = await roles.scopes(session, user, roles.COORDINATOR, superadmins=superadmins)
    return found or None


def _inside(scope: str, areas: list[str]) -> bool:
    return any(a == roles.EVERYWHERE or (scope != roles.EVERYWHERE and scope.startswith(a)) for a in areas)


async def overview(session: AsyncSession, user: User, superadmins: roles.Superadmins) -> Overview | None:
    where = await areas(session, user, superadmins)
    if where is None:
        return None
    grants = [g for g in await session.scalars(select(RoleGrant).order_by(RoleGrant.scope, RoleGrant.role,
                                                                            RoleGrant.id))
              if _inside(g.scope, where)]
    open_invites = [i for i in await session.scalars(
        select(Invite).where(Invite.redeemed_at.is_(None), Invite.expires_at > now()).order_by(Invite.id))
        if _inside(i.scope, where)]
    return Overview(grants, open_invites)


async def may_revoke(session: AsyncSession, actor: User | None, role: str, scope: str,
                     superadmins: roles.Superadmins) -> bool:
    if actor is None:  # the command line is the operator
        return True
    return await invites.may_invite(session, actor, role, scope, superadmins)


async def revoke_grant(session: AsyncSession, actor: User | None, grant_id: int,
                       superadmins: roles.Superadmins) -> RoleGrant | None:
    """Take a role back; None if it is gone already or `actor` may not. Audited."""
    from bot.claims import audit

    grant = await session.get(RoleGrant, grant_id)
    if grant is None or not await may_revoke(session, actor, grant.role, grant.scope, superadmins):
        return None
    await session.delete(grant)
    await session.flush()
    await audit.record(session, "role_revoked", actor=actor,
                       note=f"{grant.role} for {grant.scope or 'everywhere'} of user:{grant.user_id}")
    return grant


async def revoke_invite(session: AsyncSession, actor: User | None, invite_id: int,
                        superadmins: roles.Superadmins) -> Invite | None:
    from bot.claims import audit

    invite = await session.get(Invite, invite_id)
    if invite is None or invite.redeemed_at is not None:
        return None
    if not await may_revoke(session, actor, invite.role, invite.scope, superadmins):
        return None
    await session.delete(invite)
    await session.flush()
    await audit.record(session, "invite_revoked", actor=actor,
                       note=f"invite {invite.id}: {invite.role} for {invite.scope or 'everywhere'}")
    return invite
