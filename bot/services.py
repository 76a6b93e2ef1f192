"""The feature services a handler reaches as `ctx.services`: one typed, frozen object built in `bot/wiring.py`.

Each service is a class that gets what it needs in its constructor, so a test or a second app in the same
process builds its own, and nothing is found by a string key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import User

if TYPE_CHECKING:
    from bot.claims.crypto import IbanVault
    from bot.claims.identity import Identity
    from bot.claims.rules import ClaimsSettings
    from bot.core.notifier import Notifier
    from bot.meetings.quiet import QuietHoursPolicy
    from bot.meetings.settings import EventsSettings
    from bot.privacy import PrivacySettings
    from knowledge.places import Gazetteer, PlaceIndex


class Places:
    """Place data: the gazetteer at once, the fuzzy search index on first use (building it takes seconds)."""

    def __init__(self, gazetteer: Callable[[], Gazetteer], index: Callable[[], PlaceIndex]):
        self._load_gazetteer, self._load_index = gazetteer, index
        self._gazetteer: Gazetteer | None = None
        self._index: PlaceIndex | None = None

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = self._load_gazetteer()
        return self._gazetteer

    @property
    def index(self) -> PlaceIndex:
        if self._index is None:
            self._index = self._load_index()
        return self._index

    def resolve(self, text: str):
        return self.index.resolve(text)

    def get(self, place_id: str | None):
        return self.gazetteer.get(place_id) if place_id else None

    def name(self, place_id: str) -> str:
        place = self.get(place_id)
        return place.name if place is not None else place_id

    def label(self, place_id: str) -> str:
        place = self.get(place_id)
        return place.label if place is not None else place_id


class Meetings:
    """Round tables: their settings (checked at start) and the quiet-hours policy the outbox asks."""

    def __init__(self, settings: EventsSettings, places: Places):
        from bot.meetings.quiet import QuietHoursPolicy

        self.settings = settings
        self.places = places
        self.quiet_hours: QuietHoursPolicy = QuietHoursPolicy(settings)

    async def attended_on(self, session: AsyncSession, user: User, day: date) -> list[tuple[int, str]]:
        """Meetings on `day` the person said yes or maybe to, as (id, label): a claim can name the one it was for."""
        from bot.meetings import service

        return await service.attended_on(self.places, session, user, day)


class Claims:
    """Travel-cost claims: the rule book and payout settings (checked at start)."""

    def __init__(self, settings: ClaimsSettings, meetings: Meetings | None,
                 identity: Callable[[], Identity] | None = None):
        self.settings = settings
        self.meetings = meetings
        self._load_identity = identity
        self._identity: Identity | None = None

    @property
    def identity(self) -> Identity:
        """Who is the same person across accounts (bot.claims.identity); its key is derived on first use."""
        if self._identity is None:
            assert self._load_identity is not None
            self._identity = self._load_identity()
        return self._identity

    async def meetings_attended(self, session: AsyncSession, user: User, day: date) -> list[tuple[int, str]]:
        if self.meetings is None:
            return []
        return await self.meetings.attended_on(session, user, day)


class Privacy:
    """Retention periods, read by /datenschutz and enforced by the retention job from the same settings."""

    def __init__(self, settings: PrivacySettings):
        self.settings = settings


@dataclass(frozen=True)
class Services:
    places: Places
    meetings: Meetings
    claims: Claims
    vault: IbanVault
    privacy: Privacy
    notifier: Notifier
