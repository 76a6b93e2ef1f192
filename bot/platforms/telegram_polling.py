"""getUpdates in the bot's own hands: an update is confirmed to Telegram only once it has been handled.

Telegram keeps every update until a getUpdates call asks for a higher offset. python-telegram-bot's updater asks
for the next offset as soon as it has fetched a batch, before the handlers have run, so an update in hand when the
process dies is never sent again. Here the offset moves only past updates whose handling has finished (its
transaction committed, its replies stored in the outbox); an update still being handled, or waiting for the
database to come back, keeps the offset where it is, and Telegram sends it again after a crash. The seen-events
table recognises what was handled already, so nothing is answered twice.

Updates are dispatched as before: one chat's updates in order, different chats at the same time
(`telegram_inbound.ChatOrderedProcessor`). At most `MAX_OPEN` updates are held in memory; beyond that the poller
stops fetching until some are done, and Telegram keeps the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence

from telegram import Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import BaseUpdateProcessor, ExtBot
from telegram.warnings import PTBUserWarning

log = logging.getLogger(__name__)

# getUpdates is called as plain JSON on purpose (see `Poller._fetch`); PTB suggests its own method for it.
warnings.filterwarnings("ignore", message=r".*Bot\.getUpdates.*do_api_request", category=PTBUserWarning)

POLL_TIMEOUT = 10
"""Seconds a long poll waits for news on Telegram's side."""
MAX_OPEN = 1000
PROGRESS_WAIT = 0.25
"""When Telegram hands back only updates still being handled, the next poll waits this long for one to finish."""
BUSY_POLL_INTERVAL = 0.05
READ_TIMEOUT = 15.0
LONGEST_ERROR_WAIT = 30.0


class Poller:
    def __init__(self, bot: ExtBot, handle: Callable[[Update], Awaitable[None]], processor: BaseUpdateProcessor, *,
                 allowed_updates: Sequence[str]):
        self.bot = bot
        self.handle = handle
        self.processor = processor
        self.allowed_updates = list(allowed_updates)
        self.offset: int | None = None
        """The lowest update id Telegram must still keep; everything below it is confirmed with the next call."""
        self._open: dict[int, bool] = {}
        """Fetched, not yet confirmed: update id -> handled."""
        self._progress = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._stopping = False
        self._failing_since: float | None = None

    def _confirmable(self) -> int | None:
        """Move the offset past the handled updates at the front; an unfinished one stops it."""
        for update_id in sorted(self._open):
            if not self._open[update_id]:
                break
            del self._open[update_id]
            self.offset = update_id + 1
        return self.offset

    async def run(self) -> None:
        errors = 0
        while not self._stopping:
            if len(self._open) >= MAX_OPEN:
                await self._wait_for_progress(PROGRESS_WAIT)
                self._confirmable()
                continue
            busy = any(not done for done in self._open.values())
            try:
                raw = await self._fetch(0 if busy else POLL_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                log.error("Telegram no longer accepts the bot token; polling stops")
                raise
            except (Conflict, TelegramError) as exc:
                errors += 1
                self._log_failure(exc, errors)
                await asyncio.sleep(min(LONGEST_ERROR_WAIT, 0.5 * 2 ** min(errors, 8)))
                continue
            if errors:
                log.warning("Telegram: getUpdates works again after %d failed attempts", errors)
                errors = 0
            # Updates in hand come back with every poll until they are confirmed; only new ones are parsed.
            fresh = [Update.de_json(u, self.bot) for u in raw if u["update_id"] not in self._open
                     and (self.offset is None or u["update_id"] >= self.offset)]
            for update in fresh:
                self._open[update.update_id] = False
                task = asyncio.create_task(self._process(update), name=f"telegram-update-{update.update_id}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if busy:
                # While updates are being handled the offset cannot move past them and Telegram answers at once
                # (no long poll), so polls are spaced out; with nothing new, the next waits for one to finish.
                await asyncio.sleep(BUSY_POLL_INTERVAL)
                if not fresh:
                    await self._wait_for_progress(PROGRESS_WAIT)

    async def _fetch(self, timeout: int) -> list[dict]:  # noqa: ASYNC109 (the long poll on Telegram's side)
        """getUpdates as plain JSON (PTB's `get_updates` would build objects for every update still in hand)."""
        kwargs: dict = {"limit": 100, "timeout": timeout, "allowed_updates": self.allowed_updates}
        offset = self._confirmable()
        if offset is not None:
            kwargs["offset"] = offset
        result = await self.bot.do_api_request("getUpdates", api_kwargs=kwargs, read_timeout=READ_TIMEOUT + timeout)
        return list(result or [])

    def _log_failure(self, exc: TelegramError, errors: int) -> None:
        if errors == 1 or errors % 100 == 0:
            log.warning("Telegram: getUpdates failed (%s); trying again with growing waits", exc.message)

    async def _wait_for_progress(self, timeout: float) -> None:  # noqa: ASYNC109
        self._progress.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._progress.wait(), timeout)

    async def _process(self, update: Update) -> None:
        try:
            await self.processor.process_update(update, self.handle(update))
        except asyncio.CancelledError:
            raise
        except Exception:
            # The update holds personal data: log only that handling failed. It counts as handled: a bug
            # would fail again on every delivery.
            log.exception("handling a Telegram update failed")
        self._open[update.update_id] = True
        self._progress.set()

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Stop fetching, let the updates in hand finish (for up to `timeout`), and confirm the handled ones."""
        self._stopping = True
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        before = self.offset
        offset = self._confirmable()
        if offset is not None and offset != before:
            with contextlib.suppress(TelegramError):
                await self.bot.get_updates(offset=offset, limit=1, timeout=0, allowed_updates=self.allowed_updates)
