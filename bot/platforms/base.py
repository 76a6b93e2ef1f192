"""What every platform adapter offers the core, and the errors it reports when sending fails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.messages import Reply

if TYPE_CHECKING:
    from bot.app import App


class DeliveryError(Exception):
    """Sending failed for a reason that may pass (network, server error); try again later."""


class RetryLater(DeliveryError):
    """The platform asked to slow down (Telegram 429, Matrix M_LIMIT_EXCEEDED)."""

    def __init__(self, seconds: float, message: str = "rate limited"):
        super().__init__(message)
        self.seconds = seconds


class PermanentDeliveryError(DeliveryError):
    """The chat cannot be reached any more (bot blocked, room left); retrying will not help."""


class Adapter(Protocol):
    name: str
    native_buttons: bool
    """False where choices are offered as numbered options (Matrix, console)."""
    rate_per_second: float
    """How many pushes per second the outbox worker may hand this adapter."""

    async def start(self, app: App) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, chat_id: str, reply: Reply, *, idempotency_key: str | None = None) -> str:
        """Send one reply; returns the platform's message id. Raises a DeliveryError subclass on failure."""
        ...

    def private_link(self, payload: str = "") -> str | None:
        """A link that opens the private chat with the bot, where the platform has one."""
        ...
