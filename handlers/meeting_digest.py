"""The weekly digest: a subscriber chooses one message on Monday mornings instead of a push per announcement."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.features import Feature
from bot.core.router import Router
from bot.i18n import N_
from bot.meetings import digest

ORDER = 48
router = Router()
ON_WORDS = ("an", "ein", "on", "ja", "yes", "woechentlich", "wöchentlich", "weekly")
OFF_WORDS = ("aus", "off", "nein", "no", "sofort", "einzeln")


FEATURE = Feature(jobs=(digest.digest_job,))


@router.command("wochenpost", "digest", description=N_("One message a week instead of one per announcement"),
                private_only=True)
async def digest_command(ctx: Context, args: str) -> None:
    _ = ctx._
    word = args.strip().lower()
    if word in ON_WORDS or word in OFF_WORDS:
        on = await digest.choose(ctx.session, ctx.user, word in ON_WORDS)
        ctx.reply(_("Weekly digest on: new meetings come in one message on Monday morning. Changes and "
                    "cancellations less than two days ahead still come at once.") if on else
                  _("Weekly digest off: each announcement comes at once."))
        return
    state = _("You get one message a week (Monday morning).") if await digest.chosen(ctx.session, ctx.user) else \
        _("You get each announcement at once.")
    ctx.reply(state, buttons=[[await ctx.button(_("One message a week"), "digest_set", {"on": True}),
                               await ctx.button(_("Each at once"), "digest_set", {"on": False})]])


@router.button("digest_set")
async def digest_button(ctx: Context, payload: dict) -> None:
    await digest_command(ctx, "on" if payload.get("on") is True else "off")
