"""Server-side button tokens and the numbered menus that stand in for buttons where a platform has none."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from bot.storage.models import ButtonToken, ChoiceMenu, User
from bot.timeutil import now
from bot.tokens import new_token

TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}")
DEFAULT_TTL = timedelta(days=14)
MENU_TTL = timedelta(days=2)


class Lookup(enum.Enum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    NOT_YOURS = "not_yours"


@dataclass(frozen=True)
class Resolved:
    status: Lookup
    token: ButtonToken | None = None


async def create(
    session: AsyncSession,
    user: User | None,
    action: str,
    payload: dict[str, Any] | None = None,
    *,
    single_use: bool = False,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    token = new_token(12)
    session.add(
        ButtonToken(
            token=token,
            user_id=user.id if user else None,
            action=action,
            payload=payload or {},
            single_use=single_use,
            expires_at=now() + ttl,
        )
    )
    return token


async def resolve(session: AsyncSession, token: str, user: User) -> Resolved:
    if not TOKEN.fullmatch(token or ""):
        # Anything outside the token alphabet is forged; PostgreSQL would even refuse some of it (NUL).
        return Resolved(Lookup.UNKNOWN)
    row = await session.get(ButtonToken, token)
    if row is None:
        return Resolved(Lookup.UNKNOWN)
    if row.user_id is not None and row.user_id != user.id:
        return Resolved(Lookup.NOT_YOURS, row)
    if row.expires_at <= now():
        return Resolved(Lookup.EXPIRED, row)
    if row.used_at is not None:
        return Resolved(Lookup.USED, row)
    if row.single_use:
        # Conditional update so a double tap (or two devices) fires the action only once.
        result = await session.execute(
            update(ButtonToken)
            .where(ButtonToken.token == token, ButtonToken.used_at.is_(None))
            .values(used_at=now())
        )
        if result.rowcount != 1:
            return Resolved(Lookup.USED, row)
    return Resolved(Lookup.OK, row)


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(delete(ButtonToken).where(ButtonToken.expires_at < now() - timedelta(days=1)))
    return result.rowcount or 0


def menu_choices(reply: Reply) -> list[tuple[str, str]]:
    """A reply's choices as (token, label), in the order they are numbered (link buttons get no number)."""
    return [(b.token, b.label) for row in reply.buttons for b in row if b.token]


async def remember_menu(session: AsyncSession, platform: str, chat_id: str, choices: list[tuple[str, str]]) -> None:
    """Remember the choices just shown in a chat, so "2" or a typed label can be read as that button."""
    entries = [[token, label] for token, label in choices]
    # An upsert: the outbox and a handler may remember a menu for the same chat at the same moment.
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    statement = insert(ChoiceMenu).values(platform=platform, chat_id=chat_id, tokens=entries, created_at=now())
    await session.execute(statement.on_conflict_do_update(
        index_elements=[ChoiceMenu.platform, ChoiceMenu.chat_id],
        set_={"tokens": statement.excluded.tokens, "created_at": statement.excluded.created_at},
    ))


async def forget_menu(session: AsyncSession, platform: str, chat_id: str) -> None:
    """Forget a chat's choices once a question without them was asked there."""
    await session.execute(delete(ChoiceMenu).where(ChoiceMenu.platform == platform, ChoiceMenu.chat_id == chat_id))


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _pick(entries: list, text: str, *, numbers: bool, labels: bool) -> str | None:
    stripped = text.strip().rstrip(".)")
    if numbers and stripped.isdigit() and len(stripped) <= 3:
        index = int(stripped) - 1
        if 0 <= index < len(entries):
            entry = entries[index]
            return entry if isinstance(entry, str) else entry[0]
        return None
    typed = _plain(text)
    if not labels or len(typed) < 2:
        return None
    named = [(entry[0], _plain(entry[1])) for entry in entries if not isinstance(entry, str)]
    exact = [token for token, label in named if label == typed]
    if len(exact) == 1:
        return exact[0]
    # "ja" for "Ja, ich komme": the start of exactly one label, at a word boundary.
    starts = [token for token, label in named if label.startswith(typed + " ")]
    return starts[0] if len(starts) == 1 and not exact else None


async def menu_choice(
    session: AsyncSession, platform: str, chat_id: str, text: str, *, numbers: bool = True, labels: bool = True,
) -> str | None:
    """The token behind a typed answer to the chat's last choices: its number, or its label (or a clear start).

    People on phones type "2", "Auto" or "ja" as often as they tap; either should work like the tap.
    """
    if len(text) > 200 or text.lstrip().startswith("/"):
        return None
    menu = await session.scalar(
        select(ChoiceMenu).where(ChoiceMenu.platform == platform, ChoiceMenu.chat_id == chat_id)
    )
    if menu is None or menu.created_at < now() - MENU_TTL:
        return None
    return _pick(menu.tokens, text, numbers=numbers, labels=labels)


async def has_menu(session: AsyncSession, platform: str, chat_id: str) -> bool:
    """Whether the chat shows choices that a typed answer may still pick."""
    menu = await session.scalar(
        select(ChoiceMenu).where(ChoiceMenu.platform == platform, ChoiceMenu.chat_id == chat_id)
    )
    return menu is not None and menu.created_at >= now() - MENU_TTL


async def current_menu(session: AsyncSession, platform: str, chat_id: str) -> list[tuple[str, str]]:
    """The chat's choices as (token, label), numbered from 1 in this order; empty when there are none."""
    menu = await session.scalar(
        select(ChoiceMenu).where(ChoiceMenu.platform == platform, ChoiceMenu.chat_id == chat_id)
    )
    if menu is None or menu.created_at < now() - MENU_TTL:
        return []
    return [(entry[0], entry[1]) for entry in menu.tokens if not isinstance(entry, str)]
