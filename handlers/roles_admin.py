"""/rollen for coordinators and admins: who holds which role in their area, and taking roles and invites back.

People are shown by their internal number (a pseudonym): the bot keeps no names. Every revocation asks for
confirmation, is checked again when confirmed, is audited, and the person concerned is told.
"""

from __future__ import annotations

from bot import invites, role_admin, roles
from bot.core.context import Context
from bot.core.router import Router
from bot.i18n import Translator
from bot.storage.models import Invite, RoleGrant, User
from bot.timeutil import local
from handlers.claims import row_id

ORDER = 12
router = Router()
MAX_SHOWN = 30


def role_label(t: Translator, role: str) -> str:
    return {roles.COORDINATOR: t.gettext("coordinator"), roles.REVIEWER: t.gettext("reviewer"),
            roles.ADMIN: t.gettext("admin")}.get(role, role)


def scope_label(ctx: Context, t: Translator, scope: str) -> str:
    if scope == roles.EVERYWHERE:
        return t.gettext("everywhere")
    place = ctx.services.places.gazetteer.get(scope)
    return place.name if place is not None else scope


async def show_area(ctx: Context) -> None:
    found = await role_admin.overview(ctx.session, ctx.user, ctx.app.superadmins)
    if found is None:
        return
    _, t = ctx._, ctx.t
    lines = [_("Roles in your area (people by their number):")]
    rows = []
    for g in found.grants[:MAX_SHOWN]:
        line = f"• #{g.user_id}: {role_label(t, g.role)} – {scope_label(ctx, t, g.scope)}"
        lines.append(line)
        if g.user_id != ctx.user.id and await role_admin.may_revoke(ctx.session, ctx.user, g.role, g.scope,
                                                                     ctx.app.superadmins):
            rows.append([await ctx.button(_("Revoke: #{who} {role}", who=g.user_id, role=role_label(t, g.role)),
                                          "role_revoke", {"grant": g.id})])
    if not found.grants:
        lines.append(_("Nobody holds a role here yet."))
    if found.invites:
        lines.append(_("Open invitations:"))
    for i in found.invites[:MAX_SHOWN]:
        lines.append(_("• {role} – {scope}, valid until {until}", role=role_label(t, i.role),
                       scope=scope_label(ctx, t, i.scope), until=local(i.expires_at).strftime("%d.%m.%Y")))
        if await role_admin.may_revoke(ctx.session, ctx.user, i.role, i.scope, ctx.app.superadmins):
            rows.append([await ctx.button(_("Revoke invitation: {role} – {scope}", role=role_label(t, i.role),
                                            scope=scope_label(ctx, t, i.scope)), "invite_revoke", {"invite": i.id})])
    ctx.reply("\n".join(lines), buttons=rows)


@router.button("role_revoke")
async def revoke_role_button(ctx: Context, payload: dict) -> None:
    grant_id = row_id(payload, "grant")
    grant = await ctx.session.get(RoleGrant, grant_id) if grant_id else None
    if grant is None or not await role_admin.may_revoke(ctx.session, ctx.user, grant.role, grant.scope,
                                                        ctx.app.superadmins):
        ctx.reply(ctx._("This role is gone already, or you may not take it back. Nothing was done."))
        return
    what = ctx._("#{who}: {role} – {scope}", who=grant.user_id, role=role_label(ctx.t, grant.role),
                 scope=scope_label(ctx, ctx.t, grant.scope))
    if payload.get("confirm") is not True:
        yes = await ctx.button(ctx._("Yes, revoke"), "role_revoke", {"grant": grant.id, "confirm": True},
                               single_use=True)
        ctx.reply(ctx._("Really revoke this role? {what}", what=what), buttons=[[yes]])
        return
    holder = await ctx.session.get(User, grant.user_id)
    role, scope = grant.role, grant.scope
    await role_admin.revoke_grant(ctx.session, ctx.user, grant.id, ctx.app.superadmins)
    if holder is not None:
        await ctx.app.notify(ctx.session, holder, lambda t: t.gettext(
            "Your role {role} for {scope} has been revoked. If you think this is a mistake, ask your coordinator.",
            role=role_label(t, role), scope=scope_label(ctx, t, scope)))
    ctx.reply(ctx._("Revoked: {what}. The person has been told.", what=what))


@router.button("invite_revoke")
async def revoke_invite_button(ctx: Context, payload: dict) -> None:
    invite_id = row_id(payload, "invite")
    invite = await ctx.session.get(Invite, invite_id) if invite_id else None
    if invite is None or invite.redeemed_at is not None or not await role_admin.may_revoke(
            ctx.session, ctx.user, invite.role, invite.scope, ctx.app.superadmins):
        ctx.reply(ctx._("This invitation is used or gone already, or you may not revoke it. Nothing was done."))
        return
    what = ctx._("invitation {role} – {scope}", role=role_label(ctx.t, invite.role),
                 scope=scope_label(ctx, ctx.t, invite.scope))
    if payload.get("confirm") is not True:
        yes = await ctx.button(ctx._("Yes, revoke"), "invite_revoke", {"invite": invite.id, "confirm": True},
                               single_use=True)
        ctx.reply(ctx._("Really revoke this role? {what}", what=what), buttons=[[yes]])
        return
    await role_admin.revoke_invite(ctx.session, ctx.user, invite.id, ctx.app.superadmins)
    ctx.reply(ctx._("Revoked: {what}. It can no longer be used.", what=what))


async def tell_inviter(ctx: Context, result: invites.Redeemed) -> None:
    """The person who made an invitation learns when it is used (and can revoke the role if it was not meant)."""
    role, scope, user_id = result.role or "", result.scope or "", ctx.user.id
    await ctx.app.notify(ctx.session, result.inviter, lambda t: t.gettext(
        "Your invitation for {role} ({scope}) has been used by person #{who}. See /roles.",
        role=role_label(t, role), scope=scope_label(ctx, t, scope), who=user_id))
