"""A dialog as a table of steps: each step asks its question, and a step answered by typing has a taker.

The claim dialog, the directory-entry dialog and the meeting draft share it, so moving between steps, reading the
dialog's data and refusing a button from an earlier question work the same everywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.core.context import Context

Asker = Callable[[Context], Awaitable[None]]
Taker = Callable[[Context, str], Awaitable[None]]


class Steps:
    def __init__(self, name: str, askers: Mapping[str, Asker] | None = None,
                 takers: Mapping[str, Taker] | None = None):
        self.name = name
        self.askers: dict[str, Asker] = dict(askers or {})
        self.takers: dict[str, Taker] = dict(takers or {})

    def open(self, ctx: Context) -> bool:
        """Whether this dialog is the one open in this chat."""
        return ctx.dialog is not None and ctx.dialog.name == self.name

    def step(self, ctx: Context) -> str:
        assert ctx.dialog is not None
        return ctx.dialog.step

    def data(self, ctx: Context) -> dict[str, Any]:
        assert ctx.dialog is not None
        return ctx.dialog.data

    async def start(self, ctx: Context, step: str, data: dict[str, Any] | None = None, *, ask: bool = True) -> None:
        await ctx.start_dialog(self.name, step, data or {})
        if ask:
            await self.ask(ctx, step)

    async def ask(self, ctx: Context, step: str) -> None:
        await self.askers[step](ctx)

    async def goto(self, ctx: Context, step: str, **data: Any) -> None:
        """Save `data`, move to `step` and ask its question."""
        await ctx.update_dialog(step, **data)
        await self.ask(ctx, step)

    async def save(self, ctx: Context, step: str, **data: Any) -> None:
        """Save `data` and move to `step` without asking (the caller answers)."""
        await ctx.update_dialog(step, **data)

    async def in_step(self, ctx: Context, payload: dict) -> bool:
        """A dialog button is valid only in the step that showed it; an old one does nothing and says so."""
        if not self.open(ctx) or self.step(ctx) != payload.get("step"):
            ctx.reply(ctx._("This button belongs to an earlier question. Nothing was done."))
            return False
        return True

    def taker(self, ctx: Context) -> Taker | None:
        return self.takers.get(self.step(ctx))
