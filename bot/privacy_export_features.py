"""The features' sections of /meinedaten: meetings, the directory, travel-cost claims."""

from __future__ import annotations

import sqlalchemy as sa

from bot.claims.amounts import km, money
from bot.claims.texts import status_text, transport_name
from bot.i18n import N_
from bot.privacy_export import Reader, Section, _records, section
from bot.storage.models_claims import AuditEntry, Claim, PayoutAccount, Receipt
from bot.storage.models_directory import DirectoryEntry
from bot.storage.models_meetings import Meeting, MeetingUserSettings, Rsvp, Subscription

ANSWERS = {"yes": N_("yes"), "no": N_("no"), "maybe": N_("maybe")}
HISTORY = {
    "submitted": N_("submitted by you"),
    "approved_first": N_("first approval"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "info_requested": N_("question from the reviewer"),
    "info_answered": N_("your answer"),
    "withdrawn": N_("withdrawn by you"),
    "exported": N_("put into a bank transfer"),
    "paid": N_("paid"),
    "export_cancelled": N_("bank transfer cancelled"),
}


def _minutes(value: int | None) -> str | None:
    return None if value is None else f"{value // 60:02d}:{value % 60:02d}"


@section("event_subscriptions")
async def _subscriptions(r: Reader) -> Section | None:
    rows = (await r.session.scalars(sa.select(Subscription).where(Subscription.user_id == r.user.id))).all()
    if not rows:
        return None
    return Section("subscriptions", r.label("Places you follow"), _records(r, [
        {N_("Place"): r.place(s.place_id), N_("Since"): r.when(s.created_at)} for s in rows]))


@section("event_rsvps")
async def _answers(r: Reader) -> Section | None:
    rows = (await r.session.execute(sa.select(Rsvp, Meeting).join(Meeting, Meeting.id == Rsvp.event_id)
                                    .where(Rsvp.user_id == r.user.id).order_by(Meeting.starts_at))).all()
    if not rows:
        return None
    return Section("meeting_answers", r.label("Your answers to meetings"), _records(r, [{
        N_("Meeting"): event.title, N_("Date"): r.when(event.starts_at), N_("Place"): r.place(event.place_id),
        N_("Your answer"): r.label(ANSWERS.get(rsvp.answer, rsvp.answer)), N_("Answered at"): r.when(rsvp.updated_at),
    } for rsvp, event in rows]))


@section("event_user_settings")
async def _settings(r: Reader) -> Section | None:
    found = await r.session.get(MeetingUserSettings, r.user.id)
    if found is None:
        return None
    return Section("meeting_settings", r.label("Your settings for meetings"), _records(r, [{
        N_("Quiet hours on"): found.quiet_enabled, N_("Quiet from"): _minutes(found.quiet_from),
        N_("Quiet until"): _minutes(found.quiet_to), N_("Personal calendar link made"): bool(found.feed_token),
    }]))


@section("events")
async def _organised(r: Reader) -> Section | None:
    rows = (await r.session.scalars(sa.select(Meeting).where(Meeting.created_by == r.user.id)
                                    .order_by(Meeting.starts_at))).all()
    if not rows:
        return None
    return Section("meetings_organised", r.label("Meetings you announced"), _records(r, [{
        N_("Meeting"): e.title, N_("Date"): r.when(e.starts_at), N_("Place"): r.place(e.place_id),
        N_("Address"): e.location, N_("Organiser"): e.organiser, N_("Status"): e.status,
    } for e in rows]))


@section("directory_entries")
async def _entries(r: Reader) -> Section | None:
    rows = (await r.session.scalars(sa.select(DirectoryEntry).where(
        DirectoryEntry.owner_user_id == r.user.id))).all()
    if not rows:
        return None
    return Section("directory", r.label("Your entries in the contact directory"), _records(r, [{
        N_("Place"): r.place(e.place_id), N_("Role"): e.role, N_("Name"): e.name,
        N_("Organisation"): e.organisation, N_("Phone"): e.phone, N_("E-mail"): e.email,
        N_("Confirmed on"): r.day(e.verified),
    } for e in rows]))


@section("claims")
async def _claims(r: Reader) -> Section | None:
    claims = (await r.session.scalars(sa.select(Claim).where(Claim.user_id == r.user.id)
                                      .order_by(Claim.id))).all()
    if not claims:
        return None
    history = (await r.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.claim_id.in_([c.id for c in claims])).order_by(AuditEntry.id))).all()
    by_claim: dict[int, list[str]] = {}
    for entry in history:
        what = r.label(HISTORY.get(entry.action, entry.action))
        line = f"{r.when(entry.created_at)}: {what}"
        if entry.note and entry.action in ("info_requested", "info_answered", "rejected"):
            line += f" – {entry.note}"
        by_claim.setdefault(entry.claim_id, []).append(line)
    lang = r.language
    return Section("claims", r.label("Your travel-cost claims"), _records(r, [{
        N_("Claim"): f"#{c.id}", N_("Day of the trip"): r.day(c.trip_date),
        N_("From"): c.from_text, N_("To"): c.to_text, N_("Place of the volunteer work"): r.place(c.place_id),
        N_("Means of transport"): transport_name(r.t, c.transport),
        N_("Kilometres"): km(c.km_tenths, lang) if c.km_tenths is not None else None,
        N_("Amount"): money(c.amount_cents, lang), N_("Purpose"): c.purpose, N_("Round table"): c.round_table,
        N_("Account holder"): c.holder, N_("IBAN"): f"…{c.iban_last4}" if c.iban_last4 else None,
        N_("Status"): status_text(r.t, c.status), N_("Filed at"): r.when(c.created_at),
        N_("Decided at"): r.when(c.decided_at), N_("Reason for rejection"): c.reject_reason,
        N_("Paid at"): r.when(c.paid_at), N_("History"): "\n".join(by_claim.get(c.id, [])) or None,
    } for c in claims]))


@section("claim_accounts")
async def _account(r: Reader) -> Section | None:
    found = await r.session.get(PayoutAccount, r.user.id)
    if found is None:
        return None
    return Section("saved_account", r.label("Your saved account details"), _records(r, [{
        N_("Account holder"): found.holder, N_("IBAN"): f"…{found.iban_last4}", N_("Saved at"): r.when(found.updated_at),
    }]))


@section("claim_receipts")
async def _receipts(r: Reader) -> Section | None:
    rows = (await r.session.execute(sa.select(Receipt.filename, Receipt.mime_type, sa.func.length(Receipt.data),
                                              Receipt.created_at).where(Receipt.user_id == r.user.id))).all()
    if not rows:
        return None
    return Section("receipts", r.label("Your receipts"), _records(r, [{
        N_("File"): name, N_("Type"): mime, N_("Size in bytes"): size, N_("Sent at"): r.when(at),
    } for name, mime, size, at in rows]))
