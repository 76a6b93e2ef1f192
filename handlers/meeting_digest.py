"""The weekly digest: a subscriber chooses one message on Monday mornings instead of a push per announcement."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.features import Feature
from bot.core.router import Router
from bot.i18n import N_
from bot.meetings import digest
from bot.storage.models_meetings import MeetingUserSettings
from bot.timeutil import now

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
    row = await ctx.session.get(MeetingUserSettings, ctx.user.id)
    if word in ON_WORDS or word in OFF_WORDS:
        if row is None:
            row = MeetingUserSettings(user_id=ctx.user.id, quiet_enabled=True, updated_at=now())
            ctx.session.add(row)
        row.digest, row.updated_at = word in ON_WORDS, now()
        await ctx.session.flush()
        ctx.reply(_("Weekly digest on: new meetings come in one message on Monday morning. Changes and "
                    "cancellations less than two days ahead still come at once.") if row.digest else
                  _("Weekly digest off: each announcement comes at once."))
        return
    state = _("You get one message a week (Monday morning).") if row is not None and row.digest else \
        _("You get each announcement at once.")
    ctx.reply(state, buttons=[[await ctx.button(_("One message a week"), "digest_set", {"on": True}),
                               await ctx.button(_("Each at once"), "digest_set", {"on": False})]])


@router.button("digest_set")
async def digest_button(ctx: Context, payload: dict) -> None:
    await digest_command(ctx, "on" if payload.get("on") is True else "off")
