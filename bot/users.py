"""Finding the user behind a platform event."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import normalise_language
from bot.storage.models import User
from bot.timeutil import now


async def get_or_create(
    session: AsyncSession,
    platform: str,
    platform_user_id: str,
    *,
    language: str | None,
    default_language: str,
    dm_chat_id: str | None = None,
    first_language: str | None = None,
) -> User:
    """`first_language` stands in for the platform's language tag where there is none (Matrix): the language
    of the first message, if it is clear, is the one the bot starts speaking."""
    user = await session.scalar(
        select(User).where(User.platform == platform, User.platform_user_id == platform_user_id)
    )
    if user is None:
        language = language or first_language
        user = User(
            platform=platform,
            platform_user_id=platform_user_id,
            language=normalise_language(language, default_language),
            dm_chat_id=dm_chat_id,
        )
        session.add(user)
        await session.flush()
        return user
    if not user.language_chosen and language:
        user.language = normalise_language(language, default_language)
    if dm_chat_id and user.dm_chat_id != dm_chat_id:
        user.dm_chat_id = dm_chat_id
    user.last_seen_at = now()
    return user


async def find(session: AsyncSession, platform: str, platform_user_id: str) -> User | None:
    return await session.scalar(
        select(User).where(User.platform == platform, User.platform_user_id == platform_user_id)
    )
