"""Round tables and other meetings: events, who subscribes to which places, who was told, who answered.

Who got an announcement is recorded per event rather than recomputed from subscriptions, so that a change or a
cancellation reaches exactly those people, even if they unsubscribed or moved their subscription since.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base
from bot.storage.types import UTCDateTime
from bot.timeutil import now

ANNOUNCED = "announced"
CANCELLED = "cancelled"


class Meeting(Base):
    """A round table, Fachforum or meeting at one Gemeinde or Kreis."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    """The calendar UID: stays the same through changes, so calendars update the entry instead of adding one."""
    sequence: Mapped[int] = mapped_column(default=0)
    """The calendar SEQUENCE: goes up with every change and the cancellation."""
    place_id: Mapped[str] = mapped_column(sa.String(12), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(sa.String(255), default="")
    """Address or room, as the coordinator wrote it."""
    topic: Mapped[str] = mapped_column(sa.String(120), default="")
    organiser: Mapped[str] = mapped_column(sa.String(200), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16), default=ANNOUNCED)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    """Why it was cancelled, as the coordinator wrote it; sent with the cancellation."""
    rrule: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    """For a recurring meeting the RFC 5545 RRULE (without DTSTART: `starts_at` is the first date), else ""."""


class OccurrenceChange(Base):
    """One date of a recurring meeting cancelled, moved or changed ("changed": its own title or address)."""

    __tablename__ = "event_occurrence_changes"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "original_start", name="uq_event_occurrence_changes_event_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    original_start: Mapped[datetime] = mapped_column(UTCDateTime)
    """The start the rule gives for this date."""
    status: Mapped[str] = mapped_column(sa.String(16))
    """"cancelled" or "moved"."""
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    title: Mapped[str | None] = mapped_column(sa.String(200))
    """A title for this date only (None: the series' title); with it or `location` the date is an override."""
    location: Mapped[str | None] = mapped_column(sa.String(255))
    """An address or room for this date only (None: the series' one)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    @property
    def overrides(self) -> bool:
        """Title or address changed for this date: a RECURRENCE-ID VEVENT in the .ics, not EXDATE/RDATE."""
        return self.status != "cancelled" and (self.title is not None or self.location is not None)


class Subscription(Base):
    """A person wants to hear about events at a Gemeinde or a Kreis."""

    __tablename__ = "event_subscriptions"
    __table_args__ = (sa.UniqueConstraint("user_id", "place_id", name="uq_event_subscriptions_user_place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    place_id: Mapped[str] = mapped_column(sa.String(12), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class MeetingRecipient(Base):
    """A chat that was told about an event: a subscriber's private chat or an announcement room.

    `last_delivery_id` is the newest message about the event queued for this chat; while it is still pending a
    change replaces it instead of queueing a second message.
    """

    __tablename__ = "event_recipients"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "platform", "chat_id", name="uq_event_recipients_event_chat"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    chat_id: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    """None for an announcement room."""
    last_delivery_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deliveries.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Rsvp(Base):
    """Yes, maybe or no from one person to one event."""

    __tablename__ = "event_rsvps"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    answer: Mapped[str] = mapped_column(sa.String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class MeetingReminder(Base):
    """Links a queued reminder to its event and person, so a change can move it and a "no" can drop it."""

    __tablename__ = "event_reminders"

    delivery_id: Mapped[int] = mapped_column(sa.ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    occurrence: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """For a recurring meeting the date (the rule's start) the reminder is for; None for a single event."""


class OccurrenceRsvp(Base):
    """Yes, maybe or no from one person to one date of a recurring meeting (`occurrence` is the rule's start)."""

    __tablename__ = "event_occurrence_rsvps"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    answer: Mapped[str] = mapped_column(sa.String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class MeetingUserSettings(Base):
    """A person's quiet hours and the secret of their calendar feed.

    Quiet hours are minutes after midnight, Berlin time; None means the configured default. The feed token is
    kept in clear because the bot has to show the link again; it only opens a list of public events.
    """

    __tablename__ = "event_user_settings"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    quiet_enabled: Mapped[bool] = mapped_column(default=True)
    quiet_from: Mapped[int | None] = mapped_column()
    quiet_to: Mapped[int | None] = mapped_column()
    feed_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    shared_name: Mapped[str | None] = mapped_column(sa.String(80))
    """The name this person lets organisers see next to their "yes" ("" = asked and declined, None = not asked)."""
    digest: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    """One message a week (Monday morning) instead of one per announcement."""
    digest_week: Mapped[date | None] = mapped_column(sa.Date)
    """The Monday of the last week whose digest was queued, so it goes out once."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
