"""Changing one answer of a claim before it is submitted, and starting over from a rejected claim.

The dialog keeps every answer under a key; the summary's "Change" removes the answers that depend on the chosen
one and asks from there, and every step whose answer is still there is skipped straight back to the summary. A
typo therefore costs one question, not the whole dialog.
"""

from __future__ import annotations

from typing import Any

from bot.storage.models_claims import Claim

STEP_KEYS = {"from": "from_text", "to": "to_text", "place": "place", "date": "date", "transport": "transport",
             "km": "km_tenths", "ticket": "ticket_cents", "purpose": "purpose", "receipt": "receipt_id",
             "account": "holder", "holder": "holder", "iban": "iban_hash", "save": "save_account"}
FIELDS = {
    "route": ("from", ("from_text", "from_place", "to_text", "to_place", "place")),
    "date": ("date", ("date",)),
    "transport": ("transport", ("transport", "km_tenths", "ticket_cents")),
    "amount": (None, ("km_tenths", "ticket_cents")),
    "purpose": ("purpose", ("purpose", "round_table")),
    "receipt": ("receipt", ("receipt_id",)),
    "account": ("account", ("holder", "iban_sealed", "iban_hash", "iban_last4", "save_account")),
}


def answered(data: dict[str, Any], step: str) -> bool:
    """While changing an answer: whether `step` was answered before (then it is not asked again)."""
    if not data.get("editing") or STEP_KEYS.get(step, "") not in data:
        return False
    # "no receipt" is an answer, unless a changed means of transport now needs one
    return step != "receipt" or data.get("receipt_id") is not None or data.get("transport") != "ticket"


def reopen(data: dict[str, Any], field: str) -> tuple[str, dict[str, Any]] | None:
    """(the step to ask, the answers kept) for changing `field`, or None for an unknown field."""
    if field not in FIELDS:
        return None
    step, dropped = FIELDS[field]
    if step is None:
        step = "ticket" if data.get("transport") == "ticket" else "km"
    kept = {k: v for k, v in data.items() if k not in dropped}
    kept["editing"] = True
    return step, kept


def from_claim(claim: Claim) -> dict[str, Any]:
    """A rejected claim's answers as a new dialog, to correct and submit again."""
    data: dict[str, Any] = {
        "from_text": claim.from_text, "from_place": claim.from_place_id, "to_text": claim.to_text,
        "to_place": claim.to_place_id, "place": claim.place_id, "date": claim.trip_date.isoformat(),
        "transport": claim.transport, "purpose": claim.purpose, "round_table": claim.round_table,
        "receipt_id": claim.receipt_id, "editing": True, "replaces": claim.id,
    }
    if claim.km_tenths is not None:
        data["km_tenths"] = claim.km_tenths
    if claim.ticket_cents is not None:
        data["ticket_cents"] = claim.ticket_cents
    if claim.iban_encrypted:
        data.update(holder=claim.holder, iban_sealed=claim.iban_encrypted, iban_hash=claim.iban_hash,
                    iban_last4=claim.iban_last4, save_account=False)
    return data
