"""Reimbursement rules and the payout account, read from the `[claims]` and `[payout]` config sections.

Rules differ between Kreise and change over time (a new rate per km from 1 January), and a change must not alter
what was promised for earlier trips. So each Kreis, and the `default`, holds a list of rule sets with a
`valid_from` date (none: from the beginning). A trip gets the built-in defaults, overlaid in date order by every
`default` set that started on or before the trip, then likewise by its Kreis's sets. A change therefore states
only the keys that change, and a Kreis only what differs from the default.

Everything is checked when the bot is built, so a typo stops the start with the key's name instead of failing on
a volunteer's claim.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import date
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from bot.config import Config, ConfigError

CAR, MOTORCYCLE, BICYCLE, TICKET = "car", "motorcycle", "bicycle", "ticket"
KM_TRANSPORTS = (CAR, MOTORCYCLE, BICYCLE)
MAX_RECEIPT_MB_LIMIT = 20
"""Telegram's Bot API serves files up to 20 MB, and receipts are kept in the database: more is never needed."""


@dataclass(frozen=True)
class RuleSet:
    """The rules for one trip. Money in integer cents."""

    valid_from: date = date.min
    rate_car_cents_per_km: int = 30
    rate_motorcycle_cents_per_km: int = 20
    rate_bicycle_cents_per_km: int = 0
    """0 means bicycle trips are not reimbursed, and the choice is not offered."""
    cap_cents: int = 25000
    """The most one claim pays out; a higher amount is cut to this and the volunteer is told."""
    max_age_days: int = 180
    """Trips older than this many days are not accepted any more."""
    receipt_required_for_tickets: bool = True
    second_approval_above_cents: int = 10000
    """A claim above this amount needs a second reviewer (four-eyes principle)."""
    max_km: int = 1000
    """Kilometres above this are refused as a typo."""
    max_receipt_mb: int = 10

    def rate(self, transport: str) -> int | None:
        """Cents per km, or None for a ticket (reimbursed at its price)."""
        if transport == TICKET:
            return None
        return getattr(self, f"rate_{transport}_cents_per_km")

    def transports(self) -> tuple[str, ...]:
        """The means of transport a volunteer may choose: those with a rate, and tickets."""
        return tuple(t for t in KM_TRANSPORTS if self.rate(t)) + (TICKET,)

    @property
    def max_receipt_bytes(self) -> int:
        return self.max_receipt_mb * 1024 * 1024


RULE_KEYS = {f.name: f.type for f in dataclasses.fields(RuleSet)}
_BOOL_KEYS = {"receipt_required_for_tickets"}
_POSITIVE_KEYS = {"cap_cents", "max_age_days", "max_km", "max_receipt_mb"}


@dataclass(frozen=True)
class _Dated:
    valid_from: date
    values: dict[str, Any]


@dataclass(frozen=True)
class RuleBook:
    default: tuple[_Dated, ...] = ()
    kreise: dict[str, tuple[_Dated, ...]] = dataclasses.field(default_factory=dict)

    def for_trip(self, kreis_id: str | None, trip_date: date) -> RuleSet:
        values: dict[str, Any] = {}
        started = date.min
        for entries in (self.default, self.kreise.get(kreis_id or "", ())):
            for entry in entries:  # sorted by valid_from
                if entry.valid_from <= trip_date:
                    values.update(entry.values)
                    started = max(started, entry.valid_from)
        return RuleSet(valid_from=started, **values)


@dataclass(frozen=True)
class PayoutSettings:
    debtor_name: str = ""
    debtor_iban: str = ""
    debtor_bic: str = ""
    keep_iban_after_payout: bool = False
    """False: a claim's IBAN is erased once the claim is paid (an account the volunteer saved is kept)."""
    execution_days: int = 2
    """The requested execution date of a SEPA file is this many days after its export."""
    allowance_cents_per_year: int = 96000
    """The Ehrenamtspauschale (§3 Nr. 26a EStG, 960 € from 2026): yearly totals are shown against it."""

    def sepa_problems(self) -> list[str]:
        missing = [k for k in ("debtor_name", "debtor_iban") if not getattr(self, k)]
        return [f"payout.{k} is not set; the SEPA export needs it" for k in missing]


PAYOUT_KEYS = {f.name: f.type for f in dataclasses.fields(PayoutSettings)}


@dataclass(frozen=True)
class ClaimsSettings:
    rules: RuleBook
    payout: PayoutSettings


def load(config: Config, known_kreise: Callable[[], Container[str]]) -> ClaimsSettings:
    """Read [claims] and [payout]; `known_kreise` gives the known Kreis keys (asked only when a section names one)."""
    """Read and check both sections; raises ConfigError listing every problem with its key."""
    problems: list[str] = []
    rules = _rule_book(config.section("claims"), problems, known_kreise)
    payout = _payout(config.section("payout"), problems)
    if problems:
        raise ConfigError(problems)
    return ClaimsSettings(rules, payout)


def _rule_book(
    section: dict[str, Any], problems: list[str], known_kreise: Callable[[], Container[str]]
) -> RuleBook:
    kreise: dict[str, tuple[_Dated, ...]] = {}
    default: tuple[_Dated, ...] = ()
    for key, value in section.items():
        if key == "default":
            default = _dated_list("claims.default", value, problems)
        elif isinstance(key, str) and len(key) == 5 and key.isdigit():
            if key not in known_kreise():
                problems.append(f'claims."{key}" is not the key of a Kreis (see knowledge/gazetteer/kreise.csv)')
                continue
            kreise[key] = _dated_list(f'claims."{key}"', value, problems)
        else:
            problems.append(
                f'unknown key claims.{key}: use claims.default or the 5-digit key of a Kreis, e.g. claims."08116"'
            )
    return RuleBook(default, kreise)


def _dated_list(where: str, value: Any, problems: list[str]) -> tuple[_Dated, ...]:
    entries = value if isinstance(value, list) else [value]
    out: list[_Dated] = []
    for i, entry in enumerate(entries):
        name = f"{where}[{i}]" if isinstance(value, list) else where
        if not isinstance(entry, dict):
            problems.append(f"{name} must be a table of rules")
            continue
        valid_from = date.min
        values: dict[str, Any] = {}
        for key, item in entry.items():
            if key == "valid_from":
                parsed = _date(item)
                if parsed is None:
                    problems.append(f"{name}.valid_from must be a date like 2025-01-01, got {item!r}")
                else:
                    valid_from = parsed
            elif key not in RULE_KEYS:
                known = ", ".join(RULE_KEYS)
                problems.append(f"unknown key {name}.{key} (known keys: {known})")
            elif key in _BOOL_KEYS:
                if isinstance(item, bool):
                    values[key] = item
                else:
                    problems.append(f"{name}.{key} must be true or false, got {item!r}")
            elif not isinstance(item, int) or isinstance(item, bool) or item < 0:
                problems.append(f"{name}.{key} must be a whole number of at least 0, got {item!r}")
            elif key in _POSITIVE_KEYS and item == 0:
                problems.append(f"{name}.{key} must be more than 0")
            elif key == "max_receipt_mb" and item > MAX_RECEIPT_MB_LIMIT:
                problems.append(f"{name}.max_receipt_mb must be at most {MAX_RECEIPT_MB_LIMIT}, got {item}")
            else:
                values[key] = item
        out.append(_Dated(valid_from, values))
    out.sort(key=lambda e: e.valid_from)
    starts = [e.valid_from for e in out]
    for start in sorted({s for s in starts if starts.count(s) > 1}):
        shown = "the beginning" if start == date.min else start.isoformat()
        problems.append(f"{where} has more than one rule set valid from {shown}")
    return tuple(out)


def _date(value: Any) -> date | None:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _payout(section: dict[str, Any], problems: list[str]) -> PayoutSettings:
    values: dict[str, Any] = {}
    for key, item in section.items():
        if key not in PAYOUT_KEYS:
            problems.append(f"unknown key payout.{key} (known keys: {', '.join(PAYOUT_KEYS)})")
        elif key == "keep_iban_after_payout":
            if isinstance(item, bool):
                values[key] = item
            else:
                problems.append(f"payout.{key} must be true or false, got {item!r}")
        elif key == "allowance_cents_per_year":
            if isinstance(item, int) and not isinstance(item, bool) and item > 0:
                values[key] = item
            else:
                problems.append(f"payout.allowance_cents_per_year must be a whole number of cents, got {item!r}")
        elif key == "execution_days":
            if isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 30:
                values[key] = item
            else:
                problems.append(f"payout.execution_days must be a whole number from 0 to 30, got {item!r}")
        elif not isinstance(item, str):
            problems.append(f"payout.{key} must be a text in quotes, got {item!r}")
        else:
            values[key] = item.strip()
    settings = PayoutSettings(**values)
    if settings.debtor_iban:
        try:
            iban = IBAN(settings.debtor_iban)
        except SchwiftyException as exc:
            problems.append(f"payout.debtor_iban is not a valid IBAN ({exc})")
        else:
            if not iban.in_sepa_zone:
                problems.append("payout.debtor_iban must be an account in the SEPA area")
            values["debtor_iban"] = iban.compact
    if settings.debtor_bic:
        try:
            values["debtor_bic"] = BIC(settings.debtor_bic).compact
        except SchwiftyException as exc:
            problems.append(f"payout.debtor_bic is not a valid BIC ({exc})")
    if len(settings.debtor_name) > 70:
        problems.append("payout.debtor_name must be at most 70 characters (the SEPA limit)")
    return PayoutSettings(**values)
