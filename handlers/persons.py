"""/verknuepfen: say that two chat accounts (e.g. Telegram and Matrix) belong to the same person.

Nobody may decide on their own claim, and a second account must not make someone a stranger to it. The rule
itself lives in `bot.claims.identity`; this is only the chat around the one-time code.
"""

from __future__ import annotations

from bot.claims import identity
from bot.core.context import Context
from bot.core.router import Router
from bot.i18n import N_

ORDER = 45
router = Router()


@router.command("verknuepfen", "link", description=N_("Link your other chat account (e.g. Telegram and Matrix)"),
                private_only=True)
async def link_command(ctx: Context, args: str) -> None:
    code = args.strip()
    if not code:
        code = await identity.new_link_code(ctx.session, ctx.user)
        ctx.reply(ctx._("Send this from your other account within 15 minutes:\n\n/link {code}\n\nBoth "
                        "accounts then count as one person; for example, nobody reviews their own claim from a "
                        "second account.", code=code))
        return
    result = await identity.redeem_link_code(ctx.session, ctx.app, ctx.user, code)
    ctx.reply({
        "ok": ctx._("Done: this account and the other one now count as one person."),
        "self": ctx._("Please send the code from your other account, not from this one."),
    }.get(result, ctx._("This code is unknown or has expired. Ask for a new one with /link in your other "
                        "account.")))
