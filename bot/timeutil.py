"""Time helpers: store UTC, show Europe/Berlin.

Every timestamp the bot keeps is timezone-aware; users in Germany read times in Berlin time, whatever the
server's own timezone is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def now() -> datetime:
    return datetime.now(UTC)


def local(dt: datetime) -> datetime:
    return dt.astimezone(BERLIN)
