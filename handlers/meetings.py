"""Round tables in the chat: coordinators announce, change and cancel; everyone lists, answers and imports.

A coordinator can write the whole announcement in one message or be asked piece by piece; either way the bot
shows a preview and sends nothing until it is confirmed. The permission is checked again on every step that
acts, because a button may be pressed long after it was shown.
"""

from __future__ import annotations

import html
import re
from datetime import date, time, timedelta

from bot import roles
from bot.core.context import Context
from bot.core.features import Feature
from bot.core.router import Router
from bot.core.steps import Steps
from bot.i18n import N_
from bot.meetings import feed, ics, recurrence, render, scope, service
from bot.meetings import fields as text_fields
from bot.meetings import privacy as meetings_privacy
from bot.meetings.draft import OPTIONAL, Draft
from bot.meetings.parse import clean_location, parse_announcement
from bot.meetings.public_holidays import holiday_on
from bot.meetings.times import read_clock
from bot.meetings.when import WeekdayConflict, When, find_when
from bot.messages import OutgoingFile
from bot.storage.models_meetings import Meeting
from bot.timeutil import local, now

ORDER = 45
router = Router()
DIALOG = "event_draft"
STEPS = Steps(DIALOG)
"""The draft's steps ask through `next_step`, which finds the first missing piece."""
CANCEL_DIALOG = "event_cancel"
CANCEL_STEPS = Steps(CANCEL_DIALOG)
"""The reason for a cancellation, written before "Yes" is pressed."""
EDITABLE = ("title", "when", "place", "location", "topic", "organiser", "description")
_INTENT = re.compile(
    r"^\s*(?:runde[rn]?\s+tisch|fachforum|fachtag|netzwerktreffen|vernetzungstreffen|arbeitskreis|stammtisch)\b",
    re.IGNORECASE,
)


FEATURE = Feature(routes=(("GET", feed.ROUTE, feed.handle),), privacy_sections=meetings_privacy.SECTIONS,
                  erase=(meetings_privacy.erase,))
"""Calendar feeds over HTTP; the settings and the quiet-hours policy are `ctx.services.meetings`."""


def today() -> date:
    return local(now()).date()


def field_label(ctx: Context, name: str) -> str:
    _ = ctx._
    return {
        "title": _("Title"), "when": _("Date and time"), "place": _("Place"), "location": _("Address or room"),
        "topic": _("Topic"), "organiser": _("Organiser"), "description": _("Description"), "reason": _("Reason"),
    }[name]


async def may_announce(ctx: Context) -> bool:
    if await ctx.has_role(roles.COORDINATOR, anywhere=True):
        return True
    return await ctx.require(roles.COORDINATOR)


async def area_names(ctx: Context) -> str:
    names = []
    for s in await ctx.scopes(roles.COORDINATOR):
        names.append(ctx._("everywhere") if s == roles.EVERYWHERE else ctx.services.places.name(s))
    return ", ".join(names)


# --- writing an announcement ------------------------------------------------------------------------------------

@router.command("runder_tisch", "new_event", description=N_("Announce a round table or meeting (coordinators)"),
                private_only=True)
async def new_event(ctx: Context, args: str) -> None:
    if not await may_announce(ctx):
        return
    await STEPS.start(ctx, "title", {"draft": Draft(guided=not args.strip()).to_json()}, ask=False)
    if not args.strip():
        ctx.reply(ctx._(
            "What is the title of the event? You can also write everything in one message, e.g.:\n"
            "\"Runder Tisch Asyl, {example} 14-17 Uhr, Rathaus Taunusstein-Hahn\"",
            example=render.example_when(ctx.t, today())))
        return
    await take_whole_message(ctx, Draft(), args)


@router.intent("event_announcement", priority=30)
async def announcement_in_text(ctx: Context) -> bool:
    """A coordinator who just writes "Runder Tisch ..., <date>" in a private chat gets the same preview."""
    if ctx.is_group or not _INTENT.match(ctx.text):
        return False
    if not find_when(ctx.text, today()).found or not await ctx.has_role(roles.COORDINATOR, anywhere=True):
        return False
    await STEPS.start(ctx, "title", {"draft": Draft().to_json()}, ask=False)
    await take_whole_message(ctx, Draft(), ctx.text)
    return True


def text_problem(ctx: Context, name: str, value: str) -> str | None:
    """Why a title or field cannot be kept, as the coordinator reads it; None when it can."""
    _ = ctx._
    found = text_fields.problem(name, value)
    if found is None:
        return None
    if found == "too_long":
        return _("The {field} is too long ({length} characters); please keep it to {limit}.",
                 field=field_label(ctx, name), length=len(value.strip()), limit=text_fields.LIMITS[name])
    return _("The title needs a few words that say what the meeting is, e.g. \"Runder Tisch Asyl\".")


def read_rhythm(draft: Draft, text: str) -> tuple[str, When | None]:
    """A rhythm ("jeden zweiten Dienstag im Monat") goes into the draft; returns the text without it and, when
    a rhythm was found, the date and time to apply (the rule's first date from today or the date written)."""
    rule = recurrence.find_rule(text, today())
    if rule is None:
        return text, None
    rest = recurrence.blank(text, rule.spans)
    when = find_when(rest, today())
    earliest = max(today(), rule.starts_from or when.day or today())
    draft.rrule = rule.rrule
    when.conflict = None
    when.day = recurrence.first_date(rule.rrule, earliest, when.start or time(0))
    return rest, when


async def take_whole_message(ctx: Context, draft: Draft, text: str) -> None:
    text, rhythm = read_rhythm(draft, text)
    parsed = parse_announcement(text, today())
    if rhythm is not None:
        parsed.when.day, parsed.when.conflict = rhythm.day, None
    if parsed.when.found:
        draft.guided = False
    elif draft.guided and "Thema:" not in text and "thema:" not in text.lower():
        parsed.topic = ""  # asked separately: the topic is what the coordinator writes, not a guess from the title
    for name in ("title", "location", "topic", "organiser", "description"):
        value = getattr(parsed, name)
        if (value or name == "title") and (problem := text_problem(ctx, name, value)):
            setattr(parsed, name, "")
            if value or parsed.when.found:
                ctx.reply(problem)
    if parsed.when.reversed:
        ctx.reply(reversed_text(ctx, parsed.when.start, parsed.when.end))
        parsed.when.start = parsed.when.end = None
    draft.merge(parsed)
    if parsed.when.conflict is not None:
        # The weekday question comes first; a place that is clear and allowed is kept meanwhile.
        for candidate in parsed.place_texts:
            found = ctx.services.places.resolve(candidate)
            if found.status == "match" and found.best.kind in scope.SUBSCRIBABLE:
                if await ctx.has_role(roles.COORDINATOR, found.best.id):
                    draft.place_id = found.best.id
                break
        await save(ctx, draft, "choose_day")
        await ask_weekday(ctx, parsed.when.conflict)
        return
    if not draft.place_id:
        for candidate in parsed.place_texts:
            if await take_place(ctx, draft, candidate, quiet=True):
                return
    await next_step(ctx, draft)


async def save(ctx: Context, draft: Draft, step: str) -> None:
    await STEPS.save(ctx, step, draft=draft.to_json())


def current(ctx: Context) -> Draft | None:
    if not STEPS.open(ctx):
        return None
    return Draft.from_json(STEPS.data(ctx).get("draft"))


async def next_step(ctx: Context, draft: Draft) -> None:
    """Ask for the first missing piece, or show the preview when nothing required is missing."""
    _ = ctx._
    if draft.guided and draft.place_id and draft.location and "location" not in (draft.asked or []):
        # The answer to "Where?" may have named the address already; the bare place name is no address.
        if draft.location.lower() == ctx.services.places.name(draft.place_id).lower():
            draft.location = ""
        else:
            draft.mark_asked("location")
    missing = draft.missing()
    if missing is None and draft.starts_at is not None and draft.starts_at <= now():
        draft.start = draft.end = None
        ctx.reply(_("That time has already passed."))
        missing = "when"
    if missing is None:
        await save(ctx, draft, "preview")
        await show_preview(ctx, draft)
        return
    await save(ctx, draft, missing)
    if missing == "title":
        ctx.reply(_("What is the title of the event? (e.g. \"Runder Tisch Asyl\")"))
    elif missing == "when":
        ctx.reply(when_question(ctx))
    elif missing == "time":
        ctx.reply(_("At what time on {date}? (e.g. \"14-17 Uhr\" or \"18:30\")",
                    date=render.date_text(ctx.t, date.fromisoformat(draft.day or today().isoformat()))))
    elif missing == "location":
        ctx.reply(_("Which address or room? (optional: \"-\" for none)"))
    elif missing == "topic":
        ctx.reply(_("What is the topic? (optional: \"-\" for none)"))
    else:
        ctx.reply(_("Where? Write the Gemeinde or Kreis, best with the address or room "
                    "(e.g. \"Rathaus Taunusstein-Hahn\")."), buttons=await own_places(ctx))


def when_question(ctx: Context) -> str:
    return ctx._("When does it take place? (e.g. \"{example} 14-17 Uhr\" or \"3.12. 18:00\")",
                 example=render.example_when(ctx.t, today()))


def reversed_text(ctx: Context, start, end) -> str:
    return ctx._("The end ({end}) is before the start ({start}). Please write the time again, e.g. \"{end}-{start}\".",
                 start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))


async def own_places(ctx: Context) -> list:
    """The coordinator's own Gemeinden and Kreise as quick choices."""
    rows = []
    for place_id in (await ctx.scopes(roles.COORDINATOR))[:5]:
        place = ctx.services.places.gazetteer.get(place_id) if place_id else None
        if place is not None and place.kind in scope.SUBSCRIBABLE:
            rows.append([await ctx.button(place.label, "event_place", {"place": place.id})])
    return rows


async def ask_weekday(ctx: Context, conflict: WeekdayConflict) -> None:
    _ = ctx._
    rows = [[await ctx.button(render.date_text(ctx.t, d), "event_day", {"day": d.isoformat()})]
            for d in conflict.options]
    ctx.reply(_("The date and the weekday do not fit together: {date} is not a {weekday}. Which day do you mean? "
                "You can also write another date.",
                date=render.date_text(ctx.t, conflict.written), weekday=render.weekday_name(ctx.t, conflict.weekday)),
              buttons=rows)


async def take_place(ctx: Context, draft: Draft, text: str, *, quiet: bool = False, as_location: bool = False) -> bool:
    """Resolve the place; True if the reply is already given (a question back or the next step).

    With `as_location` the text was the answer to "Where?" and also serves as the address if none is known.
    """
    _ = ctx._
    resolution = ctx.services.places.resolve(text)
    choices = [c.place for c in resolution.candidates[:8] if c.place.kind in scope.SUBSCRIBABLE]
    if resolution.status == "none" or not choices:
        if not quiet:
            ctx.reply(_("I could not find a Gemeinde or Kreis in \"{text}\". Please write its name, e.g. "
                        "\"Taunusstein\" or \"Rheingau-Taunus-Kreis\".", text=text))
        return not quiet
    if as_location and not draft.location:
        draft.set_text("location", clean_location(text))
    if resolution.status == "ambiguous":
        await save(ctx, draft, "choose_place")
        ctx.reply(_("Which place do you mean?"),
                  buttons=[[await ctx.button(p.label, "event_place", {"place": p.id})] for p in choices])
        return True
    return await set_place(ctx, draft, resolution.best)


async def set_place(ctx: Context, draft: Draft, place) -> bool:
    _ = ctx._
    if place.kind not in scope.SUBSCRIBABLE:
        ctx.reply(_("Please name a Gemeinde or a Kreis; a whole Land is too wide for a meeting."))
        await save(ctx, draft, "place")
        return True
    if not await ctx.has_role(roles.COORDINATOR, place.id):
        ctx.reply(_("You may announce events only in your area ({areas}). Please name a place there.",
                    areas=await area_names(ctx)))
        await save(ctx, draft, "place")
        return True
    draft.place_id = place.id
    await next_step(ctx, draft)
    return True


@router.dialog(DIALOG)
async def draft_dialog(ctx: Context) -> None:
    _ = ctx._
    draft = current(ctx)
    assert draft is not None
    step, text = STEPS.step(ctx), ctx.text.strip()
    if not text:
        ctx.reply(_("Please write it as text, or /cancel."))
        return
    if step == "title":
        await take_whole_message(ctx, draft, text)
    elif step in ("when", "time", "edit:when", "choose_day"):
        rest, rhythm = read_rhythm(draft, text) if step in ("when", "edit:when") else (text, None)
        when = rhythm or find_when(rest, today())
        clock = read_clock(text) if step != "choose_day" and (draft.day or step == "time") else None
        if clock is not None and clock.part_of_day is not None:
            ctx.reply(_("At what time exactly? (e.g. \"18\", \"18:30\" or \"18-20 Uhr\")"))
            return
        if clock is not None and not when.day and when.weekday is None:
            when.start, when.end = clock.start, clock.end
        if when.reversed:
            ctx.reply(reversed_text(ctx, when.start, when.end))
            return
        if when.conflict is not None:
            draft.apply_when(when)
            await save(ctx, draft, "choose_day")
            await ask_weekday(ctx, when.conflict)
        elif step == "choose_day" and when.day is not None and when.start is None and draft.pending_times:
            draft.choose_day(when.day)  # another date, with the times written before
            await next_step(ctx, draft)
        elif not draft.apply_when(when):
            ctx.reply(_("I could not read a date and time in that. Please write it like \"{example} "
                        "14-17 Uhr\" or \"3.12. 18:00\".", example=render.example_when(ctx.t, today())))
        else:
            await next_step(ctx, draft)
    elif step in ("place", "edit:place", "choose_place"):
        await take_place(ctx, draft, text, as_location=step != "choose_place")
    elif step in ("location", "topic") or step.startswith("edit:") and step[5:] in EDITABLE:
        name = step.removeprefix("edit:")
        if name in OPTIONAL:
            text = text_fields.cleaned(name, text)
        if problem := text_problem(ctx, name, text):
            ctx.reply(problem)
            return
        if name == "location":
            text = clean_location(text) if text else ""
        draft.set_text(name, text)
        if not step.startswith("edit:"):
            draft.mark_asked(name)
        await next_step(ctx, draft)
    else:
        ctx.point_to_choices(_("Please use the buttons above, or /cancel."))


@router.button("event_day")
async def pick_day(ctx: Context, payload: dict) -> None:
    draft = current(ctx)
    if draft is None:
        await gone(ctx)
        return
    try:
        day = date.fromisoformat(str(payload.get("day", "")))
    except ValueError:
        day = None
    if day is None or day < today():
        await gone(ctx)
        return
    draft.choose_day(day)
    await next_step(ctx, draft)


@router.button("event_place")
async def pick_place(ctx: Context, payload: dict) -> None:
    draft = current(ctx)
    place = ctx.services.places.gazetteer.get(str(payload.get("place", "")))
    if draft is None or place is None:
        await gone(ctx)
        return
    await set_place(ctx, draft, place)


async def gone(ctx: Context) -> None:
    ctx.reply(ctx._("This draft is no longer open. Start again with /new_event."))


async def show_preview(ctx: Context, draft: Draft) -> None:
    _ = ctx._
    values = draft.fields()
    preview = Meeting(title=values.title, starts_at=values.starts_at, ends_at=values.ends_at, place_id=values.place_id,
                    location=values.location, topic=values.topic, organiser=values.organiser,
                    description=values.description, status="announced", rrule=values.rrule)
    audience = await scope.subscriber_count(ctx.session, values.place_id)
    rooms = len(scope.announce_chats(ctx.services.meetings.settings.announce_chats, values.place_id))
    lines = [html.escape(_("Please check:")),
             render.details(ctx.t, preview, ctx.services.places.name(values.place_id)),
             html.escape(_("Place: {place}", place=ctx.services.places.label(values.place_id))), ""]
    days = [local(values.starts_at).date()]
    if values.rrule:  # the dates of the coming year
        days = [local(o.starts_at).date() for o in recurrence.occurrences(
            preview, after=values.starts_at, before=values.starts_at + timedelta(days=366))]
    for day, holiday in [(d, h) for d in days if (h := holiday_on(d, values.place_id))][:3]:
        lines[-1:-1] = [html.escape(_("Note: {date} is a public holiday there ({holiday}).",
                                      date=render.date_text(ctx.t, day), holiday=holiday))]
    if draft.event_id:
        lines.append(html.escape(_("Everyone who was told about the event will hear about the change.")))
        confirm = _("Save and notify")
    else:
        reach = ctx.ngettext("It goes to {n} subscriber.", "It goes to {n} subscribers.", audience)
        if rooms:
            reach = ctx.ngettext("It goes to {n} subscriber", "It goes to {n} subscribers", audience) + " " + \
                ctx.ngettext("and {n} announcement room.", "and {n} announcement rooms.", rooms)
        lines.append(html.escape(reach))
        confirm = _("Announce")
    ctx.reply("\n".join(lines), html=True, buttons=[
        [await ctx.button(confirm, "event_confirm", {}, single_use=True)],
        [await ctx.button(_("Edit"), "event_edit_menu", {}), await ctx.button(_("Discard"), "event_discard", {})],
    ])


@router.button("event_edit_menu")
async def edit_menu(ctx: Context, payload: dict) -> None:
    if current(ctx) is None:
        await gone(ctx)
        return
    rows = [[await ctx.button(field_label(ctx, name), "event_edit_field", {"f": name})] for name in EDITABLE]
    ctx.reply(ctx._("What would you like to change?"), buttons=rows)


@router.button("event_edit_field")
async def edit_field(ctx: Context, payload: dict) -> None:
    _ = ctx._
    draft = current(ctx)
    name = payload.get("f")
    if draft is None or name not in EDITABLE:
        await gone(ctx)
        return
    await save(ctx, draft, f"edit:{name}")
    if name == "when":
        ctx.reply(when_question(ctx))
    elif name == "place":
        ctx.reply(_("Where? Write the Gemeinde or Kreis, best with the address or room "
                    "(e.g. \"Rathaus Taunusstein-Hahn\")."))
    elif name in OPTIONAL:
        ctx.reply(_("Please write the new {field} (or \"-\" to leave it empty).", field=field_label(ctx, name)))
    else:
        ctx.reply(_("Please write the new {field}.", field=field_label(ctx, name)))


@router.button("event_discard")
async def discard(ctx: Context, payload: dict) -> None:
    if STEPS.open(ctx):
        await ctx.end_dialog()
    ctx.reply(ctx._("Discarded. Nothing was sent."), edit=True)


@router.button("event_confirm")
async def confirm(ctx: Context, payload: dict) -> None:
    _ = ctx._
    draft = current(ctx)
    if draft is None or draft.missing() is not None:
        await gone(ctx)
        return
    values = draft.fields()
    if not await ctx.require(roles.COORDINATOR, values.place_id):
        return
    if values.starts_at <= now():
        await next_step(ctx, draft)
        return
    if draft.event_id:
        event = await ctx.session.get(Meeting, draft.event_id)
        if event is None or service.is_cancelled(event):
            await ctx.end_dialog()
            ctx.reply(_("This event was cancelled in the meantime; nothing was changed."))
            return
        if not await ctx.require(roles.COORDINATOR, event.place_id):
            return
        if draft.following is not None and event.rrule:
            from bot.meetings import series

            key = series.from_key(draft.following)
            event, fan = await series.change_following(ctx.app, ctx.session, event, key, values)
            await ctx.end_dialog()
            ctx.reply(_("Saved. Messages about the change are on their way.") + "\n" + sent_summary(ctx, fan))
            await show_event(ctx, event)
            return
        changed, fan = await service.change(ctx.app, ctx.session, event, values)
        await ctx.end_dialog()
        if not changed:
            ctx.reply(_("Nothing was changed."))
            return
        ctx.reply(_("Saved. Messages about the change are on their way.") + "\n" + sent_summary(ctx, fan))
    else:
        event, fan = await service.create(ctx.app, ctx.session, values, ctx.user)
        await ctx.end_dialog()
        ctx.reply(_("Announced: {title}.", title=event.title) + "\n" + sent_summary(ctx, fan))
    await show_event(ctx, event)


def sent_summary(ctx: Context, fan: service.Fanout) -> str:
    parts = [ctx.ngettext("{n} person", "{n} people", fan.total_people)]
    if fan.chats:
        parts.append(ctx.ngettext("{n} announcement room", "{n} announcement rooms", fan.chats))
    return ctx._("Queued for: {whom}.", whom=", ".join(parts))


# --- one event --------------------------------------------------------------------------------------------------

async def load(ctx: Context, payload: dict) -> Meeting | None:
    event = await ctx.session.get(Meeting, event_id(payload))
    if event is None:
        ctx.reply(ctx._("I cannot find this event any more."))
    return event


def event_id(payload: dict) -> int:
    """The event a button names; 0 (no event) for anything but a positive whole number."""
    value = payload.get("e")
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31 else 0


async def show_event(ctx: Context, event: Meeting) -> None:
    """The event with answer and calendar buttons, and for its coordinators change/cancel/answers."""
    _ = ctx._
    name = ctx.services.places.name(event.place_id)
    lines = [render.details(ctx.t, event, name)]
    if event.rrule:
        from bot.meetings import series

        following = await series.next_date(ctx.session, event)
        if following is not None:
            lines.append(html.escape(_("Next date: {when}", when=render.when_text(ctx.t, following.starts_at,
                                                                                  following.ends_at))))
    mine = await service.answer_of(ctx.session, event, ctx.user)
    if mine:
        lines += ["", html.escape(render.answer_state(ctx.t, mine))]
    rows = []
    if not service.is_cancelled(event):
        rows.append([await ctx.button(render.answer_label(ctx.t, a), "event_rsvp", {"e": event.id, "a": a})
                     for a in service.ANSWERS])
    rows.append([await ctx.button(_("Add to calendar (.ics)"), "event_ics", {"e": event.id})])
    if event.rrule and not service.is_cancelled(event):
        rows[-1].append(await ctx.button(_("Dates"), "event_dates", {"e": event.id}))
    if not service.is_cancelled(event) and await ctx.has_role(roles.COORDINATOR, event.place_id):
        rows.append([
            await ctx.button(_("Change"), "event_change", {"e": event.id}),
            await ctx.button(_("Cancel event"), "event_cancel", {"e": event.id}),
            await ctx.button(_("Answers"), "event_answers", {"e": event.id}),
        ])
    ctx.reply("\n".join(lines), html=True, buttons=rows)


@router.button("event_show")
async def show(ctx: Context, payload: dict) -> None:
    if CANCEL_STEPS.open(ctx):
        await ctx.end_dialog()  # "No, keep it": a message written now is no reason for a cancellation
    event = await load(ctx, payload)
    if event is not None:
        await show_event(ctx, event)


@router.button("event_rsvp")
async def rsvp(ctx: Context, payload: dict) -> None:
    _ = ctx._
    value = payload.get("a")
    event = await ctx.session.get(Meeting, event_id(payload))
    if event is None or value not in service.ANSWERS:
        ctx.reply(_("I cannot find this event any more."))
        return
    why = service.closed(event)
    if why == service.CLOSED_CANCELLED:
        text = _("This event has been cancelled.")
    elif why == service.CLOSED_OVER:
        text = _("This event is already over.")
    else:
        await service.answer(ctx.app, ctx.session, event, ctx.user, value)
        text = _("Thank you! {state}", state=render.answer_state(ctx.t, value))
        if value != "no" and ctx.user.dm_chat_id:
            text += " " + _("I will remind you before it starts.")
    if ctx.is_group:
        # An answer is personal: confirm it in the private chat, never in front of the group.
        if ctx.user.dm_chat_id:
            await ctx.notify(ctx.user, text)
        return
    # The calendar choice again: where choices are numbered, this answer replaces the announcement's list.
    from handlers.meeting_people import offer_name

    question, name_rows = await offer_name(ctx, value) if not service.is_cancelled(event) else ("", [])
    ctx.reply(text + question, buttons=([[await ctx.button(_("Add to calendar (.ics)"), "event_ics", {"e": event.id})]]
                                        if not service.is_cancelled(event) and value != "no" else []) + name_rows)


@router.button("event_ics")
async def calendar_file(ctx: Context, payload: dict) -> None:
    event = await load(ctx, payload)
    if event is None:
        return
    from bot.meetings import series

    data = ics.event_file(event, ctx.services.places.name(event.place_id),
                          await series.changes_of(ctx.session, event.id))
    ctx.reply(ctx._("Open the file to add the event to your calendar."),
              file=OutgoingFile(ics.filename(event), "text/calendar", data))


# --- managing ---------------------------------------------------------------------------------------------------

async def managed(ctx: Context, payload: dict) -> Meeting | None:
    event = await load(ctx, payload)
    if event is None or not await ctx.require(roles.COORDINATOR, event.place_id):
        return None
    if service.is_cancelled(event):
        ctx.reply(ctx._("This event has been cancelled."))
        return None
    return event


@router.button("event_change")
async def change(ctx: Context, payload: dict) -> None:
    event = await managed(ctx, payload)
    if event is None:
        return
    if ctx.is_group:
        await ctx.app.point_to_private(ctx)
        return
    draft = Draft.from_event(event)
    await STEPS.start(ctx, "preview", {"draft": draft.to_json()}, ask=False)
    await show_preview(ctx, draft)


@router.button("event_cancel")
async def cancel_ask(ctx: Context, payload: dict) -> None:
    event = await managed(ctx, payload)
    if event is None:
        return
    _ = ctx._
    await CANCEL_STEPS.start(ctx, "reason", {"e": event.id, "reason": ""}, ask=False)
    ctx.reply(_("Really cancel \"{title}\" on {date}? Everyone who was told about it will be informed.",
                title=event.title, date=render.day_text(ctx.t, event.starts_at)) + "\n" +
              _("You can write the reason in one message first; it goes out with the cancellation."),
              buttons=[[await ctx.button(_("Yes, cancel the event"), "event_cancel_yes", {"e": event.id},
                                         single_use=True),
                        await ctx.button(_("No, keep it"), "event_show", {"e": event.id})]])


@router.button("event_cancel_yes")
async def cancel_do(ctx: Context, payload: dict) -> None:
    event = await managed(ctx, payload)
    if event is None:
        return
    reason = ""
    if CANCEL_STEPS.open(ctx):
        if CANCEL_STEPS.data(ctx).get("e") == event.id:
            reason = str(CANCEL_STEPS.data(ctx).get("reason") or "")
        await ctx.end_dialog()
    fan = await service.cancel(ctx.app, ctx.session, event, reason)
    ctx.reply(ctx._("The event is cancelled.") + "\n" + sent_summary(ctx, fan), edit=True)


@router.dialog(CANCEL_DIALOG)
async def cancel_reason(ctx: Context) -> None:
    """The reason for a cancellation, written before pressing "Yes"; shown back with the buttons again."""
    _ = ctx._
    text = ctx.text.strip()
    if problem := text_problem(ctx, "reason", text):
        ctx.reply(problem)
        return
    event = await ctx.session.get(Meeting, CANCEL_STEPS.data(ctx).get("e"))
    if event is None or not text:
        await ctx.end_dialog()
        ctx.reply(_("I cannot find this event any more."))
        return
    await CANCEL_STEPS.save(ctx, "reason", e=event.id, reason=text)
    ctx.reply(_("Reason: {reason}", reason=text) + "\n" + _("Cancel the event with this reason?"),
              buttons=[[await ctx.button(_("Yes, cancel the event"), "event_cancel_yes", {"e": event.id},
                                         single_use=True),
                        await ctx.button(_("No, keep it"), "event_show", {"e": event.id})]])


@router.button("event_answers")
async def answers(ctx: Context, payload: dict) -> None:
    event = await load(ctx, payload)
    if event is None or not await ctx.require(roles.COORDINATOR, event.place_id):
        return
    found, told = await service.counts(ctx.session, event)
    from handlers.meeting_people import coming_lines

    names, rows = await coming_lines(ctx, event)
    ctx.reply("\n".join([ctx.ngettext(
        "Answers for \"{title}\": {yes} yes, {maybe} maybe, {no} no ({told} person was told).",
        "Answers for \"{title}\": {yes} yes, {maybe} maybe, {no} no ({told} people were told).",
        told, title=event.title, yes=found["yes"], maybe=found["maybe"], no=found["no"], told=told), *names]),
        buttons=rows)


# --- listing ----------------------------------------------------------------------------------------------------

@router.command("termine", "events", description=N_("Upcoming round tables and meetings for your places"),
                private_only=True)
async def list_events(ctx: Context, args: str) -> None:
    _ = ctx._
    limit = ctx.services.meetings.settings.upcoming_limit
    if args.strip():
        resolution = ctx.services.places.resolve(args)
        if resolution.status != "match":
            ctx.reply(_("I could not find exactly one place for \"{where}\". Please write the Gemeinde or Kreis "
                        "more precisely.", where=args.strip()))
            return
        places, everywhere = [resolution.best.id], False
        heading = _("Upcoming events for {place}:", place=resolution.best.name)
    else:
        places = [s.place_id for s in await scope.subscriptions_of(ctx.session, ctx.user)]
        managed_scopes = await ctx.scopes(roles.COORDINATOR)
        everywhere = roles.EVERYWHERE in managed_scopes
        places += [s for s in managed_scopes if s != roles.EVERYWHERE]
        if not places and not everywhere:
            ctx.reply(_("You have not subscribed to any place yet. Subscribe with /subscribe <place>, e.g. "
                        "/subscribe Taunusstein, or look at one place with /events <place>."))
            return
        heading = _("Upcoming events for your places:")
    events = await service.upcoming(ctx.session, places, everywhere=everywhere, limit=limit)
    if not events:
        ctx.reply(_("There are no upcoming events there at the moment."))
        return
    lines, rows = [heading], []
    for number, event in enumerate(events, 1):
        mark = ""
        if service.is_cancelled(event):
            mark = " – " + _("CANCELLED")
        else:
            mine = await service.answer_of(ctx.session, event, ctx.user)
            mark = {"yes": " ✓", "maybe": " ?", "no": " ✗"}.get(mine or "", "")
        starts_at, title = event.starts_at, event.title
        if event.rrule:
            from bot.meetings import series

            following = await series.next_date(ctx.session, event)
            starts_at = following.starts_at if following is not None else starts_at
            title = following.title if following is not None and following.title is not None else title
            mark += " 🔁"
        lines.append(f"{number}. {render.short_day(ctx.t, starts_at)} {render.clock(starts_at)} – "
                     f"{title} ({ctx.services.places.name(event.place_id)}){mark}")
        rows.append([await ctx.button(f"{number}. {event.title}"[:60], "event_show", {"e": event.id})])
    ctx.reply("\n".join(lines), buttons=rows)
