"""The free-text step of the core: one reading of the message (knowledge/understand.py), then the handler
registered for its intent.

The reading runs once per message, after the intents that look at the whole text first (a coordinator pasting
an announcement), and only in private chats: in a group the bot answers only what is addressed to it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.router import UnderstoodFn

if TYPE_CHECKING:
    from bot.context import Context


def read(ctx: Context):
    """The reading of the message, with the place index the app uses."""
    from knowledge.understand import understander_for

    return understander_for(ctx.app.places)(ctx.text)


async def warm_up(app) -> None:
    """Load the word lists at start, not at the first message (takes a few seconds)."""
    from knowledge.understand import understander_for

    await asyncio.to_thread(understander_for, app.places)


async def dispatch(ctx: Context, handlers: dict[str, UnderstoodFn]) -> bool:
    """Answer by the intent of the message; False when nothing was understood (intent "none")."""
    reading = read(ctx)
    handler = handlers.get(reading.intent)
    if handler is None:
        return False
    await handler(ctx, reading)
    return True
