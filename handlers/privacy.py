"""Privacy for the people using the bot: what is kept, their data, deleting it, and the retention job.

/datenschutz says what is kept and for how long in the same words the retention job enforces, because it reads
the same settings. /meinedaten and /loeschen only work in a private chat: neither the export nor the question
whether to delete should ever appear in a group.
"""

from __future__ import annotations

import logging

from bot import privacy
from bot.core.context import Context
from bot.core.features import Feature
from bot.core.router import Router
from bot.i18n import N_
from bot.messages import OutgoingFile
from bot.timeutil import now

ORDER = 90
router = Router()
log = logging.getLogger(__name__)


@router.command("datenschutz", "privacy", description=N_("What I store about you, why and for how long"),
                keeps_dialog=True)
async def statement(ctx: Context, args: str) -> None:
    policy = ctx.services.privacy.settings
    _ = ctx._
    ctx.reply("\n\n".join([
        _("What I store about you, why and for how long:"),
        _("• Your account: your ID on this platform, your language and the chat with you, so I can answer and "
          "send you messages. Kept until you delete it with /delete."),
        _("• Your roles, open dialogs, place subscriptions, quiet hours and your answers to meetings: so the "
          "functions you use work. Kept until you delete them or your account. Unfinished dialogs are removed "
          "after they expire."),
        _("• Messages I send you are kept for {days} days after sending, so nothing gets lost on the way.",
          days=policy.deliveries_retention_days),
        _("• Travel-cost claims with receipt and account details: accounting records. They are kept for {years} "
          "full calendar years and then deleted. If you delete your account, your claims are kept for that "
          "time without any link to your chat account. The IBAN of a claim is deleted once it has been paid, "
          "unless you asked me to remember your account.", years=policy.claims_retention_years),
        _("• So that nobody decides on their own claim, also not from a second or a new account, a keyed "
          "fingerprint of your chat account (not the account itself) stays with your claims for as long as they "
          "are kept. Accounts you link with /link count as one person."),
        _("• Who filed, checked or paid a claim is recorded with the claim, as an internal number instead of your "
          "chat account; once you delete your account, the number no longer leads to you."),
        _("Apart from what you enter in a dialog (for example a claim), I do not keep the texts of your "
          "messages, and my logs contain no message texts, names, phone numbers or IBANs. Your claims are seen "
          "only by the reviewers and admins responsible for them."),
        _("/mydata sends you everything I store about you as a file. /delete deletes your account."),
    ]))


@router.command("meinedaten", "mydata", description=N_("Send me everything you store about me"), private_only=True,
                keeps_dialog=True)
async def my_data(ctx: Context, args: str) -> None:
    data = await privacy.export_user(ctx.session, ctx.user)
    stamp = now().strftime("%Y-%m-%d")
    ctx.reply(
        ctx._("Here is everything I store about you, as a JSON file. Account numbers show only their last four "
              "digits."),
        file=OutgoingFile(f"helferbot-data-{stamp}.json", "application/json", privacy.export_json(data)),
    )


@router.command("loeschen", "delete", description=N_("Delete my account and my data"), private_only=True)
async def delete(ctx: Context, args: str) -> None:
    _ = ctx._
    ctx.reply(
        _("Do you really want me to delete your account? Your roles, subscriptions, answers to meetings, "
          "open dialogs and saved account details will be deleted. This cannot be undone.\n\nTravel-cost "
          "claims are accounting records: they are kept for {years} years, but no longer linked to you.",
          years=ctx.services.privacy.settings.claims_retention_years),
        buttons=[[
            await ctx.button(_("Yes, delete everything"), "privacy_delete", single_use=True),
            await ctx.button(_("No, keep my account"), "privacy_keep", single_use=True),
        ]],
    )


@router.button("privacy_delete")
async def delete_confirmed(ctx: Context, payload: dict) -> None:
    _ = ctx._
    done = await privacy.delete_user(ctx.session, ctx.user)
    text = _("Done: your account and everything linked to it have been deleted.")
    if done.claims_kept:
        text += "\n\n" + ctx.ngettext(
            "Your {n} travel-cost claim is kept as an accounting record, without any link to you, for {years} "
            "years; then it is deleted.",
            "Your {n} travel-cost claims are kept as accounting records, without any link to you, for {years} "
            "years; then they are deleted.", done.claims_kept,
            years=ctx.services.privacy.settings.claims_retention_years,
        )
    text += "\n\n" + _("If you write to me again, I will start with a new, empty account.")
    ctx.reply(text, edit=True)


@router.button("privacy_keep")
async def delete_declined(ctx: Context, payload: dict) -> None:
    ctx.reply(ctx._("Nothing was deleted."), edit=True)


FEATURE = Feature(jobs=(privacy.retention_job,))
