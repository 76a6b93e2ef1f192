"""Privacy for the people using the bot: what is kept, their data, deleting it, and the retention job.

/datenschutz says what is kept and for how long in the same words the retention job enforces, because it reads
the same settings. /meinedaten and /loeschen only work in a private chat: neither the export nor the question
whether to delete should ever appear in a group.
"""

from __future__ import annotations

import html
import logging

from bot import privacy, roles
from bot.claims import privacy as claims_privacy
from bot.core.context import Context
from bot.core.features import Feature
from bot.core.router import Router
from bot.directory import privacy as directory_privacy
from bot.i18n import N_
from bot.meetings import privacy as meetings_privacy
from bot.messages import OutgoingFile
from bot.timeutil import now

ORDER = 90
router = Router()
log = logging.getLogger(__name__)


@router.command("datenschutz", "privacy", description=N_("What I store about you, why and for how long"),
                keeps_dialog=True)
async def statement(ctx: Context, args: str) -> None:
    """The short statement fits one phone screen; the details come on request, one topic at a time."""
    policy = ctx.services.privacy.settings
    _ = ctx._
    controller = policy.controller or _("the organisation that runs this bot (ask your coordinator)")
    lines = [
        _("<b>Privacy</b>"),
        _("Responsible for your data: {controller}.", controller=html.escape(controller)),
    ]
    if policy.contact:
        lines.append(_("Questions about your data: {contact}.", contact=html.escape(policy.contact)))
    lines += [
        _("I store only what the functions you use need: your account on this platform, your language, roles, "
          "subscriptions and answers to meetings, until you delete them. Travel-cost claims are accounting "
          "records and are kept for {years} full calendar years.", years=policy.claims_retention_years),
        _("Your rights: access (/mydata), erasure (/delete), correction, and a complaint to a data protection "
          "supervisory authority."),
    ]
    ctx.reply("\n\n".join(lines), html=True, buttons=[[
        await ctx.button(_("What and why"), "privacy_details", {"part": "what"}),
        await ctx.button(_("How long"), "privacy_details", {"part": "how_long"}),
    ], [
        await ctx.button(_("Travel costs"), "privacy_details", {"part": "claims"}),
        await ctx.button(_("Your rights"), "privacy_details", {"part": "rights"}),
    ]])


@router.button("privacy_details")
async def statement_details(ctx: Context, payload: dict) -> None:
    policy = ctx.services.privacy.settings
    _ = ctx._
    part = payload.get("part")
    if part == "what":
        text = "\n\n".join([
            _("What I store and why:"),
            _("• Your account: your ID on this platform, your language and the chat with you, so I can answer and "
              "send you messages (legal basis: Art. 6(1)(b) GDPR, your use of this service)."),
            _("• Your roles, open dialogs, place subscriptions, quiet hours and your answers to meetings: so the "
              "functions you use work (Art. 6(1)(b) GDPR)."),
            _("Apart from what you enter in a dialog (for example a claim), I do not keep the texts of your "
              "messages, and my logs contain no message texts, names, phone numbers or IBANs. Your claims are seen "
              "only by the reviewers and admins responsible for them."),
        ])
    elif part == "how_long":
        text = "\n\n".join([
            _("How long I keep it:"),
            _("• Your account, roles, subscriptions and answers: until you delete them or your account. "
              "Unfinished dialogs are removed after they expire."),
            _("• Messages I send you are kept for {days} days after sending, so nothing gets lost on the way.",
              days=policy.deliveries_retention_days),
            _("• Travel-cost claims: {years} full calendar years, then they are deleted. If you delete your "
              "account, your claims are kept for that time without any link to your chat account. The IBAN of a "
              "claim is deleted once it has been paid, unless you asked me to remember your account.",
              years=policy.claims_retention_years),
        ])
    elif part == "claims":
        text = "\n\n".join([
            _("• Travel-cost claims with receipt and account details: to pay you and to keep the accounts "
              "(Art. 6(1)(b) and (c) GDPR, retention duties of tax and commercial law)."),
            _("• Who filed, checked or paid a claim is recorded with the claim, as an internal number instead of "
              "your chat account; once you delete your account, the number no longer leads to you."),
            _("• So that nobody decides on their own claim, also not from a second or a new account, a keyed "
              "fingerprint of your chat account (not the account itself) stays with your claims for as long as they "
              "are kept. Accounts you link with /link count as one person."),
        ])
    elif part == "rights":
        authority = policy.authority or _("the data protection authority of your Land (Bundesland)")
        text = "\n\n".join([
            _("Your rights:"),
            _("• Access: /mydata sends you everything I store about you."),
            _("• Erasure: /delete deletes your account and your data."),
            _("• Correction and objection: write to the person responsible (/privacy)."),
            _("• Complaint: you can complain to {authority}.", authority=authority),
        ])
    else:
        ctx.reply(_("This button is not valid (any more). Nothing was done. Send /help to start again."))
        return
    ctx.reply(text)


@router.command("meinedaten", "mydata", description=N_("Send me everything you store about me"), private_only=True,
                keeps_dialog=True)
async def my_data(ctx: Context, args: str) -> None:
    export = await privacy.export_readable(ctx.session, ctx.user, ctx.t, ctx.services.places.gazetteer,
                                           ctx.app.privacy_sections)
    stamp = now().strftime("%Y-%m-%d")
    ctx.reply(
        ctx._("Here is everything I store about you: a page to read on your phone, and the same as a JSON file "
              "for programs. Account numbers show only their last four digits."),
        file=OutgoingFile(f"helferbot-data-{stamp}.html", "text/html", export.as_html(ctx.t)),
    )
    ctx.reply("", file=OutgoingFile(f"helferbot-data-{stamp}.json", "application/json", export.as_json(ctx.t)))


@router.command("loeschen", "delete", description=N_("Delete my account and my data"), private_only=True)
async def delete(ctx: Context, args: str) -> None:
    _ = ctx._
    entries = await directory_privacy.entries_of(ctx.session, ctx.user.id)
    organised = await meetings_privacy.named_as_organiser(ctx.session, ctx.user.id)
    years = ctx.services.privacy.settings.claims_retention_years
    parts = [_("Do you really want me to delete your account? Your roles, subscriptions, answers to meetings, "
               "open dialogs and saved account details will be deleted. This cannot be undone.")]
    if entries:
        parts.append(ctx.ngettext(
            "Your entry in the contact directory ({places}) is shown to everyone who asks for a contact. I delete "
            "it too, unless you want to hand it over to the admins for your successor.",
            "Your entries in the contact directory ({places}) are shown to everyone who asks for a contact. "
            "I delete them too, unless you want to hand them over to the admins for your successor.",
            len(entries), places=", ".join(sorted({place_name(ctx, e.place_id) for e in entries}))))
    if organised:
        parts.append(ctx.ngettext(
            "Your name is removed from the meeting you announced; the meeting stays for those who follow it.",
            "Your name is removed from the meetings you announced; the meetings stay for those who follow "
            "them.", organised))
    parts.append(_("What stays: travel-cost claims are accounting records. They are kept for {years} years, but no "
                   "longer linked to you.", years=years))
    choices = [[await ctx.button(_("Yes, delete everything"), "privacy_delete", single_use=True)]]
    if entries:
        choices.append([await ctx.button(_("Delete, hand my directory entry over"), "privacy_delete",
                                         {"hand_over": True}, single_use=True)])
    choices.append([await ctx.button(_("No, keep my account"), "privacy_keep", single_use=True)])
    ctx.reply("\n\n".join(parts), buttons=choices)


def place_name(ctx: Context, place_id: str) -> str:
    place = ctx.services.places.gazetteer.get(place_id)
    return place.name if place is not None else place_id


@router.button("privacy_delete")
async def delete_confirmed(ctx: Context, payload: dict) -> None:
    _ = ctx._
    hand_over = payload.get("hand_over") is True
    uid = ctx.user.id
    handed_over_to = []
    if hand_over:
        for entry in await directory_privacy.entries_of(ctx.session, uid):
            people = await ctx.app.users_with_role(ctx.session, roles.COORDINATOR, entry.place_id)
            handed_over_to.append((entry.place_id, [p for p in people if p.id != uid]))
    choices = frozenset({directory_privacy.HAND_OVER}) if hand_over else frozenset()
    done = await privacy.delete_user(ctx.session, ctx.user, ctx.app.erasers, choices=choices)
    text = _("Done: your account and everything linked to it have been deleted.")
    entries = done.outcome(directory_privacy.EntriesErased) or directory_privacy.EntriesErased()
    unnamed = done.outcome(meetings_privacy.OrganiserNamesCleared)
    kept = done.outcome(claims_privacy.ClaimsKept)
    if entries.deleted:
        text += "\n\n" + ctx.ngettext("Your directory entry has been deleted.",
                                       "Your directory entries have been deleted.", entries.deleted)
    if entries.handed_over:
        text += "\n\n" + ctx.ngettext(
            "Your directory entry stays as it is until an admin or coordinator changes it; it is no longer linked "
            "to you.",
            "Your directory entries stay as they are until an admin or coordinator changes them; they are no "
            "longer linked to you.", len(entries.handed_over))
    if unnamed is not None and unnamed.meetings:
        text += "\n\n" + ctx.ngettext("Your name was removed from the meeting you announced.",
                                       "Your name was removed from the meetings you announced.",
                                       unnamed.meetings)
    if kept is not None and kept.claims:
        text += "\n\n" + ctx.ngettext(
            "Your {n} travel-cost claim is kept as an accounting record, without any link to you, for {years} "
            "years; then it is deleted.",
            "Your {n} travel-cost claims are kept as accounting records, without any link to you, for {years} "
            "years; then they are deleted.", kept.claims,
            years=ctx.services.privacy.settings.claims_retention_years,
        )
    text += "\n\n" + _("If you write to me again, I will start with a new, empty account.")
    ctx.reply(text, edit=True)
    for place_id, people in handed_over_to:
        for person in people:
            await ctx.app.notify(ctx.session, person, lambda t, p=place_id: t.gettext(
                "A coordinator deleted their account and handed over their directory entry for {place}. Please "
                "check it is still right: /contact {place}", place=place_name(ctx, p)))


@router.button("privacy_keep")
async def delete_declined(ctx: Context, payload: dict) -> None:
    ctx.reply(ctx._("Nothing was deleted."), edit=True)


FEATURE = Feature(jobs=(privacy.retention_job,))
