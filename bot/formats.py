"""Dates, times and euro amounts the way a reader of each language expects them, always in Berlin time.

The Babel locale per bot language lives here only, so a new language gets its date order and number format
by one line. Euro amounts keep Latin digits in every language: they must match the receipt, the ticket and the
bank statement a person shows at the office.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from bot.timeutil import BERLIN

DATE_LOCALES = {"de": "de_DE", "en": "en_GB", "uk": "uk_UA", "ru": "ru_RU", "tr": "tr_TR", "ar": "ar", "fa": "fa_IR"}
AMOUNT_LOCALES = {**DATE_LOCALES, "en": "en_DE"}
"""English speakers in Germany still read euro amounts the German way (12,30 €), as on their bank statement."""


class _ByLanguage(dict):
    """A language's Babel locale; an unknown language reads like German (the bot's own default)."""

    def __missing__(self, language: str) -> str:
        return "de_DE"


date_locale = _ByLanguage(DATE_LOCALES)
amount_locale = _ByLanguage(AMOUNT_LOCALES)


def money(cents: int, language: str) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale=amount_locale[language], numbering_system="latn")


def decimal(value: Decimal, language: str, pattern: str = "#,##0.#") -> str:
    return format_decimal(value, format=pattern, locale=amount_locale[language], numbering_system="latn")


def full_date(day: date, language: str) -> str:
    return format_date(day, "full", locale=date_locale[language])


def medium_date(day: date, language: str) -> str:
    return format_date(day, "medium", locale=date_locale[language])


def clock(moment: datetime, language: str = "de") -> str:
    """24-hour Berlin time in every language: meetings and trains in Germany are announced that way."""
    return format_time(moment, "HH:mm", tzinfo=BERLIN, locale=date_locale[language])
