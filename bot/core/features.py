"""What a feature brings besides its chat commands, declared in one place per feature (`FEATURE` in its handler
module) and put together by `bot/wiring.py`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.core.app import App

Job = Callable[["App"], Awaitable[None]]
RouteHandler = Callable[["App", web.Request], Awaitable[web.StreamResponse]]
Route = tuple[str, str, RouteHandler]
"""(method, path in aiohttp syntax such as "/calendar/{token}.ics", handler(app, request))."""


@dataclass(frozen=True)
class Feature:
    jobs: tuple[Job, ...] = ()
    """Background jobs that run as long as the app (restarted when they fail)."""
    on_start: tuple[Job, ...] = ()
    """One-off tasks before the platforms start (e.g. loading the shipped directory on first start)."""
    routes: tuple[Route, ...] = ()
    """HTTP endpoints, served only when `bot.http_port` is set."""
