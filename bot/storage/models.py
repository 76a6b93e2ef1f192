"""The foundation's tables: people, roles, invites, dialogs, buttons, menus and the delivery outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base
from bot.storage.types import UTCDateTime
from bot.timeutil import now


class User(Base):
    """One person on one platform.

    A Telegram account and a Matrix account are different users: nothing links them unless the person does it,
    which keeps what one platform knows from leaking to the other. Nothing but the platform id, the language and
    the private chat is stored.
    """

    __tablename__ = "users"
    __table_args__ = (
        sa.UniqueConstraint("platform", "platform_user_id", name="uq_users_platform_user"),
        # Ids are never handed out twice, also on SQLite: the claims audit log names people by id after their
        # account is deleted, and a newcomer must not inherit a deleted reviewer's history.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    platform_user_id: Mapped[str] = mapped_column(sa.String(255))
    language: Mapped[str] = mapped_column(sa.String(8), default="de")
    language_chosen: Mapped[bool] = mapped_column(default=False)
    dm_chat_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class RoleGrant(Base):
    """A role for a scope: "" is everywhere, otherwise a Land, Kreis or Gemeinde key.

    Official keys nest (Land "08" < Kreis "08116" < Gemeinde "08116049"), so a scope covers a place exactly when
    the place's key starts with it.
    """

    __tablename__ = "role_grants"
    __table_args__ = (sa.UniqueConstraint("user_id", "role", "scope", name="uq_role_grants_user_role_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    scope: Mapped[str] = mapped_column(sa.String(12), default="")
    granted_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Invite(Base):
    """A single-use, expiring invitation to a role; only a hash of the token is kept."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    scope: Mapped[str] = mapped_column(sa.String(12), default="")
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    redeemed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DialogState(Base):
    """The open multi-step dialog of a user, so a restart continues where the user was.

    It belongs to the chat it was started in (`chat_id`): an answer is only taken from there, so a word said in a
    group never lands in a private claim. Rows from before the chat was stored have none and mean the private chat.
    """

    __tablename__ = "dialog_states"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    chat_id: Mapped[str | None] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(64))
    step: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ButtonToken(Base):
    """What a button does, kept on the server; the platform only carries an unguessable key.

    Keeping the action server-side means a forged or replayed callback cannot smuggle in an action, and the
    permission check runs again with current data when the button is pressed.
    """

    __tablename__ = "button_tokens"

    token: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    single_use: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChoiceMenu(Base):
    """The last numbered choices offered in a chat on a platform without buttons (Matrix, console)."""

    __tablename__ = "choice_menus"

    platform: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    tokens: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Delivery(Base):
    """One message to one chat, written in the same transaction as the change that causes it.

    The outbox is what makes pushes survive crashes and platform errors: a worker sends pending rows at the
    platform's rate, records the platform message id, and retries with backoff.
    """

    __tablename__ = "deliveries"
    __table_args__ = (sa.Index("ix_deliveries_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    chat_id: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32), default="message")
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    respect_quiet_hours: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    platform_message_id: Mapped[str | None] = mapped_column(sa.String(255))
    last_error: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SeenEvent(Base):
    """Platform events already handled, so a redelivery after a restart is not answered twice."""

    __tablename__ = "seen_events"

    platform: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
