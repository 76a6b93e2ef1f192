"""What every platform adapter offers the core, and the errors it reports when sending fails."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from bot.core.delivery import DatabaseUnavailable, DeliveryError, PermanentDeliveryError, RetryLater
from bot.messages import Event, Reply

__all__ = ["Adapter", "Core", "DatabaseUnavailable", "DeliveryError", "PermanentDeliveryError", "RetryLater"]

if TYPE_CHECKING:
    from bot.core.leases import Answer
    from bot.core.router import Command
    from bot.metrics import Metrics


class Core(Protocol):
    """All an adapter may ask of the core (`bot.core.app.App` is the one implementation). Adapters reach storage,
    the outbox and the users only through this."""

    metrics: Metrics

    @property
    def serial(self) -> bool:
        """True when the database takes one writer at a time (SQLite): handle one event after the other."""
        ...

    async def handle(self, event: Event) -> list[Reply]:
        """Handle one event; the replies are for the chat it came from."""
        ...

    async def answer(self, event: Event) -> Answer:
        """Handle one event and store its replies in the same transaction, leased to this process; the adapter
        sends them and reports each outcome to the `Answer`. Once this returns, the event may be confirmed to the
        platform. Raises `DatabaseUnavailable` when the database is away (then nothing is stored)."""
        ...

    async def defer(self, platform: str, chat_id: str, replies: Sequence[Reply], *, delay: float, reason: str,
                    sender_id: str | None = None) -> None:
        """Replies the platform would not take right now: the outbox sends them later, in order, before anything
        newer for that chat. With `sender_id` (a private chat) the rows belong to that person."""
        ...

    async def language_of(self, platform: str, *, sender_id: str | None = None, chat_id: str | None = None,
                          fallback: str | None = None) -> str:
        """The language of the person with that id (or private chat), else `fallback`, else the default."""
        ...

    def within_rate_limit(self, platform: str, sender_id: str) -> bool:
        """Count something a person caused that never reaches `handle` (an event the adapter cannot decrypt)
        against their rate limit; False once they are over it."""
        ...

    def commands(self) -> list[Command]:
        """The chat commands in menu order."""
        ...

    def set_bot_username(self, platform: str, username: str) -> None:
        """So "/hilfe@helferbot" in a group is read as /hilfe."""
        ...

    async def settle(self, platform: str, within: float) -> None:
        """Wait (at most `within` seconds) until the pushes to `platform` that are due now have gone out."""
        ...


class Adapter(Protocol):
    name: str
    native_buttons: bool
    """False where choices are offered as numbered options (Matrix, console)."""
    rate_per_second: float
    """How many pushes per second the outbox worker may hand this adapter."""

    async def start(self, core: Core) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, chat_id: str, reply: Reply, *, idempotency_key: str | None = None) -> str:
        """Send one reply; returns the platform's message id. Raises a DeliveryError subclass on failure."""
        ...

    def private_link(self, payload: str = "") -> str | None:
        """A link that opens the private chat with the bot, where the platform has one."""
        ...
