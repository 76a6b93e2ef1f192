"""`helferbot roles list|revoke|revoke-invite`: who holds which role, and taking roles and invitations back.

The same rules and audit log as /rollen in the chat (`bot.role_admin`); the operator acts as "cli".
"""

from __future__ import annotations

import asyncio
import sys

from bot.config import ConfigError


def register(subparsers) -> None:
    parser = subparsers.add_parser("roles", help="list role holders and open invitations; revoke them")
    parser.add_argument("--config", "-c", dest="config_sub")
    sub = parser.add_subparsers(dest="roles_command", required=True)
    p_list = sub.add_parser("list", help="every role and open invitation, people by their internal number")
    p_list.add_argument("--config", "-c", dest="config_sub")
    p_revoke = sub.add_parser("revoke", help="take a role back (see `roles list` for the number)")
    p_revoke.add_argument("--grant", type=int, required=True)
    p_revoke.add_argument("--config", "-c", dest="config_sub")
    p_invite = sub.add_parser("revoke-invite", help="make an open invitation unusable")
    p_invite.add_argument("--invite", type=int, required=True)
    p_invite.add_argument("--config", "-c", dest="config_sub")
    parser.set_defaults(handler=run)


def run(cfg, args) -> int:
    return asyncio.run(_run(cfg, args))


async def _run(cfg, args) -> int:
    from bot.wiring import build_app

    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        app = build_app(cfg)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    try:
        await app.db.migrate()
        async with app.db.session() as session:
            code = await _command(app, session, args)
            await session.commit()
        return code
    finally:
        await app.db.dispose()


async def _command(app, session, args) -> int:
    from sqlalchemy import select

    from bot import role_admin
    from bot.storage.models import Invite, RoleGrant
    from bot.timeutil import local, now

    if args.roles_command == "list":
        for g in await session.scalars(select(RoleGrant).order_by(RoleGrant.id)):
            print(f"grant {g.id}: user #{g.user_id} {g.role} for {g.scope or 'everywhere'}")
        for i in await session.scalars(select(Invite).where(Invite.redeemed_at.is_(None), Invite.expires_at > now())):
            print(f"invite {i.id}: {i.role} for {i.scope or 'everywhere'}, by user #{i.created_by}, valid until "
                  f"{local(i.expires_at):%Y-%m-%d}")
        return 0
    if args.roles_command == "revoke":
        grant = await role_admin.revoke_grant(session, None, args.grant, app.superadmins)
        if grant is None:
            print(f"there is no role grant {args.grant}", file=sys.stderr)
            return 1
        print(f"revoked: user #{grant.user_id} {grant.role} for {grant.scope or 'everywhere'}")
        return 0
    invite = await role_admin.revoke_invite(session, None, args.invite, app.superadmins)
    if invite is None:
        print(f"there is no open invitation {args.invite}", file=sys.stderr)
        return 1
    print(f"revoked invitation {invite.id}: {invite.role} for {invite.scope or 'everywhere'}")
    return 0
