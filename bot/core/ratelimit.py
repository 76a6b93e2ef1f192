"""Per-person rate limit, checked before anything touches the database.

A sliding window in memory per (platform, sender) is enough: one bot process serves a town or a district, and a
restart forgetting the window only gives a flooder one more minute. Over the limit the person is told once, in
a private chat, that the bot is pausing for them; after that their events are dropped without an answer and
without a database write until the window has room again, so a flood costs neither the database nor the
platform's sending quota.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter

from bot.i18n import Translator, normalise_language
from bot.messages import ButtonPress, Event, Reply

LOCAL_PLATFORM = "console"
WINDOW = 60.0


class SlidingWindow:
    """At most `limit` events per `window` seconds for each key; a limit of 0 or less switches it off."""

    def __init__(self, limit: int, window: float = WINDOW, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[tuple[str, str], deque[float]] = {}
        self._warned: set[tuple[str, str]] = set()

    def hit(self, key: tuple[str, str]) -> str:
        """Record one event: "ok", "warn" (the first one over the limit) or "drop"."""
        if self.limit <= 0:
            return "ok"
        t = self.clock()
        if len(self._events) > 10_000:
            self.forget_idle()
        stamps = self._events.setdefault(key, deque())
        while stamps and stamps[0] <= t - self.window:
            stamps.popleft()
        if len(stamps) < self.limit:
            stamps.append(t)
            self._warned.discard(key)
            return "ok"
        if key in self._warned:
            return "drop"
        self._warned.add(key)
        return "warn"

    def forget_idle(self) -> None:
        """Drop the windows of people who have been quiet for a whole window, so memory stays bounded."""
        t = self.clock()
        for key in [k for k, s in self._events.items() if not s or s[-1] <= t - self.window]:
            self._events.pop(key, None)
            self._warned.discard(key)


BUTTON_FACTOR = 3
"""Button presses get a larger allowance than typed messages: tapping through a claim's menus is quick, and a
press only does something with a token the bot itself handed to that person."""


class UserLimits:
    """One window for typed messages and a larger one for button presses, per app, with the counter of drops."""

    def __init__(self, limit: int, default_language: str, registry: CollectorRegistry):
        self.default_language = default_language
        self.windows = {"message": SlidingWindow(limit), "button": SlidingWindow(limit * BUTTON_FACTOR)}
        self.dropped = Counter("helferbot_rate_limited", "Events dropped by the per-person rate limit", ["platform"],
                               registry=registry)

    def check(self, event: Event) -> list[Reply] | None:
        """Count the event against its sender's window.

        None: handle the event. A list: answer with it (maybe empty) instead of handling the event. The console is
        the person at the machine the bot runs on (or a script they wrote), never a stranger, so it is not counted."""
        if event.platform == LOCAL_PLATFORM:
            return None
        window = self.windows["button" if isinstance(event, ButtonPress) else "message"]
        verdict = window.hit((event.platform, event.sender_id))
        if verdict == "ok":
            return None
        self.dropped.labels(event.platform).inc()
        if verdict == "drop" or event.is_group:
            return []
        t = Translator(normalise_language(event.language, self.default_language))
        return [Reply(t.gettext("You are sending me a lot of messages at once. I am taking a short break from you: "
                                "please wait a minute and then send your message again."))]
