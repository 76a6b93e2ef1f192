"""The outbox rows this process has out, and the answers it sends straight after handling.

Rows are leased for a short time only (`outbox.LEASE`) and renewed every few seconds while this process holds
them, so the rows of a killed process come back to the queue within seconds of its death instead of minutes,
while a slow send of a living process keeps its rows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core import outbox
from bot.core.outage import is_outage
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.core.app import App

log = logging.getLogger(__name__)

RENEW_EVERY = 3.0


class Leases:
    def __init__(self, app: App):
        self.app = app
        self.held: set[int] = set()
        self.finished: set[int] = set()
        """Answers that went out and whose rows are still to be removed (also while the database is away)."""
        self._finisher: asyncio.Task | None = None

    def hold(self, ids: Sequence[int]) -> None:
        self.held.update(ids)

    def finish(self, ids: Sequence[int]) -> None:
        """Answers that went out: their rows are removed by one statement for all answers sent meanwhile (under
        load that is one commit for many answers instead of one each), right away and without making the sender
        wait."""
        self.finished.update(ids)
        if self._finisher is None or self._finisher.done():
            self._finisher = asyncio.create_task(self._finish_all(), name="outbox-finish-answers")

    async def _finish_all(self) -> None:
        while self.finished and not self.app.outage.down:
            done = list(self.finished)
            try:
                async with self.app.db.session() as session:
                    await outbox.finish_reply(session, done)
                    await session.commit()
            except Exception as exc:
                if not is_outage(exc):
                    log.exception("could not remove the rows of sent answers")
                    return  # the rows stay leased and are retried by `run`
                self.app.outage.failed("sending answers")
                return
            self.finished.difference_update(done)
            self.held.difference_update(done)

    async def drain(self) -> None:
        """On stop: the rows of answers that went out are removed before the database is closed."""
        if self._finisher is not None:
            await asyncio.gather(self._finisher, return_exceptions=True)
        if self.finished:
            try:
                await self.flush()
            except Exception as exc:
                if not is_outage(exc):
                    raise

    def release(self, ids: Sequence[int]) -> None:
        self.held.difference_update(ids)

    async def flush(self) -> None:
        """Remove the rows of answers sent meanwhile and renew the leases still held; raises on an outage."""
        async with self.app.db.session() as session:
            if self.finished:
                done = list(self.finished)
                await outbox.finish_reply(session, done)
            else:
                done = []
            if self.held:
                await outbox.renew(session, list(self.held))
            await session.commit()
        self.finished.difference_update(done)
        self.held.difference_update(done)

    async def run(self) -> None:
        attempt = 0
        while True:
            await asyncio.sleep(RENEW_EVERY if not self.app.outage.down else self.app.outage.wait_seconds(attempt))
            if not self.held and not self.finished:
                continue
            try:
                await self.flush()
                attempt = 0
                self.app.outage.ok()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_outage(exc):
                    log.exception("could not renew the outbox leases")
                    continue
                self.app.outage.failed("the outbox leases")
                attempt += 1


@dataclass
class Answer:
    """The replies to one event, each already an outbox row leased to this process (`rows`, same order; empty
    when nothing was stored, e.g. the apology after a handler failed). The adapter sends the replies and reports
    each outcome here; a reply it never reports goes out through the outbox when its lease runs out."""

    replies: list[Reply]
    rows: list[int] = field(default_factory=list)
    app: App | None = None

    async def _change(self, ids: list[int], action) -> None:
        if not ids or self.app is None:
            return
        app = self.app
        try:
            async with app.db.session() as session:
                await action(session, ids)
                await session.commit()
        except Exception as exc:
            if not is_outage(exc):
                raise
            app.outage.failed("sending answers")
            return  # the lease runs out and the worker takes the rows, as after a crash
        app.leases.release(ids)

    def _ids(self, start: int, end: int | None = None) -> list[int]:
        return self.rows[start:end if end is not None else len(self.rows)]

    async def sent(self, index: int) -> None:
        if self.app is not None:
            self.app.leases.finish(self._ids(index, index + 1))

    async def failed(self, index: int, reason: str, *, rest: bool = False) -> None:
        """A reply the platform refused for good (and, with `rest`, the ones after it)."""
        ids = self._ids(index) if rest else self._ids(index, index + 1)
        await self._change(ids, lambda session, ids: outbox.fail_replies(session, ids, reason))

    async def defer(self, index: int, *, delay: float, reason: str) -> None:
        """This reply and the ones after it wait for the outbox worker."""
        await self._change(self._ids(index),
                           lambda session, ids: outbox.release_replies(session, ids, delay=delay, reason=reason))
