"""Answers to plain words and sentences: "Hallo", "Danke", "abbrechen", "Termine in Esslingen", "Fahrtkosten".

People on phones rarely type a slash command.  The core reads every free-text message once
(knowledge/understand.py); the intents that mean a command run that command, the others get a short answer
here.  A dialog that a command interrupted is offered again afterwards (see bot/core/app.py).
"""

from __future__ import annotations

from bot.core import buttons, understood
from bot.core.context import Context
from bot.core.features import Feature
from bot.core.router import Router

ORDER = 90
router = Router()

#: Intents that mean a command as it is, without arguments.
AS_COMMAND = {
    "help": "hilfe", "privacy": "datenschutz", "my_data": "meinedaten", "delete_me": "loeschen",
    "claim": "fahrtkosten", "my_claims": "meineantraege",
}
#: The three things most people come for, offered after a greeting.
MAIN_THINGS = (("kontakt", "Find my contact"), ("termine", "Upcoming meetings"), ("fahrtkosten", "Claim travel costs"))


FEATURE = Feature(jobs=(understood.warm_up,))
"""The word lists load in the background: the first answers (a command, a menu choice) need not wait for them."""


async def run_command(ctx: Context, name: str, args: str = "") -> None:
    command = ctx.app.router.find_command(name)
    if command is None:
        return
    if command.private_only and ctx.is_group:
        await ctx.app.point_to_private(ctx)
        return
    ctx.args = args
    await command.fn(ctx, args)


@router.on_understood(*AS_COMMAND)
async def as_command(ctx: Context, reading) -> None:
    await run_command(ctx, AS_COMMAND[reading.intent])


@router.on_understood("greeting")
async def greeting(ctx: Context, reading) -> None:
    _ = ctx._
    rows = [[await ctx.button(_(label), "main_thing", {"cmd": name})] for name, label in MAIN_THINGS]
    ctx.reply(_("Hello! I help volunteers and coordinators in refugee and integration work. What would you like "
                "to do?"), buttons=rows)


@router.button("main_thing")
async def main_thing(ctx: Context, payload: dict) -> None:
    name = payload.get("cmd")
    if name not in {n for n, _label in MAIN_THINGS}:
        ctx.reply(ctx._("This button is not valid (any more). Nothing was done. Send /help to start again."))
        return
    await run_command(ctx, name)


@router.on_understood("thanks")
async def thanks(ctx: Context, reading) -> None:
    ctx.reply(ctx._("You're welcome! Just write whenever you need something."))


@router.on_understood("cancel")
async def cancel(ctx: Context, reading) -> None:
    """Outside a dialog: a question with choices on screen ("Do you really want me to delete ...?") is left
    unanswered; otherwise there is nothing to cancel, and the bot says so."""
    if await buttons.has_menu(ctx.session, ctx.platform, ctx.event.chat_id):
        await buttons.forget_menu(ctx.session, ctx.platform, ctx.event.chat_id)
        ctx.reply(ctx._("All right, I leave it there. Nothing was done."))
        return
    ctx.reply(ctx._("There is nothing to cancel."))


@router.on_understood("language")
async def language(ctx: Context, reading) -> None:
    text = reading.text.casefold()
    wanted = ""
    if any(word in text for word in ("englisch", "english")):
        wanted = "en"
    elif any(word in text for word in ("deutsch", "german")):
        wanted = "de"
    await run_command(ctx, "sprache", wanted)


def _place_name(reading) -> str:
    return reading.resolution.best.name if reading.resolution is not None and reading.place != "ambiguous" else ""


async def _which_place(ctx: Context, reading, action: str) -> bool:
    """Ask which place is meant when the name fits several; False when there is nothing to ask."""
    if reading.place != "ambiguous" or reading.resolution is None:
        return False
    rows = [[await ctx.button(c.place.label, action, {"place": c.place.id})]
            for c in reading.resolution.candidates[:8]]
    ctx.reply(ctx._("I know several places by that name. Which one do you mean?"), buttons=rows)
    return True


@router.on_understood("events")
async def events(ctx: Context, reading) -> None:
    if await _which_place(ctx, reading, "events_at"):
        return
    await run_command(ctx, "termine", _place_name(reading))


@router.button("events_at")
async def events_at(ctx: Context, payload: dict) -> None:
    place = ctx.services.places.gazetteer.get(str(payload.get("place", "")))
    if place is None:
        ctx.reply(ctx._("This button is not valid (any more). Nothing was done. Send /help to start again."))
        return
    await run_command(ctx, "termine", place.name)


@router.on_understood("subscribe")
async def subscribe(ctx: Context, reading) -> None:
    if await _which_place(ctx, reading, "sub_place"):
        return
    await run_command(ctx, "abonnieren", _place_name(reading))


@router.on_understood("unsubscribe")
async def unsubscribe(ctx: Context, reading) -> None:
    await run_command(ctx, "abbestellen", _place_name(reading))


@router.button("dialog_continue")
async def dialog_continue(ctx: Context, payload: dict) -> None:
    """Ask the open question of an interrupted dialog again."""
    if ctx.dialog is None or ctx.dialog.name != payload.get("name"):
        ctx.reply(ctx._("That dialog is no longer open. Nothing was done."))
        return
    resumer = ctx.app.router.resumers.get(ctx.dialog.name)
    if resumer is None:
        ctx.reply(ctx._("Please answer my last question above, or /cancel."))
        return
    await resumer[0](ctx)


@router.button("dialog_drop")
async def dialog_drop(ctx: Context, payload: dict) -> None:
    if ctx.dialog is None or ctx.dialog.name != payload.get("name"):
        ctx.reply(ctx._("That dialog is no longer open. Nothing was done."))
        return
    await ctx.end_dialog()
    ctx.reply(ctx._("Cancelled. Nothing from this dialog was saved."))
