"""Multi-step dialogs kept in the database, so a restart in the middle of one continues where the user was."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import DialogState, User
from bot.timeutil import now


async def current(session: AsyncSession, user: User) -> DialogState | None:
    return await session.get(DialogState, user.id)


async def start(
    session: AsyncSession, user: User, name: str, step: str, data: dict[str, Any] | None, ttl: timedelta
) -> DialogState:
    state = await session.get(DialogState, user.id)
    if state is None:
        state = DialogState(user_id=user.id, name=name, step=step, data=dict(data or {}), expires_at=now() + ttl)
        session.add(state)
    else:
        state.name, state.step, state.data = name, step, dict(data or {})
        state.updated_at, state.expires_at = now(), now() + ttl
    await session.flush()
    return state


async def update(
    session: AsyncSession, state: DialogState, ttl: timedelta, step: str | None = None, **data: Any
) -> DialogState:
    if step is not None:
        state.step = step
    if data:
        # A new dict, so SQLAlchemy sees the JSON column change.
        state.data = {**state.data, **data}
    state.updated_at, state.expires_at = now(), now() + ttl
    await session.flush()
    return state


async def end(session: AsyncSession, user: User) -> bool:
    result = await session.execute(delete(DialogState).where(DialogState.user_id == user.id))
    return bool(result.rowcount)


def expired(state: DialogState) -> bool:
    return state.expires_at <= now()
