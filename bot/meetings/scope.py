"""Who hears about an event at which place.

Official keys nest (Land "06" ⊃ Kreis "06439" ⊃ Gemeinde "06439015"), and the rule is symmetric in the keys: a
subscription reaches an event when one key starts with the other. So a Kreis subscription covers every Gemeinde
in it, and a Gemeinde subscription also brings the events of its Kreis, but not those of a neighbour Gemeinde.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.meetings.settings import AnnounceChat
from bot.storage.models import User
from bot.storage.models_meetings import Subscription
from bot.timeutil import now

SUBSCRIBABLE = ("gemeinde", "kreis")
_KEY_LENGTHS = (2, 5, 8)  # Land, Kreis, Gemeinde


def reaches(subscribed: str, event_place: str) -> bool:
    return event_place.startswith(subscribed) or subscribed.startswith(event_place)


def covering(column, event_place: str) -> ColumnElement[bool]:
    """SQL for "a place in `column` reaches `event_place`": one of its parents, itself, or inside it."""
    parents = [event_place[:n] for n in _KEY_LENGTHS if n < len(event_place)]
    return or_(column.in_(parents), column.like(f"{event_place}%"))


async def subscribers(session: AsyncSession, event_place: str) -> list[User]:
    """Everyone who can be pushed to and whose subscription reaches the place, once each."""
    rows = await session.scalars(
        select(User)
        .where(User.id.in_(select(Subscription.user_id).where(covering(Subscription.place_id, event_place))))
        .where(User.dm_chat_id.is_not(None))
        .order_by(User.id)
    )
    return list(rows)


async def subscriber_count(session: AsyncSession, event_place: str) -> int:
    return len(await subscribers(session, event_place))


def announce_chats(chats: tuple[AnnounceChat, ...], event_place: str) -> list[AnnounceChat]:
    seen, found = set(), []
    for chat in chats:
        if reaches(chat.place, event_place) and (chat.platform, chat.chat_id) not in seen:
            seen.add((chat.platform, chat.chat_id))
            found.append(chat)
    return found


async def subscriptions_of(session: AsyncSession, user: User) -> list[Subscription]:
    return list(await session.scalars(
        select(Subscription).where(Subscription.user_id == user.id).order_by(Subscription.created_at)
    ))


async def subscribe(session: AsyncSession, user: User, place_id: str) -> bool:
    """Subscribe `user` to `place_id`; False if they already were."""
    exists = await session.scalar(select(Subscription.id).where(
        Subscription.user_id == user.id, Subscription.place_id == place_id))
    if exists is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(Subscription(user_id=user.id, place_id=place_id, created_at=now()))
    except IntegrityError:  # the same subscription from a second device at the same moment
        pass
    return True


async def unsubscribe(session: AsyncSession, user: User, place_id: str | None = None) -> int:
    """End one subscription (or, without `place_id`, all); returns how many there were."""
    query = delete(Subscription).where(Subscription.user_id == user.id)
    if place_id is not None:
        query = query.where(Subscription.place_id == place_id)
    return (await session.execute(query)).rowcount or 0
