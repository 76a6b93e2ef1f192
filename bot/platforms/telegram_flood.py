"""Flood control for the Bot API: at most N messages a second overall and M a minute per group.

Telegram counts the messages a bot sent in the last second (about 30 overall) and the last minute (20 per
group) and answers a bot above that with 429 and a `retry_after`. PTB's AIORateLimiter uses leaky buckets that
let a full bucket burst and then refill, so a group can receive nearly twice its allowance within one minute,
and it retries a flooded request inside the call, while the outbox wants the error so that it can put the row
back with a time. This limiter counts sends in sliding windows, as Telegram does, and after a 429 holds back
every send to that group (group floods are per chat) or every send at all (a private chat's 429 means the bot
as a whole was too fast) until the retry_after has passed.

Telegram stamps a message somewhere between the moment the bot sent the request and the moment the answer came
back, and that delay varies. So a send holds its place in the window from its start until one full period
after its answer: then no window Telegram could count holds more than the limit, however the delay varies.

Only messages count: sends, edits, copies and forwards. Button answers, file downloads and the command menu go
straight through.
"""

from __future__ import annotations

import asyncio
import math
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

EVERYONE = "all"
POLL = 0.02
"""How often to look again while every place in a window is held by a request still under way."""


def retry_seconds(exc: RetryAfter) -> float:
    """retry_after in seconds, whether PTB reports it as int or as timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class SlidingWindow:
    """At most `count` sends in any `period` seconds, a send counting from its start to `period` after its end."""

    def __init__(self, count: int, period: float):
        self.count = count
        self.period = period
        self.running = 0
        self.ended: deque[float] = deque()

    @classmethod
    def for_rate(cls, rate: float, unit: float) -> SlidingWindow:
        """`rate` sends per `unit` seconds; below one per unit the window widens to hold one send."""
        period = max(unit, unit / rate)
        return cls(max(1, math.floor(rate * period / unit)), period)

    def wait(self, t: float) -> float:
        while self.ended and self.ended[0] <= t - self.period:
            self.ended.popleft()
        if self.running + len(self.ended) < self.count:
            return 0.0
        return self.ended[0] + self.period - t if self.ended else POLL

    def begin(self) -> None:
        self.running += 1

    def end(self, t: float) -> None:
        self.running -= 1
        self.ended.append(t)

    @property
    def idle(self) -> bool:
        return not self.running and not self.ended


def is_message(endpoint: str) -> bool:
    return endpoint.startswith(("send", "edit", "copy", "forward")) and endpoint != "sendChatAction"


def chat_of(data: dict[str, Any]) -> int | None:
    try:
        return int(data.get("chat_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class FloodControl(BaseRateLimiter[dict]):
    """PTB rate limiter; per call `rate_limit_args={"max_wait": s}` makes a send that would have to wait longer
    than `s` raise RetryAfter at once instead (the outbox worker must not sit on one row for a minute)."""

    def __init__(self, per_second: float, group_per_minute: float):
        self.overall = SlidingWindow.for_rate(per_second, 1.0)
        self.group_per_minute = group_per_minute
        self.groups: dict[int, SlidingWindow] = {}
        self.held_until: dict[int | str, float] = {}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def hold(self, chat_id: int | None, seconds: float) -> None:
        """Telegram said "retry after `seconds`": nothing more goes to that group, or to anyone, until then."""
        key: int | str = chat_id if chat_id is not None and chat_id < 0 else EVERYONE
        until = asyncio.get_running_loop().time() + seconds
        self.held_until[key] = max(until, self.held_until.get(key, 0.0))

    def _group(self, chat_id: int | None) -> SlidingWindow | None:
        if chat_id is None or chat_id >= 0:
            return None
        window = self.groups.get(chat_id)
        if window is None:
            if len(self.groups) > 1000:
                self._forget_quiet_groups()
            window = self.groups[chat_id] = SlidingWindow.for_rate(self.group_per_minute, 60.0)
        return window

    def _forget_quiet_groups(self) -> None:
        t = asyncio.get_running_loop().time()
        for key, window in list(self.groups.items()):
            window.wait(t)
            if window.idle:
                del self.groups[key]
        for key, until in list(self.held_until.items()):
            if until <= t:
                del self.held_until[key]

    async def turn(self, chat_id: int | None, max_wait: float | None = None) -> SlidingWindow | None:
        """Wait until one more message to `chat_id` stays within every limit and count it as under way;
        returns the group's window (or None), to be passed to `done` when the answer is in."""
        loop = asyncio.get_running_loop()
        group = self._group(chat_id)
        while True:
            t = loop.time()
            held = max(self.held_until.get(EVERYONE, 0.0), self.held_until.get(chat_id, 0.0) if group else 0.0)
            wait = max(held - t, self.overall.wait(t), group.wait(t) if group else 0.0)
            if wait <= 0:
                self.overall.begin()
                if group is not None:
                    group.begin()
                return group
            if max_wait is not None and wait > max_wait:
                raise RetryAfter(timedelta(seconds=math.ceil(wait)))
            await asyncio.sleep(wait)

    def done(self, group: SlidingWindow | None) -> None:
        t = asyncio.get_running_loop().time()
        self.overall.end(t)
        if group is not None:
            group.end(t)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if not is_message(endpoint):
            return await callback(*args, **kwargs)
        chat_id = chat_of(data)
        group = await self.turn(chat_id, (rate_limit_args or {}).get("max_wait"))
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            self.hold(chat_id, retry_seconds(exc))
            raise
        finally:
            self.done(group)
