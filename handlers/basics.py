"""Start, help, language, cancel and invitations: what every user meets first."""

from __future__ import annotations

from bot import invites, roles
from bot.core.context import Context
from bot.core.router import Router
from bot.i18n import LANGUAGES, N_, language_for_word
from bot.timeutil import local

ORDER = 10
router = Router()

ROLE_WORDS = {
    "koordination": roles.COORDINATOR,
    "koordinator": roles.COORDINATOR,
    "koordinatorin": roles.COORDINATOR,
    "coordinator": roles.COORDINATOR,
    "pruefer": roles.REVIEWER,
    "prüfer": roles.REVIEWER,
    "prüferin": roles.REVIEWER,
    "prueferin": roles.REVIEWER,
    "pruefung": roles.REVIEWER,
    "reviewer": roles.REVIEWER,
    "admin": roles.ADMIN,
}
EVERYWHERE_WORDS = {"überall", "ueberall", "everywhere", "alle", "all", "bundesweit"}


def role_name(ctx: Context, role: str) -> str:
    return {
        roles.COORDINATOR: ctx._("coordinator"),
        roles.REVIEWER: ctx._("reviewer"),
        roles.ADMIN: ctx._("admin"),
        roles.VOLUNTEER: ctx._("volunteer"),
    }[role]


def scope_name(ctx: Context, scope: str) -> str:
    if scope == roles.EVERYWHERE:
        return ctx._("everywhere")
    place = ctx.services.places.gazetteer.get(scope)
    return place.name if place is not None else scope


@router.command("start", description=N_("Start and welcome"), in_menu=False, keeps_dialog=True)
async def start(ctx: Context, args: str) -> None:
    token = args.strip()
    if token:  # only invitation links carry a start parameter: a cut-off one is "unknown", not a welcome
        await redeem_invite(ctx, token)
        return
    ctx.reply(
        ctx._(
            "Hello! I am helferbot, the assistant for volunteers and coordinators in refugee and integration "
            "work.\n\nAsk me for example: \"Who is my contact in Nürtingen?\""
        )
    )
    await send_help(ctx)


async def redeem_invite(ctx: Context, token: str) -> None:
    if ctx.is_group:
        await ctx.app.point_to_private(ctx)
        return
    result = await invites.redeem(ctx.session, token, ctx.user, ctx.app.superadmins)
    if result.result is invites.RedeemResult.OK:
        ctx.reply(
            ctx._("Welcome! You are now {role} for {scope}.",
                  role=role_name(ctx, result.role), scope=scope_name(ctx, result.scope))
        )
        if result.inviter is not None:
            from handlers.roles_admin import tell_inviter

            await tell_inviter(ctx, result)
    elif result.result is invites.RedeemResult.REVOKED:
        ctx.reply(ctx._("This invitation is no longer valid: the person who made it can no longer hand out this "
                        "role. Please ask for a new one."))
    elif result.result is invites.RedeemResult.EXPIRED:
        ctx.reply(ctx._("This invitation has expired. Please ask for a new one."))
    elif result.result is invites.RedeemResult.USED:
        ctx.reply(ctx._("This invitation was already used. Each invitation works only once; please ask for a new one."))
    else:
        ctx.reply(ctx._("I don't know this invitation. Please check the link or ask for a new one."))


@router.command("hilfe", "help", description=N_("What I can do"), keeps_dialog=True)
async def help_(ctx: Context, args: str) -> None:
    await send_help(ctx)


#: Commands only some people may use, by the role they need; the help shows each person what they may do.
ROLE_COMMANDS = {
    "runder_tisch": roles.COORDINATOR, "meineintrag": roles.COORDINATOR, "einladen": roles.COORDINATOR,
    "pruefen": roles.REVIEWER, "auszahlung": roles.ADMIN,
}
HELP_GROUPS = (
    (None, N_("For everyone:")),
    (roles.COORDINATOR, N_("For coordinators:")),
    (roles.REVIEWER, N_("For reviewers:")),
    (roles.ADMIN, N_("For admins:")),
)


async def send_help(ctx: Context) -> None:
    _ = ctx._
    lines = [_("What I can do:")]
    for role, heading in HELP_GROUPS:
        if role is not None and not await ctx.has_role(role, anywhere=True):
            continue
        shown = [c for c in ctx.app.router.ordered
                 if c.in_menu and c.description and ROLE_COMMANDS.get(c.name) == role]
        if not shown:
            continue
        lines += ["", _(heading)]
        for command in shown:
            name = command.name if ctx.language == "de" else command.english
            lines.append(f"/{name} – {_(command.description)}")
    lines.append("")
    lines.append(_("You can also just write your question, e.g. \"Who is my contact in Esslingen?\"."))
    ctx.reply("\n".join(lines))


@router.command("sprache", "language", description=N_("Change the language"), keeps_dialog=True)
async def language(ctx: Context, args: str) -> None:
    choice = language_for_word(args)
    if choice:
        ctx.set_language(choice)
        ctx.reply(ctx._("I will speak English with you from now on."))
        return
    if args.strip():
        ctx.reply(ctx._("I speak these languages: {languages}.", languages=", ".join(LANGUAGES.values())))
    # Each language in its own name, so whoever cannot read the current one still finds theirs.
    codes = list(LANGUAGES)
    buttons = [[await ctx.button(LANGUAGES[code], "lang", {"lang": code}) for code in codes[i:i + 2]]
               for i in range(0, len(codes), 2)]
    ctx.reply(ctx._("Which language would you like?"), buttons=buttons)


@router.button("lang")
async def language_button(ctx: Context, payload: dict) -> None:
    code = payload.get("lang")
    if code not in LANGUAGES:
        ctx.reply(ctx._("This button is not valid (any more). Nothing was done. Send /help to start again."))
        return
    ctx.set_language(code)
    ctx.reply(ctx._("I will speak English with you from now on."), edit=True)


@router.command("abbrechen", "cancel", description=N_("Cancel what we are doing"), keeps_dialog=True)
async def cancel(ctx: Context, args: str) -> None:
    if ctx.dialog is not None:
        await ctx.end_dialog()
        ctx.reply(ctx._("Cancelled. Nothing from this dialog was saved."))
    else:
        ctx.reply(ctx._("There is nothing to cancel."))


@router.command("einladen", "invite", description=N_("Invite a coordinator or reviewer (coordinators, admins)"),
                private_only=True)
async def invite(ctx: Context, args: str) -> None:
    """`/einladen koordination Landkreis Esslingen` in one go, or a guided dialog with `/einladen` alone."""
    if not await may_invite_at_all(ctx):
        return
    words = args.split(maxsplit=1)
    if not words:
        rows = [
            [await ctx.button(role_name(ctx, role), "invite_role", {"role": role})]
            for role in (roles.COORDINATOR, roles.REVIEWER, roles.ADMIN)
        ]
        await ctx.start_dialog("invite", "role")
        ctx.reply(ctx._("Whom would you like to invite? Choose the role:"), buttons=rows)
        return
    if words[0].lower() not in ROLE_WORDS:
        ctx.reply(ctx._("Usage: /invite <role> <place or \"everywhere\">, e.g. /invite coordinator Landkreis "
                        "Esslingen. Roles: coordinator, reviewer, admin."))
        return
    role = ROLE_WORDS[words[0].lower()]
    if role != roles.ADMIN and len(words) < 2:
        await ctx.start_dialog("invite", "place", {"role": role})
        ctx.reply(ask_place(ctx))
        return
    await finish_invite(ctx, role, words[1] if len(words) > 1 else "")


async def may_invite_at_all(ctx: Context) -> bool:
    if await ctx.has_role(roles.COORDINATOR, anywhere=True):
        return True
    return await ctx.require(roles.ADMIN)


def ask_place(ctx: Context) -> str:
    return ctx._("For which place? Write a Gemeinde or a Kreis (e.g. \"Landkreis Esslingen\"), or \"everywhere\".")


@router.button("invite_role")
async def invite_role(ctx: Context, payload: dict) -> None:
    role = payload.get("role")
    if role not in roles.GRANTABLE or not await may_invite_at_all(ctx):
        return
    if role == roles.ADMIN:
        await finish_invite(ctx, role, "")
        return
    await ctx.start_dialog("invite", "place", {"role": role})
    ctx.reply(ask_place(ctx))


@router.dialog("invite")
async def invite_dialog(ctx: Context) -> None:
    assert ctx.dialog is not None
    role = ctx.dialog.data.get("role")
    if ctx.dialog.step != "place" or role not in roles.GRANTABLE:
        ctx.point_to_choices(ctx._("Please choose one of the buttons above, or /cancel."))
        return
    await finish_invite(ctx, role, ctx.text)


async def finish_invite(ctx: Context, role: str, where: str) -> None:
    _ = ctx._
    where = where.strip()
    if role == roles.ADMIN or where.lower() in EVERYWHERE_WORDS:
        scope = roles.EVERYWHERE
    else:
        resolution = ctx.services.places.resolve(where)
        if resolution.status != "match":
            ctx.reply(_("I could not find exactly one place for \"{where}\". Please write the Gemeinde or Kreis "
                        "more precisely.", where=where))
            return
        scope = resolution.best.id
    if not await invites.may_invite(ctx.session, ctx.user, role, scope, ctx.app.superadmins):
        ctx.reply(_("Sorry, you may not invite to this role for this place. Coordinators can invite coordinators "
                    "for their own area; reviewers and admins are invited by an admin."))
        return
    await ctx.end_dialog()
    token, invite_row = await invites.create(ctx.session, ctx.user, role, scope)
    adapter = ctx.app.adapters.get(ctx.platform)
    link = adapter.private_link(token) if adapter is not None else None
    ctx.reply(
        _("Invitation for {role} ({scope}), valid once until {until}. Pass this on to the person, and only to them:",
          role=role_name(ctx, role), scope=scope_name(ctx, scope),
          until=local(invite_row.expires_at).strftime("%d.%m.%Y"))
        + "\n" + (link or f"/start {token}")
    )


@router.command("rollen", "roles", description=N_("Show my roles"))
async def my_roles(ctx: Context, args: str) -> None:
    grants = await roles.grants(ctx.session, ctx.user)
    if ctx.user in ctx.app.superadmins:
        ctx.reply(ctx._("You are an administrator of this bot (from the configuration)."))
        from handlers.roles_admin import show_area

        await show_area(ctx)
        return
    if not grants:
        ctx.reply(ctx._("You are a volunteer. Coordinators and admins can invite you to further roles."))
        return
    lines = [ctx._("Your roles:")]
    lines += [f"• {role_name(ctx, g.role)} – {scope_name(ctx, g.scope)}" for g in grants]
    ctx.reply("\n".join(lines))
    from handlers.roles_admin import show_area

    await show_area(ctx)
