"""What the chat says about claims: the summary, the reviewer's checks, and why something was refused.

Shared by the volunteer's and the reviewer's handlers; everything takes the reader's Translator, so a reviewer
reads a volunteer's claim in the reviewer's own language.
"""

from __future__ import annotations

from bot.claims import amounts, checks
from bot.claims.crypto import masked
from bot.claims.rules import TICKET
from bot.i18n import Translator
from bot.storage.models_claims import (
    APPROVED,
    EXPORTED,
    INFO,
    PAID,
    PENDING,
    REJECTED,
    SECOND_APPROVAL,
    WITHDRAWN,
    Claim,
)


def transport_name(t: Translator, transport: str) -> str:
    _ = t.gettext
    return {"car": _("car"), "motorcycle": _("motorcycle"), "bicycle": _("bicycle"),
            "ticket": _("bus or train ticket")}[transport]


def input_problem(t: Translator, error: amounts.InputError) -> str:
    _ = t.gettext
    return {
        "not_a_number": _("Please write just a number, e.g. 12,5."),
        "not_positive": _("The number must be more than 0."),
        "too_many_km": _("That is more than {limit} km for one trip. Please check the number.", limit=error.limit),
        "too_many_decimals": _("Please write the price with at most two decimal places, e.g. 12,50."),
        "too_expensive": _("That price is too high for one ticket. Please check the number."),
        "not_a_date": _("I could not read that date. Please write it like 14.03.2025, or \"yesterday\"."),
        "future": _("That date is in the future. Please claim a trip after it has taken place."),
        "too_old": _("Trips more than {limit} days ago cannot be claimed any more.", limit=error.limit),
    }[error.code]


def refusal(t: Translator, code: str) -> str:
    _ = t.gettext
    return {
        "own_claim": _("You cannot review your own claim. Another reviewer will check it."),
        "not_reviewer": _("Sorry, you are not allowed to do that. If you think you should be, ask your "
                          "coordinator."),
        "same_approver": _("You have already approved this claim. The second approval must come from another "
                           "reviewer."),
        "own_iban": _("This claim pays an account that you have used or saved yourself, so another reviewer must "
                      "decide on it."),
        "wrong_state": _("This claim has changed in the meantime. Nothing was done."),
        "not_yours": _("This is not your claim. Nothing was done."),
        "reason_required": _("Please write a reason the volunteer can act on, in a few words."),
        "question_required": _("Please write your question."),
        "answer_required": _("Please write your answer."),
        "receipt_required": _("A receipt is required for tickets. Please send a photo or PDF of it."),
        "receipt_gone": _("The receipt could not be found any more. Please send it again."),
        "transport": _("This means of transport is not reimbursed for this trip."),
        "no_batch": _("There is no such payment file."),
        "batch_paid": _("This payment file was already marked as paid. Nothing was done."),
        "batch_cancelled": _("This payment file was cancelled. Nothing was done."),
    }.get(code, _("This claim has changed in the meantime. Nothing was done."))


def describe(t: Translator, claim: Claim) -> str:
    """The claim as the volunteer confirms it and as the reviewer sees it."""
    _, lang = t.gettext, t.language
    lines = [
        _("Trip on {day}: {origin} → {destination}", day=amounts.day(claim.trip_date, lang),
          origin=claim.from_text, destination=claim.to_text),
    ]
    if claim.transport == TICKET:
        lines.append(_("Means of transport: {transport}, price {price}", transport=transport_name(t, TICKET),
                       price=amounts.money(claim.ticket_cents or 0, lang)))
    else:
        lines.append(_("Means of transport: {transport}, {km} km × {rate}",
                       transport=transport_name(t, claim.transport), km=amounts.km(claim.km_tenths or 0, lang),
                       rate=amounts.money(claim.rate_cents_per_km or 0, lang)))
    lines.append(_("Purpose: {purpose}", purpose=claim.purpose))
    lines.append(_("Receipt: attached") if claim.receipt_id else _("Receipt: none"))
    lines.append(_("Payout to: {holder}, IBAN {iban}", holder=claim.holder, iban=masked(claim.iban_last4)))
    if claim.uncapped_cents > claim.amount_cents:
        lines.append(_("Amount: {amount} (cut from {uncapped} to the most one claim pays)",
                       amount=amounts.money(claim.amount_cents, lang),
                       uncapped=amounts.money(claim.uncapped_cents, lang)))
    else:
        lines.append(_("Amount: {amount}", amount=amounts.money(claim.amount_cents, lang)))
    return "\n".join(lines)


def describe_checks(t: Translator, claim: Claim, findings: checks.Findings) -> str:
    _, lang = t.gettext, t.language
    lines = [_("Checks:")]
    for dup in findings.duplicates:
        reason = {"route": _("same day and route"), "amount": _("same day and amount"),
                  "receipt": _("the same receipt file")}[dup.reason]
        lines.append("⚠️ " + _("Possible duplicate of claim #{id} ({reason}, {status}).", id=dup.claim_id,
                                reason=reason, status=status_text(t, dup.status)))
    if not findings.duplicates:
        lines.append("✓ " + _("No duplicate found."))
    if findings.straight_km is not None and claim.km_tenths is not None:
        straight = amounts.km(round(findings.straight_km * 10), lang)
        claimed = amounts.km(claim.km_tenths, lang)
        if findings.distance == "too_far":
            lines.append("⚠️ " + _("{claimed} km claimed; the straight line is {straight} km – more than a round "
                                   "trip by road would be.", claimed=claimed, straight=straight))
        elif findings.distance == "too_short":
            lines.append("⚠️ " + _("{claimed} km claimed; the straight line alone is {straight} km.",
                                   claimed=claimed, straight=straight))
        else:
            lines.append("✓ " + _("{claimed} km claimed; straight line {straight} km – plausible.", claimed=claimed,
                                  straight=straight))
    elif claim.transport != TICKET:
        lines.append(_("Distance not checked: a place is not in the place index."))
    lines.append(t.ngettext("Total of this volunteer in {year}: {amount} in {n} claim.",
                            "Total of this volunteer in {year}: {amount} in {n} claims.", findings.year_claims,
                            year=findings.year, amount=amounts.money(findings.year_total_cents, lang)))
    if findings.allowance_cents:
        share = findings.year_total_cents / findings.allowance_cents
        text = t.gettext("That is {percent} % of the tax-free volunteer allowance (Ehrenamtspauschale) of {limit}.",
                         percent=round(share * 100), limit=amounts.money(findings.allowance_cents, lang))
        lines.append(("⚠️ " if share >= 0.8 else "") + text)
    if findings.same_iban_other_users:
        lines.append("⚠️ " + t.ngettext("The same IBAN was used by {n} other chat account.",
                                        "The same IBAN was used by {n} other chat accounts.",
                                        findings.same_iban_other_users))
    return "\n".join(lines)


def status_text(t: Translator, status: str) -> str:
    return {
        PENDING: t.gettext("waiting for review"),
        INFO: t.gettext("question to you open"),
        SECOND_APPROVAL: t.gettext("waiting for a second approval"),
        APPROVED: t.gettext("approved, payout pending"),
        REJECTED: t.gettext("rejected"),
        WITHDRAWN: t.gettext("withdrawn"),
        EXPORTED: t.gettext("in a bank transfer"),
        PAID: t.gettext("paid"),
    }.get(status, status)
