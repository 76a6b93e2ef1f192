"""The Telegram webhook, answered only once the update is handled.

Telegram posts an update and sends it again until it gets a 2xx answer. python-telegram-bot's webhook server
answers 200 as soon as the update is queued, before it is handled, so an update in hand when the process dies is
gone. This listener answers 200 only after the handler's transaction has committed (the replies are stored in the
outbox by then); while the database is away, or the process is stopping, it answers 503 and Telegram delivers the
update again later. The seen-events table recognises an update that was handled but whose 200 got lost.

Updates are dispatched like polled ones: one chat's in order, different chats at the same time.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Update
from telegram.ext import BaseUpdateProcessor, ExtBot

from bot.platforms.base import DatabaseUnavailable

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(self, bot: ExtBot, handle: Callable[[Update], Awaitable[None]], processor: BaseUpdateProcessor,
                 *, listen: str, port: int, path: str, secret: str):
        self.bot = bot
        self.handle = handle
        self.processor = processor
        self.listen, self.port, self.secret = listen, port, secret
        self.path = "/" + path.strip("/")
        self._runner: web.AppRunner | None = None
        self._stopping = False

    async def start(self) -> None:
        server = web.Application()
        server.router.add_post(self.path, self._post)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()

    async def stop(self) -> None:
        self._stopping = True
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not self.secret or not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403)
        if self._stopping:
            return web.Response(status=503)
        try:
            update = Update.de_json(json.loads(await request.read()), self.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        try:
            await self.processor.process_update(update, self.handle(update))
        except DatabaseUnavailable:
            return web.Response(status=503)  # not stored: Telegram sends it again
        except Exception:
            # The update holds personal data: log only that handling failed. A bug would fail again on every
            # delivery, so the update counts as handled (the person got the apology).
            log.exception("handling a Telegram update failed")
        return web.Response(status=200)
