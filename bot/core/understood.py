"""The free-text step of the core: one reading of the message (knowledge/understand.py), then the handler
registered for its intent.

The reading runs once per message, after the intents that look at the whole text first (a coordinator pasting
an announcement), and only in private chats: in a group the bot answers only what is addressed to it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.router import UnderstoodFn

if TYPE_CHECKING:
    from bot.core.context import Context


def read(ctx: Context):
    """The reading of the message, with the place index the app uses."""
    from knowledge.understand import understander_for

    return understander_for(ctx.services.places.index)(ctx.text)


async def warm_up(app) -> None:
    """Load the place index and the word lists right after the start rather than at the first free-text message
    (about a second of work, so the first person does not wait for it).  In the loop, not in a thread: a thread
    raced the first message, and both built the index at once (memory peak 20-30 MB higher in bench/places.py)."""
    from knowledge.understand import understander_for

    await asyncio.sleep(0)  # the start finishes first
    understander_for(app.services.places.index)("Hallo, wer ist in Hanau zuständig?")


async def dispatch(ctx: Context, handlers: dict[str, UnderstoodFn]) -> bool:
    """Answer by the intent of the message; False when nothing was understood (intent "none")."""
    reading = read(ctx)
    handler = handlers.get(reading.intent)
    if handler is None:
        return False
    await handler(ctx, reading)
    return True


async def menu_again(ctx: Context, *, number_only: bool = False) -> bool:
    """Show the choices on screen again when the message picks none of them: a number that is not on the
    menu, or (without ``number_only``) words that are neither a label nor anything else understood.  The menu
    stays, so the right number afterwards works."""
    from bot.core import buttons
    from bot.messages import Button

    text = ctx.text.strip().rstrip(".)")
    if number_only and not (text.isdigit() and len(text) <= 3):
        return False
    entries = await buttons.current_menu(ctx.session, ctx.platform, ctx.event.chat_id)
    if not entries:
        return False
    rows = [[Button(label=label, token=token)] for token, label in entries]
    if number_only:
        ctx.reply(ctx._("There is no choice {n}. Please answer with one of these numbers:", n=text), buttons=rows)
    else:
        ctx.reply(ctx._("I did not understand that. Please choose one of these, or ask something else:"),
                  buttons=rows)
    return True


@dataclass(frozen=True)
class Suspended:
    """A dialog that a command interrupted, as it was before the command ran."""

    name: str
    step: str
    updated_at: object

    @classmethod
    def of(cls, state) -> Suspended:
        return cls(state.name, state.step, state.updated_at)


async def offer_to_continue(ctx: Context, before: Suspended) -> None:
    """After a command in the middle of a dialog: offer to go on with the dialog, or say that the command's own
    dialog took its place.  A dialog is never dropped without a word."""
    from bot.core import dialogs

    _ = ctx._
    state = await dialogs.current(ctx.session, ctx.user)
    unchanged = state is not None and (state.name, state.step, state.updated_at) == (
        before.name, before.step, before.updated_at)
    if not unchanged:
        ctx.reply(_("The dialog you had open before was closed."))
        return
    ctx.dialog = state
    offers = ctx.app.router.resumers
    offer = _(offers[before.name][1]) if before.name in offers else _("Your previous dialog is still open – continue?")
    ctx.reply(offer, buttons=[[
        await ctx.button(_("Continue"), "dialog_continue", {"name": before.name}),
        await ctx.button(_("Cancel it"), "dialog_drop", {"name": before.name}),
    ]])
