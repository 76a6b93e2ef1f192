"""Names next to a "yes" and the organiser's message to everyone coming.

After a first "yes" or "maybe" a person is asked once whether organisers may see a name, and which; the
organiser's list of answers shows those names and a count of the others, and offers to write to everyone
who said yes (through the outbox, in quiet hours held back like any push).
"""

from __future__ import annotations

from bot import roles
from bot.core.context import Context
from bot.core.router import Router
from bot.core.steps import Steps
from bot.meetings import people, render, series
from bot.storage.models_meetings import Meeting
from handlers.meetings import event_id

ORDER = 47
router = Router()
NAME_DIALOG, MESSAGE_DIALOG = "event_name", "event_message"
NAME_STEPS, MESSAGE_STEPS = Steps(NAME_DIALOG), Steps(MESSAGE_DIALOG)
MESSAGE_LIMIT = 2000


async def offer_name(ctx: Context, answer: str) -> tuple[str, list]:
    """Ask once, in the private chat, which name organisers may see next to the answer: the question's text
    and button, to go into the same message as the thanks for the answer."""
    if answer == "no" or ctx.is_group or not await people.should_ask_name(ctx.session, ctx.user):
        return "", []
    await NAME_STEPS.start(ctx, "name", {}, ask=False)
    return ("\n\n" + ctx._("May the organisers see who is coming? Write the name they should see (e.g. \"Anna, "
                            "Helferkreis Hahn\"), or choose \"No name\". I ask only once."),
            [[await ctx.button(ctx._("No name"), "event_name_none", {})]])


@router.dialog(NAME_DIALOG)
async def name_given(ctx: Context) -> None:
    _ = ctx._
    name = " ".join(ctx.text.split())
    if not name or not any(c.isalnum() for c in name):
        ctx.reply(_("Please write a name, or choose \"No name\"."))
        return
    if len(name) > people.NAME_LIMIT:
        ctx.reply(_("That is too long for a name ({length} characters); please keep it to {limit}.",
                    length=len(name), limit=people.NAME_LIMIT))
        return
    await people.share_name(ctx.session, ctx.user, name)
    await ctx.end_dialog()
    ctx.reply(_("Thank you. Organisers see you as \"{name}\" next to your answers.", name=name))


@router.button("event_name_none")
async def no_name(ctx: Context, payload: dict) -> None:
    await people.share_name(ctx.session, ctx.user, "")
    if NAME_STEPS.open(ctx):
        await ctx.end_dialog()
    ctx.reply(ctx._("All right: organisers only see how many people answered."), edit=True)


async def coming_lines(ctx: Context, event: Meeting, key=None) -> tuple[list[str], list]:
    """For the organiser: the names of those who said yes, and a button to write to them."""
    _ = ctx._
    yes = await people.yes_sayers(ctx.session, event, key)
    if not yes:
        return [], []
    shown, unnamed = await people.names(ctx.session, yes)
    parts = shown + ([ctx.ngettext("{n} without a name", "{n} without a name", unnamed)] if unnamed else [])
    payload = {"e": event.id} | ({"o": series.key_of(key)} if key is not None else {})
    return ([_("Coming: {names}", names=", ".join(parts))],
            [[await ctx.button(_("Message to everyone coming"), "event_message", payload)]])


@router.button("event_message")
async def message_ask(ctx: Context, payload: dict) -> None:
    event = await ctx.session.get(Meeting, event_id(payload))
    if event is None:
        ctx.reply(ctx._("I cannot find this event any more."))
        return
    if not await ctx.require(roles.COORDINATOR, event.place_id):
        return
    if ctx.is_group:
        await ctx.app.point_to_private(ctx)
        return
    await MESSAGE_STEPS.start(ctx, "text", {"e": event.id, "o": payload.get("o")}, ask=False)
    ctx.reply(ctx._("What should everyone who said yes to \"{title}\" read? Write it in one message.",
                    title=event.title))


@router.dialog(MESSAGE_DIALOG)
async def message_send(ctx: Context) -> None:
    _ = ctx._
    text = ctx.text.strip()
    event = await ctx.session.get(Meeting, MESSAGE_STEPS.data(ctx).get("e"))
    if event is None or not await ctx.require(roles.COORDINATOR, event.place_id):
        await ctx.end_dialog()
        return
    if not text:
        ctx.reply(_("Please write it as text, or /cancel."))
        return
    if len(text) > MESSAGE_LIMIT:
        ctx.reply(_("That is too long ({length} characters); please keep it to {limit}.", length=len(text),
                    limit=MESSAGE_LIMIT))
        return
    key = series.from_key(MESSAGE_STEPS.data(ctx).get("o"))
    when = key or event.starts_at
    if key is not None and (date := await series.occurrence(ctx.session, event, key)) is not None:
        when = date.starts_at
    elif event.rrule and (following := await series.next_date(ctx.session, event)) is not None:
        when = following.starts_at

    def body(t) -> str:
        _ = t.gettext
        return _("Message from the organisers of \"{title}\" ({date}):", title=event.title,
                 date=render.day_text(t, when)) + "\n\n" + text

    sent = await people.message_yes_sayers(ctx.app, ctx.session, event, body, key)
    await ctx.end_dialog()
    ctx.reply(ctx.ngettext("Sent to {n} person.", "Sent to {n} people.", sent))
    ctx.app.wake_workers()
