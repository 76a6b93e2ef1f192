"""Telling a database that is away from a bug, and saying so once instead of with a traceback per attempt.

While PostgreSQL restarts or the network to it is cut, every loop of the bot fails on every attempt. A handler
bug deserves its traceback and the apology; an outage does not: the messages wait and are answered when the
database is back, the loops back off, and the log gets one line when the outage starts and one when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.core.delivery import DatabaseUnavailable

__all__ = ["DatabaseUnavailable", "Outage", "is_outage"]

log = logging.getLogger(__name__)

CONNECTION_WORDS = re.compile(r"connect|closed|terminat|reset|refused|timeout|timed out|unable to open|shutdown|"
                              r"starting up|too many clients|network", re.IGNORECASE)
LONGEST_WAIT = 5.0
"""The longest a loop waits between attempts while the database is away."""


def is_outage(exc: BaseException) -> bool:
    """True for "cannot reach the database" (refused, reset, closed connection, pool exhausted by dead
    connections), false for an error a statement itself caused (a bug, a constraint)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DatabaseUnavailable | PoolTimeout | ConnectionError):
            return True
        if isinstance(current, InterfaceError):
            return True
        if isinstance(current, OperationalError) and CONNECTION_WORDS.search(str(current.orig or current)):
            return True  # not "no such table" or "deadlock detected": those are statements failing
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, OSError) and not isinstance(current, FileNotFoundError | PermissionError):
            return True
        name = type(current).__name__
        if name in ("ConnectionDoesNotExistError", "InterfaceError", "CannotConnectNowError",
                    "ConnectionFailureError", "InternalClientError"):
            return True
        current = current.__cause__ or current.__context__
    return False


class Outage:
    """The process's view of the database: up, or down since when. One line in the log when it goes away and one
    when it is back; `/healthz` and the metrics read it."""

    def __init__(self, on_change=None) -> None:
        self.since: float | None = None
        self.count = 0
        self._on_change = on_change

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, where: str) -> None:
        if self.since is None:
            self.since = time.monotonic()
            self.count += 1
            log.warning("the database is unreachable (noticed by %s); waiting for it, messages are kept", where)
            if self._on_change:
                self._on_change(True)

    def ok(self) -> None:
        if self.since is not None:
            lasted = time.monotonic() - self.since
            self.since = None
            log.warning("the database is back after %.1f s", lasted)
            if self._on_change:
                self._on_change(False)

    def wait_seconds(self, attempt: int) -> float:
        """Back-off between attempts during an outage: 0.25 s doubling up to LONGEST_WAIT."""
        return min(LONGEST_WAIT, 0.25 * 2 ** min(attempt, 10))

    async def pause(self, attempt: int) -> None:
        await asyncio.sleep(self.wait_seconds(attempt))
