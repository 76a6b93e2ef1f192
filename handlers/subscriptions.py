"""Which places a volunteer hears about, and when the bot keeps quiet.

Subscribing works by place name like everything else ("/abonnieren Taunusstein"); the answer says exactly what
the subscription covers, because "a Kreis includes its Gemeinden, a Gemeinde includes its Kreis" is not obvious.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.router import Router
from bot.i18n import N_
from bot.meetings import feed, scope, service
from bot.meetings.quiet import window_of
from bot.meetings.settings import parse_window
from bot.messages import Button
from bot.storage.models_meetings import MeetingUserSettings
from bot.timeutil import now

ORDER = 46
router = Router()
ALL_WORDS = {"alle", "alles", "all", "everything"}
OFF_WORDS = {"aus", "off", "keine", "none", "nein", "no"}
ON_WORDS = {"an", "on", "ein", "standard", "default"}


def covers_text(ctx: Context, place) -> str:
    if place.kind == "kreis":
        return ctx._("You will hear about events in {kreis} and in all its Gemeinden.", kreis=place.name)
    return ctx._("You will hear about events in {place} and those for the whole {kreis}.",
                 place=place.name, kreis=place.kreis_name or "")


@router.command("abonnieren", "subscribe", description=N_("Hear about events in a Gemeinde or Kreis"),
                private_only=True)
async def subscribe(ctx: Context, args: str) -> None:
    _ = ctx._
    if not args.strip():
        await ctx.start_dialog("subscribe", "place")
        mine = await scope.subscriptions_of(ctx.session, ctx.user)
        lines = []
        if mine:
            lines.append(_("You are subscribed to: {places}.",
                           places=", ".join(ctx.services.places.name(s.place_id) for s in mine)))
        lines.append(_("Which Gemeinde or Kreis would you like to hear about? (e.g. \"Taunusstein\" or "
                       "\"Rheingau-Taunus-Kreis\")"))
        ctx.reply("\n".join(lines))
        return
    await subscribe_to(ctx, args)


@router.dialog("subscribe")
async def subscribe_dialog(ctx: Context) -> None:
    await subscribe_to(ctx, ctx.text)


async def subscribe_to(ctx: Context, text: str) -> None:
    _ = ctx._
    resolution = ctx.services.places.resolve(text.strip())
    if resolution.status == "ambiguous":
        rows = [[await ctx.button(c.place.label, "sub_place", {"place": c.place.id})]
                for c in resolution.candidates[:8] if c.place.kind in scope.SUBSCRIBABLE]
        if rows:
            ctx.reply(_("Which place do you mean?"), buttons=rows)
            return
    if resolution.status != "match":
        ctx.reply(_("I could not find a Gemeinde or Kreis in \"{text}\". Please write its name, e.g. "
                    "\"Taunusstein\" or \"Rheingau-Taunus-Kreis\".", text=text.strip()))
        return
    await add_subscription(ctx, resolution.best)


@router.button("sub_place")
async def pick_place(ctx: Context, payload: dict) -> None:
    place = ctx.services.places.gazetteer.get(str(payload.get("place", "")))
    if place is None:
        ctx.reply(ctx._("This button is not valid (any more). Nothing was done. Send /help to start again."))
        return
    await add_subscription(ctx, place)


async def add_subscription(ctx: Context, place) -> None:
    _ = ctx._
    if place.kind not in scope.SUBSCRIBABLE:
        ctx.reply(_("Please choose a Gemeinde or a Kreis; a whole Land would be too many events."))
        return
    if ctx.dialog is not None and ctx.dialog.name == "subscribe":
        await ctx.end_dialog()
    new = await scope.subscribe(ctx.session, ctx.user, place.id)
    events = await service.upcoming(ctx.session, [place.id], limit=50)
    lines = [_("Subscribed to {place}.", place=place.label) if new
             else _("You were already subscribed to {place}.", place=place.label), covers_text(ctx, place)]
    if events:
        lines.append(ctx.ngettext("There is {n} upcoming event there: see /events.",
                                  "There are {n} upcoming events there: see /events.", len(events)))
    lines.append(_("Unsubscribe any time with /unsubscribe."))
    ctx.reply("\n".join(lines))


@router.command("abbestellen", "unsubscribe", description=N_("Stop hearing about a place"), private_only=True)
async def unsubscribe(ctx: Context, args: str) -> None:
    _ = ctx._
    mine = await scope.subscriptions_of(ctx.session, ctx.user)
    if not mine:
        ctx.reply(_("You have no subscriptions."))
        return
    word = args.strip().lower()
    if word in ALL_WORDS:
        await scope.unsubscribe(ctx.session, ctx.user)
        ctx.reply(_("All subscriptions are cancelled. You will still hear about changes to events you were "
                    "already told about."))
        return
    if word:
        resolution = ctx.services.places.resolve(args)
        match = [s for s in mine if resolution.best is not None and s.place_id == resolution.best.id]
        if match:
            await remove(ctx, match[0].place_id)
            return
    rows = [[await ctx.button(ctx.services.places.name(s.place_id), "unsub", {"place": s.place_id})] for s in mine]
    rows.append([await ctx.button(_("All"), "unsub", {"place": "*"})])
    ctx.reply(_("Which subscription should I cancel?"), buttons=rows)


@router.button("unsub")
async def unsubscribe_button(ctx: Context, payload: dict) -> None:
    place_id = str(payload.get("place", ""))
    if place_id == "*":
        await unsubscribe(ctx, "all")
        return
    await remove(ctx, place_id)


async def remove(ctx: Context, place_id: str) -> None:
    removed = await scope.unsubscribe(ctx.session, ctx.user, place_id)
    name = ctx.services.places.name(place_id)
    if removed:
        ctx.reply(ctx._("Unsubscribed from {place}. You will still hear about changes to events you were "
                        "already told about.", place=name), edit=True)
    else:
        ctx.reply(ctx._("You were not subscribed to {place}.", place=name), edit=True)


# --- quiet hours ------------------------------------------------------------------------------------------------

def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


async def my_settings(ctx: Context) -> MeetingUserSettings:
    row = await ctx.session.get(MeetingUserSettings, ctx.user.id)
    if row is None:
        row = MeetingUserSettings(user_id=ctx.user.id, quiet_enabled=True, updated_at=now())
        ctx.session.add(row)
    return row


@router.command("ruhezeiten", "quiet", description=N_("When I should not send you messages"), private_only=True)
async def quiet_hours(ctx: Context, args: str) -> None:
    _ = ctx._
    settings = ctx.services.meetings.settings
    word = args.strip().lower()
    if not word:
        window = window_of(await ctx.session.get(MeetingUserSettings, ctx.user.id), settings)
        if window is None:
            state = _("Your quiet hours are off: messages come at any time.")
        else:
            state = _("Your quiet hours: {start} to {end}. Messages that can wait arrive after that.",
                      start=clock(window[0]), end=clock(window[1]))
        presets = [(21 * 60, 8 * 60), (22 * 60, 7 * 60), (20 * 60, 9 * 60)]
        rows = [[await ctx.button(f"{clock(a)}–{clock(b)}", "quiet_set", {"from": a, "to": b}) for a, b in presets],
                [await ctx.button(_("Off"), "quiet_set", {"off": True})]]
        ctx.reply(state + "\n" + _("Change them with the buttons or e.g. /quiet 22:00-07:00 (or /quiet off)."),
                  buttons=rows)
        return
    row = await my_settings(ctx)
    if word in OFF_WORDS:
        row.quiet_enabled, row.updated_at = False, now()
        ctx.reply(_("Quiet hours are off: messages come at any time."))
        return
    if word in ON_WORDS:
        row.quiet_enabled, row.quiet_from, row.quiet_to, row.updated_at = True, None, None, now()
        window = window_of(row, settings)
        if window is None:  # no default configured: the usual night
            window = row.quiet_from, row.quiet_to = 21 * 60, 8 * 60
    else:
        window = parse_window(word)
        if window is None:
            ctx.reply(_("Please write the quiet hours like \"22:00-07:00\", or \"off\"."))
            return
        row.quiet_enabled, (row.quiet_from, row.quiet_to), row.updated_at = True, window, now()
    ctx.reply(_("Quiet hours set: {start} to {end}. Reminders and announcements wait until then; an hour-before "
                "reminder that would come too late is left out.", start=clock(window[0]), end=clock(window[1])))


@router.button("quiet_set")
async def quiet_button(ctx: Context, payload: dict) -> None:
    if payload.get("off") is True:
        await quiet_hours(ctx, "off")
        return
    start, end = payload.get("from"), payload.get("to")
    if not all(isinstance(m, int) and not isinstance(m, bool) and 0 <= m < 1440 for m in (start, end)):
        ctx.reply(ctx._("Please write the quiet hours like \"22:00-07:00\", or \"off\"."))
        return
    await quiet_hours(ctx, f"{clock(start)}-{clock(end)}")


# --- calendar feed ----------------------------------------------------------------------------------------------

@router.command("kalender", "calendar", description=N_("A calendar link with your events"), private_only=True)
async def calendar(ctx: Context, args: str) -> None:
    await show_feed(ctx, renew=False)


@router.button("feed_renew")
async def renew_feed(ctx: Context, payload: dict) -> None:
    await show_feed(ctx, renew=True)


async def show_feed(ctx: Context, *, renew: bool) -> None:
    _ = ctx._
    if feed.url_for(ctx.app, "x") is None:
        ctx.reply(_("This bot offers no calendar link. Each event has a button to add it to your calendar "
                    "(.ics); see /events."))
        return
    link = feed.url_for(ctx.app, await feed.token_for(ctx.session, ctx.user, renew=renew))
    assert link is not None
    lines = [_("Your personal calendar link (subscribe to it in your calendar app; keep it to yourself):"), link]
    if renew:
        lines.insert(0, _("New link made; the old one no longer works."))
    ctx.reply("\n".join(lines), buttons=[
        [Button(_("Open"), url=link)],
        [await ctx.button(_("New link (the old one stops working)"), "feed_renew", {})],
    ])
