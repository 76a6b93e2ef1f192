"""Reviewing claims (/pruefen) and paying them out (/auszahlung).

Every button here checks again, when pressed, that the presser is a reviewer (or admin) for this claim's place,
is not the claimant, and for a second approval is not the first approver: a button is only a shortcut, never a
permission. The decisions themselves live in `bot.claims.workflow`, shared with the command line.
"""

from __future__ import annotations

from bot import roles
from bot.claims import allowance as allowance_mod
from bot.claims import amounts, audit, checks, export, texts, workflow
from bot.core.context import Context
from bot.core.router import Router
from bot.i18n import N_
from bot.messages import OutgoingFile
from bot.storage.models_claims import APPROVED, REVIEWABLE, Claim, PayoutBatch, Receipt
from handlers.claims import row_id

ORDER = 41
router = Router()
REASON_DIALOG = "claim_review"


@router.command("pruefen", "review", description=N_("Review travel-cost claims (reviewers)"), private_only=True)
async def review_command(ctx: Context, args: str) -> None:
    if not await ctx.require(roles.REVIEWER, anywhere=True):
        return
    claims, total = await workflow.queue(ctx.session, ctx.app, ctx.user)
    if not claims:
        ctx.reply(ctx._("There are no claims waiting for your review."))
        return
    rows = []
    for c in claims:
        label = (f"#{c.id} · {amounts.day(c.trip_date, ctx.language)} · {workflow.route(c)} · "
                 f"{amounts.money(c.amount_cents, ctx.language)}")
        rows.append([await ctx.button(label[:120], "claim_open", {"claim": c.id})])
    text = ctx.ngettext("{n} claim is waiting for your review:", "{n} claims are waiting for your review:", total)
    if total > len(claims):
        text += "\n" + ctx._("Showing the oldest {shown}.", shown=len(claims))
    ctx.reply(text, buttons=rows)


async def load_for_reviewer(ctx: Context, payload: dict) -> Claim | None:
    """The claim, if this user may see it as a reviewer; otherwise says why and returns None."""
    claim_id = row_id(payload, "claim")
    claim = await ctx.session.get(Claim, claim_id) if claim_id else None
    if claim is None:
        ctx.reply(texts.refusal(ctx.t, "wrong_state"))
        return None
    if claim.user_id == ctx.user.id:
        ctx.reply(texts.refusal(ctx.t, "own_claim"))
        return None
    if not await ctx.require(roles.REVIEWER, claim.place_id):
        return None
    return claim


@router.button("claim_open")
async def open_claim(ctx: Context, payload: dict) -> None:
    claim = await load_for_reviewer(ctx, payload)
    if claim is None:
        return
    _ = ctx._
    findings = await checks.examine(ctx.session, claim, ctx.services.places.gazetteer,
                                    ctx.services.claims.settings.payout.allowance_cents_per_year)
    parts = [_("Claim #{id} – {status}", id=claim.id, status=texts.status_text(ctx.t, claim.status)),
             texts.describe(ctx.t, claim), texts.describe_checks(ctx.t, claim, findings)]
    conversation = [e for e in await audit.history(ctx.session, claim.id)
                    if e.action in ("info_requested", "info_answered", "approved_first")]
    for entry in conversation:
        if entry.action == "info_requested":
            parts.append(_("Question: {text}", text=entry.note))
        elif entry.action == "info_answered":
            parts.append(_("Answer: {text}", text=entry.note))
        else:
            parts.append(_("First approval given; a second reviewer must approve."))
    rows = []
    if claim.status in REVIEWABLE:
        try:
            await workflow.may_review(ctx.session, ctx.app, claim, ctx.user)
        except workflow.Refused as refused:
            parts.append(texts.refusal(ctx.t, refused.code))
        else:
            rows = [[await ctx.button(_("Approve"), "claim_approve", {"claim": claim.id}, single_use=True),
                     await ctx.button(_("Reject"), "claim_reject", {"claim": claim.id}),
                     await ctx.button(_("Ask for information"), "claim_ask", {"claim": claim.id})],
                    [await ctx.button(_("Correct km or amount"), "claim_correct", {"claim": claim.id})]]
    ctx.reply("\n\n".join(parts), buttons=rows)
    if claim.receipt_id is not None:
        receipt = await ctx.session.get(Receipt, claim.receipt_id)
        if receipt is not None:
            ctx.reply(_("Receipt for claim #{id}", id=claim.id),
                      file=OutgoingFile(f"beleg-{claim.id}-{receipt.filename}", receipt.mime_type, receipt.data))


@router.button("claim_approve")
async def approve(ctx: Context, payload: dict) -> None:
    claim = await load_for_reviewer(ctx, payload)
    if claim is None:
        return
    try:
        status = await workflow.approve(ctx.session, ctx.app, claim, ctx.user)
    except workflow.Refused as refused:
        ctx.reply(texts.refusal(ctx.t, refused.code))
        return
    if status == APPROVED:
        ctx.reply(ctx._("Claim #{id} is approved. The volunteer has been told.", id=claim.id))
    else:
        ctx.reply(ctx._("Your approval of claim #{id} is recorded. Because of the amount, a second reviewer must "
                        "approve it too.", id=claim.id))


@router.button("claim_reject")
async def reject(ctx: Context, payload: dict) -> None:
    await start_reason(ctx, payload, "reject")


@router.button("claim_ask")
async def ask(ctx: Context, payload: dict) -> None:
    await start_reason(ctx, payload, "ask")


@router.button("claim_correct")
async def correct(ctx: Context, payload: dict) -> None:
    await start_reason(ctx, payload, "correct")


async def start_reason(ctx: Context, payload: dict, kind: str) -> None:
    claim = await load_for_reviewer(ctx, payload)
    if claim is None:
        return
    try:
        await workflow.may_review(ctx.session, ctx.app, claim, ctx.user)
    except workflow.Refused as refused:
        ctx.reply(texts.refusal(ctx.t, refused.code))
        return
    if claim.status not in REVIEWABLE:
        ctx.reply(texts.refusal(ctx.t, "wrong_state"))
        return
    await ctx.start_dialog(REASON_DIALOG, kind, {"claim": claim.id})
    if kind == "correct":
        what = ctx._("the ticket price in euros") if claim.ticket_cents is not None else ctx._("the kilometres")
        ctx.reply(ctx._("Please write {what} as it should be, then the reason, e.g. \"38 according to the route "
                        "planner\". The volunteer will read it. (/cancel to stop)", what=what))
    elif kind == "reject":
        ctx.reply(ctx._("Please write the reason for rejecting claim #{id}. The volunteer will read it. (/cancel to "
                        "stop)", id=claim.id))
    else:
        ctx.reply(ctx._("Please write your question about claim #{id}. The volunteer answers in the chat. (/cancel "
                        "to stop)", id=claim.id))


@router.dialog(REASON_DIALOG)
async def reason_dialog(ctx: Context) -> None:
    assert ctx.dialog is not None
    if ctx.is_group:
        await ctx.app.point_to_private(ctx)
        return
    text = ctx.text.strip()
    if ctx.attachment is not None or not text:
        ctx.reply(ctx._("Please write it as a text message, or /cancel."))
        return
    kind = ctx.dialog.step
    claim = await load_for_reviewer(ctx, ctx.dialog.data)
    if claim is None:
        await ctx.end_dialog()
        return
    try:
        if kind == "correct":
            number, _space, reason = text.partition(" ")
            ticket = claim.ticket_cents is not None
            rules = workflow.rules_for(ctx.app, claim.place_id, claim.trip_date)
            value = amounts.parse_cents(number) if ticket else amounts.parse_km(number, rules.max_km)
            await workflow.correct(ctx.session, ctx.app, claim, ctx.user, value, reason)
            await ctx.end_dialog()
            ctx.reply(ctx._("Claim #{id} is corrected to {amount} and waits for approval; the volunteer has been told.",
                            id=claim.id, amount=amounts.money(claim.amount_cents, ctx.language)))
            return
        if kind == "reject":
            await workflow.reject(ctx.session, ctx.app, claim, ctx.user, text)
        else:
            await workflow.ask(ctx.session, ctx.app, claim, ctx.user, text)
    except amounts.InputError as error:
        ctx.reply(texts.input_problem(ctx.t, error))
        return
    except workflow.Refused as refused:
        if refused.code != "reason_required":  # too short a reason: the question stays open
            await ctx.end_dialog()
        ctx.reply(texts.refusal(ctx.t, refused.code))
        return
    await ctx.end_dialog()
    if kind == "reject":
        ctx.reply(ctx._("Claim #{id} is rejected. The volunteer has been told the reason.", id=claim.id))
    else:
        ctx.reply(ctx._("Your question has been sent. I will tell you the answer."))


# --- payout --------------------------------------------------------------------------------------------------

@router.command("auszahlung", "payout", description=N_("Pay out approved claims (admins)"), private_only=True)
async def payout_command(ctx: Context, args: str) -> None:
    if not await ctx.require(roles.ADMIN):
        return
    _ = ctx._
    count, total = await workflow.unpaid_total(ctx.session)
    lines = [ctx.ngettext("Approved and not yet paid out: {n} claim, {amount}.",
                          "Approved and not yet paid out: {n} claims, {amount}.", count,
                          amount=amounts.money(int(total), ctx.language))]
    rows = [[await ctx.button(_("SEPA file"), "claim_export", {"format": "sepa"}, single_use=True),
             await ctx.button(_("List (CSV)"), "claim_export", {"format": "csv"}),
             await ctx.button(_("List (Excel)"), "claim_export", {"format": "xlsx"})]]
    allowance = workflow.settings(ctx.app).payout.allowance_cents_per_year
    year = workflow.today().year
    near = await allowance_mod.near_limit(ctx.session, year, allowance)
    if near:
        lines.append(_("Near or over the tax-free volunteer allowance of {limit} in {year}:",
                       limit=amounts.money(allowance, ctx.language), year=year))
        lines += [_("• person {who}: {amount} (claims {ids})", who=who, amount=amounts.money(total, ctx.language),
                    ids=", ".join(f"#{i}" for i in ids)) for who, total, ids in near]
    for batch in await workflow.open_batches(ctx.session):
        lines.append(ctx.ngettext(
            "Payment file #{batch}: {n} claim, {amount}, waiting for confirmation that the bank executed it.",
            "Payment file #{batch}: {n} claims, {amount}, waiting for confirmation that the bank executed it.",
            batch.count, batch=batch.id, amount=amounts.money(batch.total_cents, ctx.language)))
        rows.append([await paid_button(ctx, batch)])
    ctx.reply("\n".join(lines), buttons=rows)


async def paid_button(ctx: Context, batch: PayoutBatch):
    return await ctx.button(ctx._("Payment file #{batch} has been paid", batch=batch.id), "claim_paid",
                            {"batch": batch.id, "confirm": False})


@router.button("claim_export")
async def export_button(ctx: Context, payload: dict) -> None:
    if not await ctx.require(roles.ADMIN):
        return
    _ = ctx._
    fmt = payload.get("format")
    if fmt in ("csv", "xlsx"):
        claims = await export.select_claims(ctx.session, export.PAYOUT)
        table = export.rows(claims, approved_by=await export.approvers(ctx.session, claims))
        data = export.to_csv(table) if fmt == "csv" else export.to_xlsx(table)
        ctx.reply(_("The claims being paid out (approved, or in a payment file not yet confirmed as paid), with "
                    "the total; IBANs shortened."),
                  file=OutgoingFile(f"fahrtkosten.{fmt}", export.MIME[fmt], data))
        return
    if fmt != "sepa":
        return
    try:
        sepa = await workflow.export_sepa(ctx.session, ctx.app, ctx.user)
    except workflow.ExportRefused as refused:
        text = {
            "nothing": _("There are no approved claims that are not in a payment file yet."),
            "config": _("The payout account is not configured (payout.debtor_name, payout.debtor_iban)."),
            "skipped": _("None of the approved claims can be put into a payment file:"),
        }.get(refused.code, _("Another export ran at the same time. Please try again."))
        ctx.reply("\n".join([text, *skipped_lines(ctx, refused.skipped)]),
                  buttons=await skipped_rows(ctx, refused.skipped))
        return
    ctx.reply(ctx.ngettext(
        "Payment file #{batch}: {n} claim, {amount}. Upload it to the bank; once the bank has executed it, "
        "confirm with the button.",
        "Payment file #{batch}: {n} claims, {amount}. Upload it to the bank; once the bank has executed it, "
        "confirm with the button.",
        sepa.batch.count, batch=sepa.batch.id, amount=amounts.money(sepa.batch.total_cents, ctx.language)),
              file=OutgoingFile(sepa.filename, export.MIME["sepa"], sepa.data),
              buttons=[[await paid_button(ctx, sepa.batch)]])
    if sepa.skipped:
        ctx.reply("\n".join([_("Left out of this file (they stay approved until you send them back to review):"),
                              *skipped_lines(ctx, sepa.skipped)]), buttons=await skipped_rows(ctx, sepa.skipped))


def skipped_lines(ctx: Context, skipped) -> list[str]:
    _ = ctx._
    why = {"name": _("the account holder's name cannot be written in a bank transfer"),
           "iban": _("the IBAN is not valid"),
           "undecryptable": _("the IBAN cannot be decrypted with the configured key (ask the operator)")}
    return [_("Claim #{id}: {reason}", id=claim_id, reason=why.get(code, code)) for claim_id, code in skipped]


async def skipped_rows(ctx: Context, skipped) -> list:
    return [[await ctx.button(ctx._("Send #{id} back to review", id=claim_id), "claim_send_back",
                              {"claim": claim_id, "why": code}, single_use=True)] for claim_id, code in skipped]


@router.button("claim_send_back")
async def send_back(ctx: Context, payload: dict) -> None:
    if not await ctx.require(roles.ADMIN):
        return
    claim_id = row_id(payload, "claim")
    claim = await ctx.session.get(Claim, claim_id) if claim_id else None
    if claim is None:
        ctx.reply(texts.refusal(ctx.t, "wrong_state"))
        return
    why = str(payload.get("why", ""))[:20]
    try:
        await workflow.send_back(ctx.session, ctx.app, claim, ctx.user,
                                 f"left out of the SEPA file: {workflow.SKIP_REASONS.get(why, why)}")
    except workflow.Refused as refused:
        ctx.reply(texts.refusal(ctx.t, refused.code))
        return
    ctx.reply(ctx._("Claim #{id} is back in review; the reviewers have been told.", id=claim.id))


@router.button("claim_paid")
async def paid(ctx: Context, payload: dict) -> None:
    if not await ctx.require(roles.ADMIN):
        return
    batch_id = row_id(payload, "batch")
    batch = await ctx.session.get(PayoutBatch, batch_id) if batch_id else None
    if batch is None:
        ctx.reply(texts.refusal(ctx.t, "no_batch"))
        return
    if not payload.get("confirm"):
        yes = await ctx.button(ctx._("Yes, the bank has paid it"), "claim_paid",
                               {"batch": batch.id, "confirm": True}, single_use=True)
        ctx.reply(ctx.ngettext(
            "Mark payment file #{batch} ({n} claim, {amount}) as paid? Do this only once the bank has executed "
            "the transfer.",
            "Mark payment file #{batch} ({n} claims, {amount}) as paid? Do this only once the bank has executed "
            "the transfer.",
            batch.count, batch=batch.id, amount=amounts.money(batch.total_cents, ctx.language)), buttons=[[yes]])
        return
    try:
        await workflow.mark_paid(ctx.session, ctx.app, batch.id, ctx.user)
    except workflow.Refused as refused:
        ctx.reply(texts.refusal(ctx.t, refused.code))
        return
    ctx.reply(ctx._("Payment file #{batch} is marked as paid; the volunteers have been told.", batch=batch.id))
