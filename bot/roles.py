"""Roles and the one permission check every handler calls.

The check reads the database each time, on every message and every button press, so a role taken away is gone
at once, and a button shown to someone earlier grants nothing by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import RoleGrant, User

VOLUNTEER = "volunteer"
COORDINATOR = "coordinator"
REVIEWER = "reviewer"
ADMIN = "admin"
GRANTABLE = (COORDINATOR, REVIEWER, ADMIN)
EVERYWHERE = ""


@dataclass(frozen=True)
class Superadmins:
    """Accounts named in the config; they hold every role everywhere and cannot be locked out from the chat."""

    ids: frozenset[tuple[str, str]] = frozenset()

    def __contains__(self, user: User) -> bool:
        return (user.platform, user.platform_user_id) in self.ids


def covers(scope: str, place_id: str | None) -> bool:
    """A scope covers a place when the place's official key starts with it ("" covers everything)."""
    if scope == EVERYWHERE:
        return True
    if place_id is None:
        return False
    return place_id.startswith(scope)


async def grants(session: AsyncSession, user: User) -> list[RoleGrant]:
    return list(await session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id)))


async def has_role(
    session: AsyncSession,
    user: User,
    role: str,
    place_id: str | None = None,
    *,
    superadmins: Superadmins = Superadmins(),
    anywhere: bool = False,
) -> bool:
    """Whether `user` holds `role` for `place_id`.

    An admin holds every role everywhere. With `anywhere=True` a grant for any scope is enough (used to show a
    menu, never to authorise an action on a specific place).
    """
    if role == VOLUNTEER:
        return True
    if user in superadmins:
        return True
    for grant in await grants(session, user):
        if grant.role == ADMIN:
            return True
        if grant.role != role:
            continue
        if anywhere or covers(grant.scope, place_id):
            return True
    return False


async def scopes(session: AsyncSession, user: User, role: str, *, superadmins: Superadmins = Superadmins()) -> list[str]:
    """The scopes in which `user` holds `role` ([""] for everywhere)."""
    if user in superadmins:
        return [EVERYWHERE]
    result = []
    for grant in await grants(session, user):
        if grant.role == ADMIN:
            return [EVERYWHERE]
        if grant.role == role:
            result.append(grant.scope)
    return result


async def grant(session: AsyncSession, user: User, role: str, scope: str, granted_by: User | None) -> RoleGrant:
    existing = await session.scalar(
        select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.role == role, RoleGrant.scope == scope)
    )
    if existing is not None:
        return existing
    row = RoleGrant(user_id=user.id, role=role, scope=scope, granted_by=granted_by.id if granted_by else None)
    session.add(row)
    await session.flush()
    return row
