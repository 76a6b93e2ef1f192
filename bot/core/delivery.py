"""The errors an adapter reports when sending fails; the outbox decides from them when to try again."""

from __future__ import annotations


class DeliveryError(Exception):
    """Sending failed for a reason that may pass (network, server error); try again later."""


class RetryLater(DeliveryError):
    """The platform asked to slow down (Telegram 429, Matrix M_LIMIT_EXCEEDED)."""

    def __init__(self, seconds: float, message: str = "rate limited"):
        super().__init__(message)
        self.seconds = seconds


class PermanentDeliveryError(DeliveryError):
    """The chat cannot be reached any more (bot blocked, room left); retrying will not help."""


class DatabaseUnavailable(Exception):
    """The database could not be reached; what was being done can be done again once it is back (an incoming
    message stays unconfirmed to its platform and is handled then)."""
