"""Multi-step dialogs kept in the database, so a restart in the middle of one continues where the user was.

A dialog belongs to the chat it was started in. Anna may have a claim open in her private chat and still talk in
a group: what she writes there is not an answer to the claim, and nothing about the claim is said in the group.
The claim waits in her private chat until she goes on there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import DialogState, User
from bot.timeutil import now


async def current(session: AsyncSession, user: User) -> DialogState | None:
    return await session.get(DialogState, user.id)


def started_in(state: DialogState, chat_id: str, is_group: bool) -> bool:
    """Whether a message from this chat continues the dialog; one from before chats were stored means private."""
    if state.chat_id is None:
        return not is_group
    return state.chat_id == chat_id


async def start(
    session: AsyncSession,
    user: User,
    chat_id: str,
    name: str,
    step: str,
    data: dict[str, Any] | None,
    ttl: timedelta,
) -> DialogState:
    """Open a dialog in this chat, replacing whatever dialog the user had open, in this chat or another.

    A person follows one line of questions at a time: who starts something new has turned away from the old
    one, and answers meant for the new questions must never fill in the old ones waiting somewhere else.
    """
    state = await session.get(DialogState, user.id)
    if state is None:
        state = DialogState(
            user_id=user.id, chat_id=chat_id, name=name, step=step, data=dict(data or {}), expires_at=now() + ttl
        )
        session.add(state)
    else:
        state.chat_id, state.name, state.step, state.data = chat_id, name, step, dict(data or {})
        state.updated_at, state.expires_at = now(), now() + ttl
    await session.flush()
    return state


async def update(
    session: AsyncSession, state: DialogState, chat_id: str, ttl: timedelta, step: str | None = None, /,
    **data: Any,
) -> DialogState:
    """Move the dialog on; it continues in the chat it was moved on from (a button may be pressed elsewhere)."""
    state.chat_id = chat_id
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
