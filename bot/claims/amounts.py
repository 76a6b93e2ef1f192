"""Money and distances as integers, and what people type for them.

Amounts are integer cents and distances integer tenths of a kilometre from the first keystroke on, so no float
ever touches money; the one multiplication (tenths x cents per km) is rounded half up with Decimal, the way a
person checking the claim with a pocket calculator would.

People write "12,5", "12.5 km" or "12,50 €"; a comma and a dot both mean the decimal separator, and anything
with two of them is refused rather than guessed ("1.234,5" could be a typo for either), because a misread
number is a wrong payout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from bot import formats
from bot.claims.rules import TICKET, RuleSet
from bot.formats import AMOUNT_LOCALES

LOCALES = AMOUNT_LOCALES
DATE_LOCALES = formats.DATE_LOCALES
MAX_TICKET_CENTS = 1_000_000
"""10 000 € for one ticket is a typo, not a trip; refusing it early spares the reviewer."""

_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_UNITS = re.compile(r"\s*(?:kilometres|kilometers|kilometre|kilometer|km|euros|euro|eur|€)\.?\s*", re.IGNORECASE)


class InputError(ValueError):
    """Input that cannot be accepted; `code` names the reason, `limit` the bound that was crossed."""

    def __init__(self, code: str, limit: int | None = None):
        super().__init__(code)
        self.code = code
        self.limit = limit


def parse_decimal(text: str) -> Decimal:
    cleaned = _UNITS.sub("", text.strip()).replace(" ", "")
    if not _NUMBER.match(cleaned):
        raise InputError("not_a_number")
    return Decimal(cleaned.replace(",", "."))


def parse_km(text: str, max_km: int) -> int:
    """Kilometres as integer tenths; refuses zero, negative and more than `max_km`."""
    value = parse_decimal(text)
    if value <= 0:
        raise InputError("not_positive")
    if value > max_km:
        raise InputError("too_many_km", max_km)
    tenths = int((value * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if tenths == 0:
        raise InputError("not_positive")
    return tenths


def parse_cents(text: str) -> int:
    value = parse_decimal(text)
    if value <= 0:
        raise InputError("not_positive")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InputError("too_many_decimals")
    cents = int(value * 100)
    if cents > MAX_TICKET_CENTS:
        raise InputError("too_expensive", MAX_TICKET_CENTS)
    return cents


@dataclass(frozen=True)
class Amount:
    cents: int
    uncapped_cents: int
    rate_cents_per_km: int | None

    @property
    def capped(self) -> bool:
        return self.cents < self.uncapped_cents


def compute(rules: RuleSet, transport: str, *, km_tenths: int | None, ticket_cents: int | None) -> Amount:
    """The payout of a trip under `rules`: km x rate (or the ticket price), cut to the cap."""
    if transport == TICKET:
        if ticket_cents is None:
            raise ValueError("a ticket claim needs its price")
        raw, rate = ticket_cents, None
    else:
        rate = rules.rate(transport)
        if km_tenths is None or not rate:
            raise ValueError(f"{transport} is not reimbursed per km under these rules")
        raw = int((Decimal(km_tenths) * rate / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return Amount(cents=min(raw, rules.cap_cents), uncapped_cents=raw, rate_cents_per_km=rate)


# --- dates ---------------------------------------------------------------------------------------------------

_NUMERIC_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?(\d{2}|\d{4})?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_trip_date(text: str, today: date) -> date:
    """A trip date from "14.03.2025", "14.3.", "2025-03-14", "gestern", "yesterday" or "3. März".

    A day and month without a year mean the most recent such day, so "20.12." written in January is last
    December. Numeric forms are read here because they are what most people type and their meaning must be
    exact; words go to dateparser.
    """
    text = text.strip().lower()
    match = _NUMERIC_DATE.match(text)
    if match:
        day, month, year = int(match[1]), int(match[2]), match[3]
        try:
            if year is None:
                found = date(today.year, month, day)
                if found > today:
                    found = date(today.year - 1, month, day)
                return found
            full = int(year) + (2000 if len(year) == 2 else 0)
            return date(full, month, day)
        except ValueError:
            raise InputError("not_a_date") from None
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise InputError("not_a_date") from None
    import dateparser

    base = datetime(today.year, today.month, today.day, 12, 0)
    parsed = dateparser.parse(
        text,
        languages=["de", "en"],
        settings={"DATE_ORDER": "DMY", "PREFER_DATES_FROM": "past", "RELATIVE_BASE": base,
                  "REQUIRE_PARTS": ["day", "month"]},
    )
    if parsed is None:
        raise InputError("not_a_date")
    return parsed.date()


def check_trip_date(trip: date, today: date, max_age_days: int) -> None:
    if trip > today:
        raise InputError("future")
    if trip < today - timedelta(days=max_age_days):
        raise InputError("too_old", max_age_days)


# --- for people ----------------------------------------------------------------------------------------------

def money(cents: int, language: str = "de") -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale=LOCALES.get(language, "de_DE"))


def km(tenths: int, language: str = "de") -> str:
    return format_decimal(Decimal(tenths) / 10, format="#,##0.#", locale=LOCALES.get(language, "de_DE"))


def day(value: date, language: str = "de") -> str:
    return format_date(value, "medium", locale=DATE_LOCALES.get(language, "de_DE"))
