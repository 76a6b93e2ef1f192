"""What a feature brings besides its chat commands, declared in one place per feature (`FEATURE` in its handler
module) and put together by `bot/wiring.py`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from bot.core.app import App
    from bot.privacy_export import Reader, Section
    from bot.storage.models import User

Job = Callable[["App"], Awaitable[None]]
RouteHandler = Callable[["App", web.Request], Awaitable[web.StreamResponse]]
Route = tuple[str, str, RouteHandler]
"""(method, path in aiohttp syntax such as "/calendar/{token}.ics", handler(app, request))."""
PrivacySection = tuple[str, Callable[["Reader"], Awaitable["Section | None"]]]
"""(the table the section covers, builder(reader) -> a /meinedaten section or None when there is nothing)."""
Eraser = Callable[[AsyncSession, "User", frozenset[str]], Awaitable[Any]]
"""erase(session, person, choices) -> what the person is told about it (or None); `choices` are what they picked
when confirming /loeschen, e.g. "hand_over_entries"."""
Retention = Callable[["App", AsyncSession, datetime], Awaitable[dict[str, int]]]
"""retention(app, session, now) -> how many rows of each kind went."""


@dataclass(frozen=True)
class Feature:
    jobs: tuple[Job, ...] = ()
    """Background jobs that run as long as the app (restarted when they fail)."""
    on_start: tuple[Job, ...] = ()
    """One-off tasks before the platforms start (e.g. loading the shipped directory on first start)."""
    routes: tuple[Route, ...] = ()
    """HTTP endpoints, served only when `bot.http_port` is set."""
    privacy_sections: tuple[PrivacySection, ...] = ()
    """Its sections of /meinedaten, in the person's words. A table with a foreign key to users.id that no section
    covers is still exported, with its raw columns (bot/privacy.py walks them all)."""
    erase: tuple[Eraser, ...] = ()
    """What /loeschen does to its records before the generic walk, which then deletes or detaches every row that
    still links to the person (so a record needing more than that, like an accounting record, says so here)."""
    retention: tuple[Retention, ...] = ()
    """What the daily retention job deletes of its records once they have outlived their purpose."""
