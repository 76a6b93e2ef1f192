"""Which chat accounts belong to one person, for the rule that nobody decides on their own money.

Rows name accounts only by a keyed hash of "platform:id", so a deleted account keeps its link to the claims it
filed (and a returning account is recognised) without the table naming anyone; the retention job removes a link
once no kept claim refers to its person.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base
from bot.storage.types import UTCDateTime
from bot.timeutil import now


class PersonAccount(Base):
    """One account linked to a person (accounts without a row are a person of their own)."""

    __tablename__ = "person_accounts"

    account_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class PersonLinkCode(Base):
    """A one-time code that links the account redeeming it to the account that asked for it."""

    __tablename__ = "person_link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
