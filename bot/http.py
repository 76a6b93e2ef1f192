"""The bot's own small HTTP server, for endpoints features register (the calendar feeds).

It runs on the bot's loop as a background job, and only when `bot.http_port` is set: a bot that serves nothing
over HTTP opens no port. Features call `add_route` from their `install(app)`; the server starts with the app.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

ROUTES = "http.routes"
Handler = Callable[["App", web.Request], Awaitable[web.StreamResponse]]


def add_route(app: App, method: str, path: str, handler: Handler) -> None:
    """Serve `handler(app, request)` at `path` (aiohttp syntax, e.g. "/calendar/{token}.ics")."""
    routes = app.services.setdefault(ROUTES, [])
    first = not routes
    routes.append((method, path, handler))
    if first and app.config.bot.http_port:
        app.jobs.append(serve)


def build(app: App) -> web.Application:
    server = web.Application()
    for method, path, handler in app.services.get(ROUTES, []):
        server.router.add_route(method, path, functools.partial(handler, app))
    return server


async def serve(app: App) -> None:
    runner = web.AppRunner(build(app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, app.config.bot.http_listen, app.config.bot.http_port)
    await site.start()
    log.info("HTTP endpoints on %s:%s", app.config.bot.http_listen, app.config.bot.http_port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
