"""The dates of a recurring round table in the chat: list them, answer for one, cancel or move one, change
"this and all following" (the rest of the series) as calendar apps do.

The series itself is announced, changed and cancelled in handlers/meetings.py; this module adds what only a
series has. Permissions are checked again on every press, as there.
"""

from __future__ import annotations

import html
import logging

from bot import roles
from bot.core.context import Context
from bot.core.features import Feature
from bot.core.router import Router
from bot.core.steps import Steps
from bot.meetings import render, series, service
from bot.meetings.draft import Draft
from bot.meetings.parse import clean_location
from bot.meetings.times import read_clock
from bot.meetings.when import find_when
from bot.storage.models_meetings import CANCELLED, Meeting
from bot.timeutil import now
from handlers.meetings import STEPS, event_id, field_label, reversed_text, show_preview, text_problem, today

ORDER = 46
router = Router()
log = logging.getLogger(__name__)
CANCEL_DATE, MOVE_DATE, ONLY_DATE = "event_date_cancel", "event_date_move", "event_date_only"
CANCEL_STEPS, MOVE_STEPS, ONLY_STEPS = Steps(CANCEL_DATE), Steps(MOVE_DATE), Steps(ONLY_DATE)


FEATURE = Feature(jobs=(series.reminder_job,))
"""Every hour the reminders of recurring meetings for the coming days."""


async def _load(ctx: Context, payload: dict) -> tuple[Meeting | None, series.Occurrence | None]:
    event = await ctx.session.get(Meeting, event_id(payload))
    key = series.from_key(payload.get("o"))
    date = await series.occurrence(ctx.session, event, key) if event is not None and key is not None else None
    if event is None or date is None:
        ctx.reply(ctx._("I cannot find this event any more."))
        return None, None
    return event, date


@router.button("event_dates")
async def list_dates(ctx: Context, payload: dict) -> None:
    event = await ctx.session.get(Meeting, event_id(payload))
    if event is None or not event.rrule:
        ctx.reply(ctx._("I cannot find this event any more."))
        return
    rows = []
    for date in await series.dates(ctx.session, event, after=now()):
        label = f"{render.short_day(ctx.t, date.starts_at)} {render.clock(date.starts_at)}"
        if date.cancelled:
            label += " – " + ctx._("CANCELLED")
        elif date.moved:
            label += " – " + ctx._("moved")
        elif date.title is not None or date.location is not None:
            label += " – " + ctx._("changed")
        rows.append([await ctx.button(label, "event_date", {"e": event.id, "o": series.key_of(date.key)})])
    ctx.reply(ctx._("The next dates of \"{title}\":", title=event.title), buttons=rows)


async def show_date(ctx: Context, event: Meeting, date: series.Occurrence) -> None:
    _ = ctx._
    copy = series.single(event, date)
    lines = [render.details(ctx.t, copy, service.place_name(ctx.app, event.place_id))]
    mine = await series.answer_for(ctx.session, event, ctx.user, date.key)
    if mine:
        lines += ["", html.escape(render.answer_state(ctx.t, mine))]
    key = series.key_of(date.key)
    rows = []
    if not date.cancelled and event.status != CANCELLED:
        rows.append([await ctx.button(render.answer_label(ctx.t, a), "event_date_rsvp",
                                      {"e": event.id, "o": key, "a": a}) for a in service.ANSWERS])
        if await ctx.has_role(roles.COORDINATOR, event.place_id):
            counted = await series.counts(ctx.session, event, date.key)
            lines += ["", html.escape(_("Answers for this date: {yes} yes, {maybe} maybe, {no} no.",
                                        yes=counted["yes"], maybe=counted["maybe"], no=counted["no"]))]
            from handlers.meeting_people import coming_lines

            names, message = await coming_lines(ctx, event, date.key)
            lines += [html.escape(n) for n in names]
            rows += message
            rows.append([await ctx.button(_("Cancel this date"), "event_date_cancel", {"e": event.id, "o": key}),
                         await ctx.button(_("Move this date"), "event_date_move", {"e": event.id, "o": key})])
            rows.append([await ctx.button(_("Change only this date"), "event_date_only", {"e": event.id, "o": key}),
                         await ctx.button(_("Change this and all following"), "event_date_following",
                                          {"e": event.id, "o": key})])
    ctx.reply("\n".join(lines), html=True, buttons=rows)


@router.button("event_date")
async def date_view(ctx: Context, payload: dict) -> None:
    event, date = await _load(ctx, payload)
    if event is not None:
        await show_date(ctx, event, date)


@router.button("event_date_rsvp")
async def date_rsvp(ctx: Context, payload: dict) -> None:
    _ = ctx._
    value = payload.get("a")
    event, date = await _load(ctx, payload)
    if event is None or value not in service.ANSWERS:
        return
    if event.status == CANCELLED or date.cancelled:
        text = _("This event has been cancelled.")
    elif (date.ends_at or date.starts_at) < now():
        text = _("This event is already over.")
    else:
        await series.answer(ctx.app, ctx.session, event, ctx.user, date.key, value)
        text = _("Thank you! {state}", state=render.answer_state(ctx.t, value)) + " " + _(
            "(for {date})", date=render.day_text(ctx.t, date.starts_at))
    if ctx.is_group:
        if ctx.user.dm_chat_id:
            await ctx.notify(ctx.user, text)
        return
    from handlers.meeting_people import offer_name

    question, rows = await offer_name(ctx, value) if not date.cancelled else ("", [])
    ctx.reply(text + question, buttons=rows)


async def _managed(ctx: Context, payload: dict) -> tuple[Meeting | None, series.Occurrence | None]:
    event, date = await _load(ctx, payload)
    if event is None or not await ctx.require(roles.COORDINATOR, event.place_id):
        return None, None
    if event.status == CANCELLED or date.cancelled:
        ctx.reply(ctx._("This event has been cancelled."))
        return None, None
    return event, date


@router.button("event_date_cancel")
async def cancel_ask(ctx: Context, payload: dict) -> None:
    _ = ctx._
    event, date = await _managed(ctx, payload)
    if event is None:
        return
    key = series.key_of(date.key)
    await CANCEL_STEPS.start(ctx, "reason", {"e": event.id, "o": key, "reason": ""}, ask=False)
    ctx.reply(_("Really cancel \"{title}\" on {date}? The other dates stay.", title=event.title,
                date=render.day_text(ctx.t, date.starts_at)) + "\n" +
              _("You can write the reason in one message first; it goes out with the cancellation."),
              buttons=[[await ctx.button(_("Yes, cancel this date"), "event_date_cancel_yes",
                                         {"e": event.id, "o": key}, single_use=True),
                        await ctx.button(_("No, keep it"), "event_date", {"e": event.id, "o": key})]])


@router.dialog(CANCEL_DATE)
async def cancel_reason(ctx: Context) -> None:
    _ = ctx._
    text = ctx.text.strip()
    if problem := text_problem(ctx, "reason", text):
        ctx.reply(problem)
        return
    data = dict(CANCEL_STEPS.data(ctx))
    await CANCEL_STEPS.save(ctx, "reason", reason=text)
    ctx.reply(_("Reason: {reason}", reason=text) + "\n" + _("Cancel this date with this reason?"),
              buttons=[[await ctx.button(_("Yes, cancel this date"), "event_date_cancel_yes",
                                         {"e": data.get("e"), "o": data.get("o")}, single_use=True)]])


@router.button("event_date_cancel_yes")
async def cancel_do(ctx: Context, payload: dict) -> None:
    event, date = await _managed(ctx, payload)
    if event is None:
        return
    reason = ""
    if CANCEL_STEPS.open(ctx):
        if CANCEL_STEPS.data(ctx).get("o") == payload.get("o"):
            reason = str(CANCEL_STEPS.data(ctx).get("reason") or "")
        await ctx.end_dialog()
    fan = await series.cancel_date(ctx.app, ctx.session, event, date.key, reason)
    ctx.reply(ctx._("The meeting on {date} is cancelled; the other dates stay.",
                    date=render.day_text(ctx.t, date.starts_at)) + "\n" + _summary(ctx, fan), edit=True)


def _summary(ctx: Context, fan: service.Fanout) -> str:
    from handlers.meetings import sent_summary

    return sent_summary(ctx, fan)


@router.button("event_date_move")
async def move_ask(ctx: Context, payload: dict) -> None:
    event, date = await _managed(ctx, payload)
    if event is None:
        return
    await MOVE_STEPS.start(ctx, "when", {"e": event.id, "o": series.key_of(date.key)}, ask=False)
    ctx.reply(ctx._("To when does the meeting of {date} move? (e.g. \"{example} 18 Uhr\" or \"19-21 Uhr\")",
                    date=render.day_text(ctx.t, date.starts_at), example=render.example_when(ctx.t, today())))


@router.dialog(MOVE_DATE)
async def move_to(ctx: Context) -> None:
    _ = ctx._
    data = MOVE_STEPS.data(ctx)
    payload = {"e": data.get("e"), "o": data.get("o")}
    event, date = await _managed(ctx, payload)
    if event is None:
        await ctx.end_dialog()
        return
    when = find_when(ctx.text, today())
    clock = read_clock(ctx.text)
    if not when.day and clock is not None and clock.start is not None:
        when.start, when.end = clock.start, clock.end
    if when.reversed:
        ctx.reply(reversed_text(ctx, when.start, when.end))
        return
    draft = Draft()
    draft.set_times(date.starts_at.date(), date.starts_at.timetz().replace(tzinfo=None),
                    date.ends_at.timetz().replace(tzinfo=None) if date.ends_at else None)
    if not draft.apply_when(when) or when.conflict is not None or draft.starts_at is None:
        ctx.reply(_("I could not read a date and time in that. Please write it like \"{example} "
                    "14-17 Uhr\" or \"3.12. 18:00\".", example=render.example_when(ctx.t, today())))
        return
    if draft.starts_at <= now():
        ctx.reply(_("That time has already passed."))
        return
    if when.start is not None and when.end is None and date.ends_at is not None:
        draft.end = (draft.starts_at + (date.ends_at - date.starts_at)).isoformat()  # it keeps its length
    await ctx.end_dialog()
    fan = await series.move_date(ctx.app, ctx.session, event, date.key, draft.starts_at, draft.ends_at)
    ctx.reply(_("Moved to {when}.", when=render.when_text(ctx.t, draft.starts_at, draft.ends_at)) + "\n"
              + _summary(ctx, fan))


@router.button("event_date_only")
async def only_ask(ctx: Context, payload: dict) -> None:
    """"Only this date", as calendar apps offer it: its title, address or time; the other dates keep theirs."""
    event, date = await _managed(ctx, payload)
    if event is None:
        return
    key = series.key_of(date.key)
    name = payload.get("f")
    if name == "when":
        await move_ask(ctx, {"e": event.id, "o": key})
    elif name in ("title", "location"):
        await ONLY_STEPS.start(ctx, "value", {"e": event.id, "o": key, "f": name}, ask=False)
        ctx.reply(ctx._("Please write the new {field}.", field=field_label(ctx, name)))
    else:
        ctx.reply(render.day_text(ctx.t, date.starts_at) + ": " + ctx._("What should change?"), buttons=[
            [await ctx.button(field_label(ctx, f), "event_date_only", {"e": event.id, "o": key, "f": f})]
            for f in ("title", "location", "when")])


@router.dialog(ONLY_DATE)
async def only_take(ctx: Context) -> None:
    data = ONLY_STEPS.data(ctx)
    event, date = await _managed(ctx, {"e": data.get("e"), "o": data.get("o")})
    name = data.get("f")
    if event is None or name not in ("title", "location"):
        await ctx.end_dialog()
        return
    text = ctx.text.strip()
    if problem := text_problem(ctx, name, text):
        ctx.reply(problem)
        return
    if name == "location":
        text = clean_location(text)
    await ctx.end_dialog()
    fan = await series.change_date(ctx.app, ctx.session, event, date.key, name, text)
    ctx.reply(ctx._("Changed for {date} only.", date=render.day_text(ctx.t, date.starts_at)) + "\n"
              + _summary(ctx, fan))


@router.button("event_date_following")
async def change_following(ctx: Context, payload: dict) -> None:
    """The usual change dialog, for the series from this date on."""
    event, date = await _managed(ctx, payload)
    if event is None:
        return
    if ctx.is_group:
        await ctx.app.point_to_private(ctx)
        return
    draft = Draft.from_event(event)
    draft.set_times(date.starts_at.date(), date.starts_at.timetz().replace(tzinfo=None),
                    date.ends_at.timetz().replace(tzinfo=None) if date.ends_at else None)
    draft.following = series.key_of(date.key)
    await STEPS.start(ctx, "preview", {"draft": draft.to_json()}, ask=False)
    await show_preview(ctx, draft)
