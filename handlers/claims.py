"""Filing a travel-cost claim (/fahrtkosten), following it (/meineantraege), withdrawing it and answering questions.

The dialog asks one thing at a time and keeps its answers in the dialog state (so a restart continues where the
volunteer was). Each step has an `ask_*` function that asks (again) and a `take_*` function that reads the answer;
a wrong answer is explained and the same question stays open, with nothing changed. The IBAN is encrypted before
it is written to the dialog state, like everywhere else.

Where the claim belongs (whose reviewers check it, whose Kreis's rules apply) is the Gemeinde where the trip
started. When the destination is another place the volunteer picks between the two (a trip from home to the
place of the volunteer work belongs to the latter), and when neither could be found in the place index the
volunteer names the Gemeinde.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

from bot.claims import accounts, amounts, editing, escalation, quota, receipts, sanitize, texts, workflow
from bot.claims import privacy as claims_privacy
from bot.claims.crypto import masked
from bot.claims.rules import TICKET
from bot.core.context import Context
from bot.core.features import Feature
from bot.core.router import Router
from bot.core.steps import Steps
from bot.i18n import N_
from bot.messages import AttachmentTooLarge
from bot.storage.models_claims import IN_REVIEW, INFO, REJECTED, Claim

log = logging.getLogger(__name__)

ORDER = 40
router = Router()
DIALOG = "claim"
ANSWER_DIALOG = "claim_answer"
RECEIPT_DIALOG = "claim_receipt"
MAX_PURPOSE = 300
MAX_PLACE_TEXT = 120


# --- helpers shared with the review handlers ---------------------------------------------------------------

def row_id(payload: dict, key: str) -> int | None:
    """A row id from a button's payload; anything else (a forged or garbled payload) is no id."""
    value = payload.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


async def own_claim(ctx: Context, payload: dict) -> Claim | None:
    """The volunteer's own claim named by a button, or None after saying it is not theirs."""
    claim_id = row_id(payload, "claim")
    claim = await ctx.session.get(Claim, claim_id) if claim_id else None
    if claim is None or claim.user_id != ctx.user.id:
        ctx.reply(texts.refusal(ctx.t, "not_yours"))
        return None
    return claim


# --- the dialog ----------------------------------------------------------------------------------------------

@router.command("fahrtkosten", "claim", description=N_("Claim travel costs"), private_only=True)
async def claim_command(ctx: Context, args: str) -> None:
    await ctx.start_dialog(DIALOG, "from", {})
    ctx.reply(ctx._("Let's file your travel-cost claim, one question at a time. You can stop at any time with "
                    "/cancel."))
    await ask(ctx, "from")


@router.dialog(DIALOG)
async def claim_dialog(ctx: Context) -> None:
    assert ctx.dialog is not None
    if ctx.is_group:
        await ctx.app.point_to_private(ctx)
        return
    step = ctx.dialog.step
    if step == "receipt":
        await take_receipt(ctx)
        return
    if ctx.attachment is not None:
        ctx.reply(ctx._("I need a written answer here, not a file."))
        await ask(ctx, step)
        return
    taker = STEPS.taker(ctx)
    if taker is None:
        ctx.reply(ctx._("Please choose one of the buttons, or /cancel."))
        await ask(ctx, step)
        return
    before = len(ctx.replies)
    await taker(ctx, sanitize.one_line(ctx.text))  # one plain line: what goes into money files
    if ctx.dialog is not None and ctx.dialog.step == step and not any(r.buttons for r in ctx.replies[before:]):
        # The answer did not fit: a question with choices is asked again with them, so that they stay
        # answerable by number; one without choices needs no repeating after the explanation.
        asked = len(ctx.replies)
        await ask(ctx, step)
        if not any(r.buttons for r in ctx.replies[asked:]):
            del ctx.replies[asked:]


@router.resume(DIALOG, N_("Your travel-cost claim is still open – continue?"))
async def resume_claim(ctx: Context) -> None:
    assert ctx.dialog is not None
    await ask(ctx, ctx.dialog.step)


async def ask(ctx: Context, step: str) -> None:
    await STEPS.ask(ctx, step)


async def goto(ctx: Context, step: str, **data) -> None:
    await STEPS.save(ctx, step, **data)
    if step != "confirm" and editing.answered(STEPS.data(ctx), step):
        step = "confirm"  # changing one answer from the summary: the others stay, back to the summary
        await STEPS.save(ctx, step)
    await ask(ctx, step)


async def reask(ctx: Context, step: str) -> None:
    """Ask `step` again because its answer no longer fits (it is dropped, so a change does not skip it)."""
    kept = {k: v for k, v in data(ctx).items() if k != editing.STEP_KEYS.get(step)}
    await STEPS.start(ctx, step, kept)


def data(ctx: Context) -> dict:
    return STEPS.data(ctx)


async def in_step(ctx: Context, payload: dict) -> bool:
    return await STEPS.in_step(ctx, payload)


def rules(ctx: Context):
    d = data(ctx)
    return workflow.rules_for(ctx.app, d["place"], date.fromisoformat(d["date"]))


# from / to / place

async def ask_from(ctx: Context) -> None:
    ctx.reply(ctx._("Where did the trip start? Write the town, e.g. \"Nürtingen\"."))


async def ask_to(ctx: Context) -> None:
    ctx.reply(ctx._("Where did you go? Write the town."))


async def ask_place(ctx: Context) -> None:
    d = data(ctx)
    options = [(d.get("from_place"), d["from_text"]), (d.get("to_place"), d["to_text"])]
    rows = [[await ctx.button(name, "claim_place", {"step": "place", "field": "place", "id": pid})]
            for pid, name in options if pid]
    if rows:
        ctx.reply(ctx._("Where was your volunteer work? The reviewers there will check the claim."), buttons=rows)
    else:
        ctx.reply(ctx._("In which town was your volunteer work? The reviewers there will check the claim."))


async def take_from(ctx: Context, text: str) -> None:
    await take_place(ctx, "from", text)


async def take_to(ctx: Context, text: str) -> None:
    await take_place(ctx, "to", text)


async def take_claim_place(ctx: Context, text: str) -> None:
    await take_place(ctx, "place", text)


async def take_place(ctx: Context, field: str, text: str) -> None:
    _ = ctx._
    if not text or len(text) > MAX_PLACE_TEXT:
        ctx.reply(_("Please write the name of a town (at most {n} characters).", n=MAX_PLACE_TEXT))
        return
    resolution = ctx.services.places.resolve(text)
    candidates = [c.place for c in resolution.candidates if c.place.kind != "land"]
    if resolution.status == "match" and resolution.best is not None and resolution.best.kind != "land":
        await set_place(ctx, field, resolution.best.name, resolution.best.id)
    elif resolution.status == "ambiguous" and candidates:
        rows = [[await ctx.button(p.label, "claim_place", {"step": field, "field": field, "id": p.id})]
                for p in candidates[:6]]
        if field != "place":
            rows.append([await ctx.button(_("None of these – keep \"{text}\"", text=text), "claim_place",
                                          {"step": field, "field": field, "text": text})])
        ctx.reply(_("Which \"{text}\" do you mean?", text=text), buttons=rows)
    elif field == "place":
        ctx.reply(_("I could not find \"{text}\". Please write the name of the town (Gemeinde).", text=text))
    else:
        ctx.reply(_("I could not find \"{text}\" in my list of places; I will keep it as you wrote it.", text=text))
        await set_place(ctx, field, text, None)


@router.button("claim_place")
async def place_button(ctx: Context, payload: dict) -> None:
    if not await in_step(ctx, payload):
        return
    field = payload.get("field")
    if field not in ("from", "to", "place"):
        return
    if payload.get("id"):
        place = ctx.services.places.gazetteer.get(str(payload["id"]))
        if place is None:
            return
        await set_place(ctx, field, place.name, place.id)
    elif field != "place" and payload.get("text"):
        await set_place(ctx, field, str(payload["text"])[:MAX_PLACE_TEXT], None)


async def set_place(ctx: Context, field: str, name: str, place_id: str | None) -> None:
    if field == "from":
        await goto(ctx, "to", from_text=name, from_place=place_id)
        return
    if field == "place":
        await goto(ctx, "date", place=place_id)
        return
    await ctx.update_dialog(to_text=name, to_place=place_id)
    d = data(ctx)
    start, end = d.get("from_place"), d.get("to_place")
    if start and end and start != end:
        await goto(ctx, "place")
    elif start or end:
        await goto(ctx, "date", place=start or end)
    else:
        await goto(ctx, "place")


# date

async def ask_date(ctx: Context) -> None:
    row = [await ctx.button(ctx._("Today"), "claim_date", {"step": "date", "days": 0}),
           await ctx.button(ctx._("Yesterday"), "claim_date", {"step": "date", "days": 1})]
    ctx.reply(ctx._("On which day was the trip? Write the date, e.g. 14.03.2025, or choose:"), buttons=[row])


async def take_date(ctx: Context, text: str) -> None:
    try:
        trip = amounts.parse_trip_date(text, workflow.today())
    except amounts.InputError as error:
        ctx.reply(texts.input_problem(ctx.t, error))
        await ask_date(ctx)  # the choices again, so "Today" is one tap (or number) away
        return
    await set_date(ctx, trip)


@router.button("claim_date")
async def date_button(ctx: Context, payload: dict) -> None:
    if not await in_step(ctx, payload):
        return
    days = payload.get("days")
    if days not in (0, 1):
        return
    await set_date(ctx, workflow.today() - timedelta(days=days))


async def set_date(ctx: Context, trip) -> None:
    trip_rules = workflow.rules_for(ctx.app, data(ctx)["place"], trip)
    try:
        amounts.check_trip_date(trip, workflow.today(), trip_rules.max_age_days)
    except amounts.InputError as error:
        ctx.reply(texts.input_problem(ctx.t, error))
        await ask_date(ctx)
        return
    await goto(ctx, "transport", date=trip.isoformat())


# transport, kilometres, ticket price

async def ask_transport(ctx: Context) -> None:
    rows = [[await ctx.button(texts.transport_name(ctx.t, t), "claim_transport", {"step": "transport", "transport": t})]
            for t in rules(ctx).transports()]
    ctx.reply(ctx._("How did you travel?"), buttons=rows)


@router.button("claim_transport")
async def transport_button(ctx: Context, payload: dict) -> None:
    if not await in_step(ctx, payload):
        return
    transport = payload.get("transport")
    if transport not in rules(ctx).transports():
        ctx.reply(texts.refusal(ctx.t, "transport"))
        return
    await goto(ctx, "ticket" if transport == TICKET else "km", transport=transport)


async def ask_km(ctx: Context) -> None:
    r = rules(ctx)
    ctx.reply(ctx._("How many kilometres did you drive in total (there and back)? The rate is {rate} per km.",
                    rate=amounts.money(r.rate(data(ctx)["transport"]) or 0, ctx.language)))


async def take_km(ctx: Context, text: str) -> None:
    try:
        tenths = amounts.parse_km(text, rules(ctx).max_km)
    except amounts.InputError as error:
        ctx.reply(texts.input_problem(ctx.t, error))
        return
    await goto(ctx, "purpose", km_tenths=tenths, ticket_cents=None)


async def ask_ticket(ctx: Context) -> None:
    ctx.reply(ctx._("What did the ticket cost? Write the price in euros, e.g. 4,60."))


async def take_ticket(ctx: Context, text: str) -> None:
    try:
        cents = amounts.parse_cents(text)
    except amounts.InputError as error:
        ctx.reply(texts.input_problem(ctx.t, error))
        return
    await goto(ctx, "purpose", ticket_cents=cents, km_tenths=None)


# purpose

async def ask_purpose(ctx: Context) -> None:
    rows = []
    trip = date.fromisoformat(data(ctx)["date"])
    for ref, label in (await ctx.services.claims.meetings_attended(ctx.session, ctx.user, trip))[:5]:
        rows.append([await ctx.button(label, "claim_round_table",
                                      {"step": "purpose", "ref": str(ref), "label": label[:200]})])
    text = ctx._("What was the trip for? E.g. \"accompanying a family to the immigration office\".")
    if rows:
        text += "\n" + ctx._("Or choose the round table you attended:")
    ctx.reply(text, buttons=rows)


async def take_purpose(ctx: Context, text: str) -> None:
    if len(text) < 3 or len(text) > MAX_PURPOSE:
        ctx.reply(ctx._("Please describe the purpose in a few words (at most {n} characters).", n=MAX_PURPOSE))
        await ask_purpose(ctx)
        return
    await goto(ctx, "receipt", purpose=text, round_table=None)


@router.button("claim_round_table")
async def round_table_button(ctx: Context, payload: dict) -> None:
    if not await in_step(ctx, payload):
        return
    label = sanitize.one_line(str(payload.get("label", "")))[:200]
    await goto(ctx, "receipt", purpose=label, round_table=label)


# receipt

def receipt_required(ctx: Context) -> bool:
    return data(ctx)["transport"] == TICKET and rules(ctx).receipt_required_for_tickets


async def ask_receipt(ctx: Context) -> None:
    mb = rules(ctx).max_receipt_mb
    if receipt_required(ctx):
        ctx.reply(ctx._("Please send a photo or PDF of the ticket (at most {mb} MB).", mb=mb))
        return
    skip = await ctx.button(ctx._("No receipt"), "claim_no_receipt", {"step": "receipt"})
    ctx.reply(ctx._("If you have a receipt (e.g. for parking), send a photo or PDF of it (at most {mb} MB). "
                    "Otherwise press \"No receipt\".", mb=mb), buttons=[[skip]])


async def take_receipt(ctx: Context) -> None:
    _ = ctx._
    attachment = ctx.attachment
    if attachment is None:
        ctx.reply(_("I need the receipt as a photo or a PDF file here, not a text."))
        await ask_receipt(ctx)
        return
    limit = rules(ctx).max_receipt_bytes
    try:
        checked = await receipts.fetch_checked(attachment, limit)
    except AttachmentTooLarge as too_large:
        ctx.reply(_("This file is too large; I accept at most {mb} MB. Please send a smaller photo or PDF.",
                    mb=too_large.limit_mb))
        await ask_receipt(ctx)
        return
    except receipts.ReceiptRefused as refused:
        ctx.reply({
            "empty": _("This file is empty. Please send the receipt again."),
            "wrong_type": _("I can only accept photos (JPEG, PNG, WebP, HEIC) and PDF files as receipts."),
            "download_failed": _("I could not download this file. Please send it again, or a smaller one (at most "
                                 "{mb} MB).", mb=rules(ctx).max_receipt_mb),
        }[refused.code])
        await ask_receipt(ctx)
        return
    if await quota.refusal(ctx.session, ctx.user, len(checked.data)) is not None:
        ctx.reply(_("You have sent many receipts in the last 24 hours; I cannot store more today. Please send "
                    "this one tomorrow, or continue without it."))
        await ask_receipt(ctx)
        return
    row = await receipts.store(ctx.session, ctx.user, checked)
    ctx.reply(_("Thank you, I have the receipt."))
    await goto(ctx, "account", receipt_id=row.id)


@router.button("claim_no_receipt")
async def no_receipt_button(ctx: Context, payload: dict) -> None:
    if not await in_step(ctx, payload):
        return
    if receipt_required(ctx):
        ctx.reply(texts.refusal(ctx.t, "receipt_required"))
        return
    await goto(ctx, "account", receipt_id=None)


# payout account

async def ask_account(ctx: Context) -> None:
    saved = await workflow.saved_account(ctx.session, ctx.user)
    if saved is None:
        await goto(ctx, "holder")
        return
    label = ctx._("Account of {holder}, IBAN {iban}", holder=saved.holder, iban=masked(saved.iban_last4))
    rows = [
        [await ctx.button(label, "claim_account", {"step": "account", "use": "saved"})],
        [await ctx.button(ctx._("Another account"), "claim_account", {"step": "account", "use": "new"})],
        [await ctx.button(ctx._("Forget the saved account"), "claim_account", {"step": "account", "use": "forget"})],
    ]
    ctx.reply(ctx._("Where shall the money go?"), buttons=rows)


@router.button("claim_account")
async def account_button(ctx: Context, payload: dict) -> None:
    if not await in_step(ctx, payload):
        return
    saved = await workflow.saved_account(ctx.session, ctx.user)
    use = payload.get("use")
    if use == "saved" and saved is not None:
        await goto(ctx, "confirm", holder=saved.holder, iban_sealed=saved.iban_encrypted, iban_hash=saved.iban_hash,
                   iban_last4=saved.iban_last4, save_account=False)
        return
    if use == "forget" and saved is not None:
        await workflow.forget_account(ctx.session, saved)
        ctx.reply(ctx._("I have deleted the saved account."))
    await goto(ctx, "holder")


async def ask_holder(ctx: Context) -> None:
    ctx.reply(ctx._("Who holds the account the money should go to? Write the name as your bank has it."))


async def take_holder(ctx: Context, text: str) -> None:
    if len(text) < 2 or len(text) > 70:
        ctx.reply(ctx._("Please write the account holder's name (at most 70 characters)."))
        return
    if sanitize.sepa_name(text) is None:
        ctx.reply(ctx._("A bank transfer cannot carry this name. Please write the account holder's name in Latin "
                        "letters, as your bank has it."))
        return
    await goto(ctx, "iban", holder=text)


async def ask_iban(ctx: Context) -> None:
    ctx.reply(ctx._("Please write the IBAN, e.g. DE89 3704 0044 0532 0130 00. It is stored encrypted."))


async def take_iban(ctx: Context, text: str) -> None:
    _ = ctx._
    try:
        compact = accounts.sepa_iban(text)
    except accounts.BadIban as bad:
        ctx.reply({
            "checksum": _("This IBAN is not correct: its check digits do not match. Please check it for a typo."),
            "length": _("This IBAN has the wrong length. Please check it."),
            "invalid": _("This is not a valid IBAN. Please write it like DE89 3704 0044 0532 0130 00."),
            "not_sepa": _("Please give an account in the SEPA area (EU and a few more countries)."),
        }[bad.code])
        return
    sealed = ctx.services.vault.seal(compact)
    await goto(ctx, "save", iban_sealed=sealed.ciphertext, iban_hash=sealed.digest, iban_last4=sealed.last4)


async def ask_save(ctx: Context) -> None:
    row = [await ctx.button(ctx._("Yes, remember it"), "claim_save", {"step": "save", "save": True}),
           await ctx.button(ctx._("No"), "claim_save", {"step": "save", "save": False})]
    ctx.reply(ctx._("Shall I remember this account (encrypted) for your next claims?"), buttons=[row])


@router.button("claim_save")
async def save_button(ctx: Context, payload: dict) -> None:
    if not await in_step(ctx, payload):
        return
    await goto(ctx, "confirm", save_account=bool(payload.get("save")))


# summary and submission

async def ask_confirm(ctx: Context) -> None:
    try:
        claim, _rules = workflow.build(ctx.app, ctx.user.id, data(ctx))
    except amounts.InputError as error:
        ctx.reply(texts.input_problem(ctx.t, error))
        await reask(ctx, "date")
        return
    rows = [[await ctx.button(ctx._("Submit"), "claim_submit", {"step": "confirm"}, single_use=True),
             await ctx.button(ctx._("Change"), "claim_change", {"step": "confirm"}),
             await ctx.button(ctx._("Cancel"), "claim_cancel", {"step": "confirm"})]]
    ctx.reply(ctx._("Please check your claim:") + "\n\n" + texts.describe(ctx.t, claim), buttons=rows)


@router.button("claim_submit")
async def submit_button(ctx: Context, payload: dict) -> None:
    if not await in_step(ctx, payload):
        return
    try:
        claim = await workflow.submit(ctx.session, ctx.app, ctx.user, data(ctx))
    except amounts.InputError as error:
        ctx.reply(texts.input_problem(ctx.t, error))
        await reask(ctx, "date")
        return
    except workflow.Refused as refused:
        ctx.reply(texts.refusal(ctx.t, refused.code))
        await reask(ctx, "receipt" if refused.code.startswith("receipt") else "transport")
        return
    await ctx.end_dialog()
    withdraw = await ctx.button(ctx._("Withdraw"), "claim_withdraw", {"claim": claim.id})
    ctx.reply(ctx._("Thank you! Your claim #{id} over {amount} has been submitted. I will tell you when it has been "
                    "checked. Your claims: /myclaims", id=claim.id,
                    amount=amounts.money(claim.amount_cents, ctx.language)), buttons=[[withdraw]])


@router.button("claim_change")
async def change_button(ctx: Context, payload: dict) -> None:
    """The summary's "Change": which answer to change; the others are kept."""
    if not await in_step(ctx, payload):
        return
    _ = ctx._
    labels = {"route": _("Route"), "date": _("Date"), "transport": _("Means of transport"),
              "amount": _("Kilometres or price"), "purpose": _("Purpose"), "receipt": _("Receipt"),
              "account": _("Account")}
    rows = [[await ctx.button(label, "claim_change_field", {"step": "confirm", "field": field})]
            for field, label in labels.items()]
    ctx.reply(_("What would you like to change?"), buttons=rows)


@router.button("claim_change_field")
async def change_field_button(ctx: Context, payload: dict) -> None:
    if not await in_step(ctx, payload):
        return
    found = editing.reopen(data(ctx), str(payload.get("field", "")))
    if found is None:
        return
    step, kept = found
    await ctx.start_dialog(DIALOG, step, kept)
    await ask(ctx, step)


@router.button("claim_cancel")
async def cancel_button(ctx: Context, payload: dict) -> None:
    if not await in_step(ctx, payload):
        return
    await ctx.end_dialog()
    ctx.reply(ctx._("Cancelled. Nothing was submitted."))


TRANSPORT_WORDS = {
    "auto": "car", "pkw": "car", "wagen": "car", "car": "car", "mit dem auto": "car",
    "motorrad": "motorcycle", "roller": "motorcycle", "motorcycle": "motorcycle",
    "fahrrad": "bicycle", "rad": "bicycle", "bike": "bicycle", "bicycle": "bicycle",
    "bahn": "ticket", "zug": "ticket", "bus": "ticket", "fahrkarte": "ticket", "ticket": "ticket", "train": "ticket",
    "s-bahn": "ticket", "u-bahn": "ticket", "strassenbahn": "ticket", "straßenbahn": "ticket", "oepnv": "ticket",
    "öpnv": "ticket", "deutschlandticket": "ticket", "bus oder bahn": "ticket",
}


async def take_transport(ctx: Context, text: str) -> None:
    """A typed means of transport ("Bahn", "pkw", "Zug") counts like the button."""
    transport = TRANSPORT_WORDS.get(text.lower().strip(" .!"))
    if transport is None or transport not in rules(ctx).transports():
        ctx.reply(ctx._("Please choose one of the buttons, or /cancel."))
        await ask_transport(ctx)
        return
    await goto(ctx, "ticket" if transport == TICKET else "km", transport=transport)


STEPS = Steps(
    DIALOG,
    askers={"from": ask_from, "to": ask_to, "place": ask_place, "date": ask_date, "transport": ask_transport,
            "km": ask_km, "ticket": ask_ticket, "purpose": ask_purpose, "receipt": ask_receipt,
            "account": ask_account, "holder": ask_holder, "iban": ask_iban, "save": ask_save, "confirm": ask_confirm},
    takers={"transport": take_transport, "from": take_from, "to": take_to, "place": take_claim_place, "date": take_date, "km": take_km,
            "ticket": take_ticket, "purpose": take_purpose, "holder": take_holder, "iban": take_iban},
)
"""The claim dialog: a question per step, and for steps answered by typing, the function that reads it."""


# --- the volunteer's claims ----------------------------------------------------------------------------------

@router.command("meineantraege", "myclaims", description=N_("My travel-cost claims"), private_only=True)
async def my_claims(ctx: Context, args: str) -> None:
    claims = await workflow.latest(ctx.session, ctx.user)
    if not claims:
        ctx.reply(ctx._("You have no travel-cost claims yet. File one with /claim."))
        return
    lines = [ctx._("Your latest claims:")]
    rows = []
    for c in claims:
        lines.append(f"#{c.id} · {amounts.day(c.trip_date, ctx.language)} · {workflow.route(c)} · "
                     f"{amounts.money(c.amount_cents, ctx.language)} · {texts.status_text(ctx.t, c.status)}")
        if c.status == INFO:
            rows.append([await ctx.button(ctx._("Answer the question on #{id}", id=c.id), "claim_answer",
                                          {"claim": c.id})])
        if c.status in IN_REVIEW:
            rows.append([await ctx.button(ctx._("Withdraw #{id}", id=c.id), "claim_withdraw", {"claim": c.id})])
            if c.receipt_id is None:
                rows.append([await ctx.button(ctx._("Add a receipt to #{id}", id=c.id), "claim_add_receipt",
                                              {"claim": c.id})])
        if c.status == REJECTED:
            rows.append([await ctx.button(ctx._("Correct #{id} and submit again", id=c.id), "claim_resubmit",
                                          {"claim": c.id})])
    ctx.reply("\n".join(lines), buttons=rows)


@router.button("claim_resubmit")
async def resubmit_button(ctx: Context, payload: dict) -> None:
    """A rejected claim's answers come back as a new claim's summary, to change what the reviewer objected to."""
    claim = await own_claim(ctx, payload)
    if claim is None:
        return
    if claim.status != REJECTED:
        ctx.reply(texts.refusal(ctx.t, "wrong_state"))
        return
    answers = editing.from_claim(claim)
    step = "confirm" if "holder" in answers else "account"
    await ctx.start_dialog(DIALOG, step, answers)
    ctx.reply(ctx._("Your claim #{id} was rejected: {reason}\nChange what is needed with \"Change\", then submit "
                    "it again.", id=claim.id, reason=claim.reject_reason or ""))
    await ask(ctx, step)


@router.button("claim_add_receipt")
async def add_receipt_button(ctx: Context, payload: dict) -> None:
    claim = await own_claim(ctx, payload)
    if claim is None:
        return
    if claim.status not in IN_REVIEW or claim.receipt_id is not None:
        ctx.reply(texts.refusal(ctx.t, "wrong_state"))
        return
    await ctx.start_dialog(RECEIPT_DIALOG, "file", {"claim": claim.id})
    ctx.reply(ctx._("Please send the receipt for claim #{id} as a photo or PDF (/cancel to stop).", id=claim.id))


@router.dialog(RECEIPT_DIALOG)
async def receipt_dialog(ctx: Context) -> None:
    assert ctx.dialog is not None
    if ctx.is_group:
        await ctx.app.point_to_private(ctx)
        return
    claim = await own_claim(ctx, ctx.dialog.data)
    if claim is None:
        await ctx.end_dialog()
        return
    if ctx.attachment is None:
        ctx.reply(ctx._("I need the receipt as a photo or a PDF file here, not a text."))
        return
    limit = workflow.rules_for(ctx.app, claim.place_id, claim.trip_date).max_receipt_bytes
    try:
        checked = await receipts.fetch_checked(ctx.attachment, limit)
    except (AttachmentTooLarge, receipts.ReceiptRefused):
        ctx.reply(ctx._("I can only accept photos (JPEG, PNG, WebP, HEIC) and PDF files as receipts."))
        return
    if await quota.refusal(ctx.session, ctx.user, len(checked.data)) is not None:
        ctx.reply(ctx._("You have sent many receipts in the last 24 hours; I cannot store more today. Please send "
                        "this one tomorrow, or continue without it."))
        return
    row = await receipts.store(ctx.session, ctx.user, checked)
    await ctx.end_dialog()
    try:
        await workflow.add_receipt(ctx.session, ctx.app, claim, ctx.user, row.id)
    except workflow.Refused as refused:
        ctx.reply(texts.refusal(ctx.t, refused.code))
        return
    ctx.reply(ctx._("Thank you, the receipt is now part of claim #{id}; the reviewers have been told.", id=claim.id))


@router.button("claim_withdraw")
async def withdraw_button(ctx: Context, payload: dict) -> None:
    claim = await own_claim(ctx, payload)
    if claim is None:
        return
    if claim.status not in IN_REVIEW:
        ctx.reply(ctx._("Claim #{id} can no longer be withdrawn: it is {status}.", id=claim.id,
                        status=texts.status_text(ctx.t, claim.status)))
        return
    try:
        await workflow.withdraw(ctx.session, ctx.app, claim, ctx.user)
    except workflow.Refused as refused:
        ctx.reply(texts.refusal(ctx.t, refused.code))
        return
    ctx.reply(ctx._("Claim #{id} has been withdrawn.", id=claim.id))


@router.button("claim_answer")
async def answer_button(ctx: Context, payload: dict) -> None:
    claim = await own_claim(ctx, payload)
    if claim is None:
        return
    if claim.status != INFO:
        ctx.reply(ctx._("There is no open question on claim #{id}.", id=claim.id))
        return
    await ctx.start_dialog(ANSWER_DIALOG, "text", {"claim": claim.id})
    ctx.reply(ctx._("Please write your answer to the reviewer's question on claim #{id}:", id=claim.id))


@router.dialog(ANSWER_DIALOG)
async def answer_dialog(ctx: Context) -> None:
    assert ctx.dialog is not None
    if ctx.is_group:
        await ctx.app.point_to_private(ctx)
        return
    if ctx.attachment is not None or not ctx.text.strip():
        ctx.reply(ctx._("Please write your answer as a text message."))
        return
    claim = await own_claim(ctx, ctx.dialog.data)
    if claim is None:
        await ctx.end_dialog()
        return
    try:
        await workflow.answer(ctx.session, ctx.app, claim, ctx.user, ctx.text)
    except workflow.Refused as refused:
        await ctx.end_dialog()
        ctx.reply(texts.refusal(ctx.t, refused.code))
        return
    await ctx.end_dialog()
    ctx.reply(ctx._("Thank you, I have passed your answer on to the reviewer."))


# --- set-up --------------------------------------------------------------------------------------------------

async def purge_receipts(app) -> None:
    keep = timedelta(hours=app.config.bot.dialog_ttl_hours) + timedelta(days=1)
    while True:
        async with app.db.session() as session:
            removed = await receipts.purge_unclaimed(session, keep)
            await session.commit()
        if removed:
            log.info("removed %d receipts of claims that were never submitted", removed)
        await asyncio.sleep(3600)



FEATURE = Feature(jobs=(purge_receipts, escalation.reminder_job), privacy_sections=claims_privacy.SECTIONS,
                  erase=(claims_privacy.erase,), retention=(claims_privacy.retention,))
