"""Coordinators keep their own directory entry current from the chat, and confirm it is still right."""

from __future__ import annotations

import re

from bot import directory, roles
from bot.core.context import Context
from bot.core.router import Router
from bot.core.steps import Steps
from bot.i18n import N_
from bot.storage.models_directory import DirectoryEntry
from bot.timeutil import local, now

ORDER = 25
router = Router()
ENTRY = Steps("entry")

PHONE = re.compile(r"^[0-9 +/()\-]{5,40}$")
EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]{2,}$")
FIELDS = {
    "role": (N_("role or title"), 200),
    "name": (N_("name"), 200),
    "organisation": (N_("organisation"), 300),
    "phone": (N_("phone"), 40),
    "email": (N_("e-mail"), 200),
}
NEW_STEPS = ("place", "role", "name", "organisation", "phone", "email")
SKIP = {"-", "—", "keine", "keiner", "none", "skip", "überspringen"}


def today():
    return local(now()).date()


async def owned(ctx: Context) -> list[DirectoryEntry]:
    return await directory.owned_by(ctx.session, ctx.user)


async def entry_of(ctx: Context, entry_id) -> DirectoryEntry | None:
    """The entry a button or dialog names; anything but a whole number names none."""
    if not isinstance(entry_id, int) or isinstance(entry_id, bool):
        return None
    return await ctx.session.get(DirectoryEntry, entry_id)


async def may_edit(ctx: Context, entry: DirectoryEntry | None) -> bool:
    """Checked on every press: the entry is the user's own and they still coordinate its place."""
    if entry is None:
        ctx.reply(ctx._("This entry does not exist any more."))
        return False
    if entry.owner_user_id != ctx.user.id and not await ctx.has_role(roles.ADMIN):
        ctx.reply(ctx._("Sorry, you are not allowed to do that. If you think you should be, ask your coordinator."))
        return False
    return await ctx.require(roles.COORDINATOR, entry.place_id)


def describe(ctx: Context, entry: DirectoryEntry) -> str:
    place = ctx.services.places.gazetteer.get(entry.place_id)
    confirmed = entry.verified.strftime("%d.%m.%Y") if entry.verified else ctx._("never")
    parts = [f"{entry.role} – {place.name if place else entry.place_id}"]
    parts += [x for x in (entry.name, entry.organisation, entry.phone, entry.email) if x]
    parts.append(ctx._("last confirmed: {date}", date=confirmed))
    return "\n".join(parts)


@router.command("meineintrag", "myentry", description=N_("Coordinators: keep your directory entry current"),
                private_only=True)
async def my_entry(ctx: Context, args: str) -> None:
    if not await ctx.require(roles.COORDINATOR, anywhere=True):
        return
    entries = await owned(ctx)
    for entry in entries:
        buttons = [[
            await ctx.button(ctx._("Still correct"), "entry_confirm", {"id": entry.id}),
            await ctx.button(ctx._("Edit"), "entry_edit", {"id": entry.id}),
            await ctx.button(ctx._("Delete"), "entry_delete", {"id": entry.id}, single_use=True),
        ]]
        ctx.reply(describe(ctx, entry), buttons=buttons)
    new = [[await ctx.button(ctx._("New entry"), "entry_new")]]
    if not entries:
        ctx.reply(ctx._("You have no entry in the directory yet. Create one so volunteers find you:"), buttons=new)
    else:
        ctx.reply(ctx._("Or create another entry:"), buttons=new)


@router.button("entry_confirm")
async def confirm(ctx: Context, payload: dict) -> None:
    entry = await entry_of(ctx, payload.get("id"))
    if not await may_edit(ctx, entry):
        return
    entry.verified = today()
    entry.updated_at = now()
    ctx.reply(ctx._("Thank you! The entry is marked as confirmed today."))


@router.button("entry_delete")
async def remove(ctx: Context, payload: dict) -> None:
    entry = await entry_of(ctx, payload.get("id"))
    if not await may_edit(ctx, entry):
        return
    await directory.remove(ctx.session, entry)
    ctx.reply(ctx._("The entry was deleted."))


@router.button("entry_edit")
async def edit(ctx: Context, payload: dict) -> None:
    entry = await entry_of(ctx, payload.get("id"))
    if not await may_edit(ctx, entry):
        return
    rows = [[await ctx.button(ctx._(label), "entry_field", {"id": entry.id, "field": name})]
            for name, (label, _limit) in FIELDS.items()]
    ctx.reply(ctx._("What would you like to change?"), buttons=rows)


@router.button("entry_field")
async def edit_field(ctx: Context, payload: dict) -> None:
    entry = await entry_of(ctx, payload.get("id"))
    field = payload.get("field")
    if field not in FIELDS or not await may_edit(ctx, entry):
        return
    await ENTRY.start(ctx, "edit", {"id": entry.id, "field": field}, ask=False)
    ctx.reply(ctx._("Please send the new {field} (or \"-\" to leave it empty).", field=ctx._(FIELDS[field][0])))


@router.button("entry_new")
async def new_entry(ctx: Context, payload: dict) -> None:
    if not await ctx.require(roles.COORDINATOR, anywhere=True):
        return
    await ENTRY.start(ctx, "place", {}, ask=False)
    ctx.reply(ctx._("For which place is the entry? Write the Gemeinde or the Kreis you coordinate."))


def check_value(ctx: Context, field: str, value: str) -> str | None:
    """An error text for a bad value, or None."""
    limit = FIELDS[field][1]
    if len(value) > limit:
        return ctx._("That is too long (at most {limit} characters).", limit=limit)
    if field == "phone" and value and not PHONE.match(value):
        return ctx._("That does not look like a phone number. Use digits, spaces, +, / and -.")
    if field == "email" and value and not EMAIL.match(value):
        return ctx._("That does not look like an e-mail address.")
    if field == "role" and not value:
        return ctx._("The role or title is needed, e.g. \"Koordinierungsstelle Flüchtlingshilfe\".")
    return None


@router.dialog(ENTRY.name)
async def entry_dialog(ctx: Context) -> None:
    _ = ctx._
    state = ctx.dialog
    text = ctx.text.strip()
    value = "" if text.lower() in SKIP else text
    if state.step == "edit":
        entry = await entry_of(ctx, state.data.get("id"))
        field = state.data.get("field")
        if not await may_edit(ctx, entry):
            await ctx.end_dialog()
            return
        error = check_value(ctx, field, value)
        if error:
            ctx.reply(error + " " + _("Please try again, or /cancel."))
            return
        setattr(entry, field, value)
        entry.verified = today()
        entry.updated_at = now()
        await ctx.end_dialog()
        ctx.reply(_("Saved. Volunteers see the change right away."))
        return
    if state.step == "place":
        resolution = ctx.services.places.resolve(text)
        if resolution.status != "match":
            ctx.reply(_("I could not find exactly one place for \"{where}\". Please write the Gemeinde or Kreis "
                        "more precisely.", where=text[:80]))
            return
        place = resolution.best
        if not await ctx.has_role(roles.COORDINATOR, place.id):
            ctx.reply(_("You are not registered as coordinator for {place}. Please name a place in your area.",
                        place=place.label))
            return
        await ENTRY.save(ctx, "role", place=place.id)
        ctx.reply(_("Your role or title (e.g. \"Koordinierungsstelle Flüchtlingshilfe\")?"))
        return
    if state.step in NEW_STEPS[1:]:
        field = state.step
        error = check_value(ctx, field, value)
        if error:
            ctx.reply(error + " " + _("Please try again, or /cancel."))
            return
        position = NEW_STEPS.index(field)
        data = {field: value}
        if position + 1 < len(NEW_STEPS):
            nxt = NEW_STEPS[position + 1]
            await ENTRY.save(ctx, nxt, **data)
            ctx.reply(_("Your {field}? (\"-\" to leave it empty)", field=_(FIELDS[nxt][0])))
            return
        values = {**state.data, **data}
        place_id = values.pop("place")
        if not await ctx.require(roles.COORDINATOR, place_id):
            await ctx.end_dialog()
            return
        ctx.session.add(DirectoryEntry(
            place_id=place_id, role=values.get("role", ""), name=values.get("name", ""),
            organisation=values.get("organisation", ""), phone=values.get("phone", ""),
            email=values.get("email", ""), website="", topics=[], notes="", source=_("entered by the coordinator"),
            verified=today(), owner_user_id=ctx.user.id, origin="chat",
        ))
        await ctx.end_dialog()
        ctx.reply(_("Thank you! Your entry is saved; volunteers asking for this place now see it."))
