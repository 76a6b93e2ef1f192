"""The bot's own small HTTP server, for the endpoints features declare (calendar feeds, /healthz, /metrics).

It runs on the bot's loop as a background job, and only when `bot.http_port` is set: a bot that serves nothing
over HTTP opens no port. Features list their routes in their `Feature`; `bot/wiring.py` hands them to the app.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.core.app import App

log = logging.getLogger(__name__)


def build(app: App) -> web.Application:
    server = web.Application()
    for method, path, handler in app.routes:
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
