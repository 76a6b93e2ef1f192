"""The rules behind a claim: rates, caps, dated rule changes, what people type for distances, prices and dates."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.claims import amounts, checks, receipts
from bot.claims.amounts import InputError
from bot.claims.crypto import IbanVault
from bot.claims.rules import RuleSet, load
from bot.config import Config, ConfigError
from knowledge.places import default_gazetteer

TODAY = date(2026, 3, 10)


def rules_from(claims: dict, payout: dict | None = None):
    cfg = Config()
    cfg.extra["claims"] = claims
    if payout is not None:
        cfg.extra["payout"] = payout
    return load(cfg, lambda: default_gazetteer().kreise)


def test_default_rates_are_30_cents_by_car_and_20_by_motorcycle():
    book = rules_from({}).rules
    rules = book.for_trip("08116", TODAY)
    assert (rules.rate("car"), rules.rate("motorcycle"), rules.rate("bicycle")) == (30, 20, 0)
    assert rules.transports() == ("car", "motorcycle", "ticket")
    assert amounts.compute(rules, "car", km_tenths=425, ticket_cents=None).cents == 1275
    assert amounts.compute(rules, "motorcycle", km_tenths=425, ticket_cents=None).cents == 850


def test_a_kreis_states_only_what_differs_and_changes_apply_from_their_date():
    book = rules_from({
        "default": [{"rate_car_cents_per_km": 30, "cap_cents": 10000},
                    {"valid_from": date(2026, 1, 1), "rate_car_cents_per_km": 35}],
        "08116": [{"valid_from": "2026-02-01", "cap_cents": 2000, "rate_bicycle_cents_per_km": 5}],
    }).rules
    assert book.for_trip("08116", date(2025, 12, 31)).rate_car_cents_per_km == 30
    assert book.for_trip("08116", date(2026, 1, 1)).rate_car_cents_per_km == 35
    january, february = book.for_trip("08116", date(2026, 1, 31)), book.for_trip("08116", date(2026, 2, 1))
    assert (january.cap_cents, january.rate_bicycle_cents_per_km, january.valid_from) == (10000, 0, date(2026, 1, 1))
    assert (february.cap_cents, february.rate_bicycle_cents_per_km) == (2000, 5)
    assert february.rate_car_cents_per_km == 35 and february.valid_from == date(2026, 2, 1)
    assert book.for_trip("08111", date(2026, 2, 1)).cap_cents == 10000  # another Kreis: the default
    assert book.for_trip(None, date(2026, 2, 1)).cap_cents == 10000


def test_amounts_round_half_up_in_cents_and_stop_at_the_cap():
    rules = RuleSet(rate_car_cents_per_km=25, cap_cents=1000)
    assert amounts.compute(rules, "car", km_tenths=15, ticket_cents=None).cents == 38  # 37.5 -> 38
    assert amounts.compute(rules, "car", km_tenths=333, ticket_cents=None).cents == 833  # 832.5 -> 833
    capped = amounts.compute(rules, "car", km_tenths=500, ticket_cents=None)
    assert (capped.cents, capped.uncapped_cents, capped.capped) == (1000, 1250, True)
    ticket = amounts.compute(rules, "ticket", km_tenths=None, ticket_cents=460)
    assert (ticket.cents, ticket.rate_cents_per_km) == (460, None)
    with pytest.raises(ValueError):
        amounts.compute(rules, "bicycle", km_tenths=10, ticket_cents=None)  # no rate, no amount


@given(st.integers(min_value=1, max_value=10_000), st.integers(min_value=0, max_value=100))
def test_an_amount_is_always_whole_cents_never_above_the_cap(tenths, rate):
    rules = RuleSet(rate_car_cents_per_km=rate or 1, cap_cents=5000)
    amount = amounts.compute(rules, "car", km_tenths=tenths, ticket_cents=None)
    assert isinstance(amount.cents, int) and 0 <= amount.cents <= 5000
    assert abs(amount.uncapped_cents * 10 - tenths * (rate or 1)) <= 5


@pytest.mark.parametrize("typed, tenths", [
    ("12", 120), ("12,5", 125), ("12.5", 125), ("12,5 km", 125), (" 7 Kilometer ", 70), ("0,06", 1),
    ("1000", 10000),
])
def test_kilometres_as_people_type_them(typed, tenths):
    assert amounts.parse_km(typed, 1000) == tenths


@pytest.mark.parametrize("typed, code", [
    ("-5", "not_positive"), ("0", "not_positive"), ("0,04", "not_positive"), ("100000", "too_many_km"),
    ("1000,1", "too_many_km"), ("zwölf", "not_a_number"), ("1.234,5", "not_a_number"), ("", "not_a_number"),
    ("12 - 15", "not_a_number"),
])
def test_kilometres_that_are_refused(typed, code):
    with pytest.raises(InputError) as refused:
        amounts.parse_km(typed, 1000)
    assert refused.value.code == code


@pytest.mark.parametrize("typed, cents", [("4,60", 460), ("4.6", 460), ("12 €", 1200), ("EUR 3,05", 305),
                                          ("3,05 EUR", 305), ("19,99 Euro", 1999), ("€ 2", 200)])
def test_prices(typed, cents):
    assert amounts.parse_cents(typed) == cents


@pytest.mark.parametrize("typed, code", [("4,605", "too_many_decimals"), ("-2", "not_positive"),
                                         ("20000", "too_expensive")])
def test_prices_that_are_refused(typed, code):
    with pytest.raises(InputError) as refused:
        amounts.parse_cents(typed)
    assert refused.value.code == code


@pytest.mark.parametrize("typed, expected", [
    ("14.02.2026", date(2026, 2, 14)), ("14.2.26", date(2026, 2, 14)), ("14.2.", date(2026, 2, 14)),
    ("14.02", date(2026, 2, 14)), ("20.12.", date(2025, 12, 20)), ("2026-02-14", date(2026, 2, 14)),
    ("gestern", date(2026, 3, 9)), ("heute", TODAY), ("yesterday", date(2026, 3, 9)),
    ("vorgestern", date(2026, 3, 8)), ("3. März", date(2026, 3, 3)),
])
def test_trip_dates(typed, expected):
    assert amounts.parse_trip_date(typed, TODAY) == expected


@pytest.mark.parametrize("typed", ["31.02.2026", "irgendwann", "5", "2026-13-01", "100000"])
def test_dates_that_cannot_be_read(typed):
    with pytest.raises(InputError) as refused:
        amounts.parse_trip_date(typed, TODAY)
    assert refused.value.code == "not_a_date"


def test_no_future_trips_and_none_older_than_the_limit():
    amounts.check_trip_date(TODAY, TODAY, 30)
    amounts.check_trip_date(date(2026, 2, 8), TODAY, 30)
    with pytest.raises(InputError) as future:
        amounts.check_trip_date(date(2026, 3, 11), TODAY, 30)
    with pytest.raises(InputError) as old:
        amounts.check_trip_date(date(2026, 2, 7), TODAY, 30)
    assert (future.value.code, old.value.code, old.value.limit) == ("future", "too_old", 30)


def test_config_mistakes_are_named_with_their_key():
    with pytest.raises(ConfigError) as raised:
        rules_from({
            "default": [{"rate_car_cents_per_km": "30"}, {"valid_from": "01.01.2026"}, {"cap_cents": 0}],
            "08116": [{"valid_from": date(2026, 1, 1)}, {"valid_from": date(2026, 1, 1), "max_receipt_mb": 50}],
            "99999": {}, "Esslingen": {},
            "08111": {"receipt_required_for_tickets": "ja", "max_km": 10.5, "colour": "blue"},
        }, payout={"debtor_iban": "DE89 3704 0044 0532 0130 01", "debtor_name": "x" * 71,
                   "keep_iban_after_payout": "no", "execution_days": 99, "debtor_bic": "ABC", "account": 1})
    problems = "\n".join(raised.value.problems)
    for expected in (
        "claims.default[0].rate_car_cents_per_km must be a whole number",
        "claims.default[1].valid_from must be a date like 2025-01-01",
        "claims.default[2].cap_cents must be more than 0",
        'claims."08116" has more than one rule set valid from 2026-01-01',
        'claims."08116"[1].max_receipt_mb must be at most 20',
        'claims."99999" is not the key of a Kreis',
        "unknown key claims.Esslingen",
        'claims."08111".receipt_required_for_tickets must be true or false',
        'claims."08111".max_km must be a whole number',
        'unknown key claims."08111".colour',
        "payout.debtor_iban is not a valid IBAN",
        "payout.debtor_name must be at most 70 characters",
        "payout.keep_iban_after_payout must be true or false",
        "payout.execution_days must be a whole number from 0 to 30",
        "payout.debtor_bic is not a valid BIC",
        "unknown key payout.account",
    ):
        assert expected in problems, (expected, problems)


def test_a_good_payout_config_is_normalised():
    payout = rules_from({}, {"debtor_name": "Verein", "debtor_iban": "de75 5121 0800 1245 1261 99",
                             "debtor_bic": "sogedeffxxx"}).payout
    assert (payout.debtor_iban, payout.debtor_bic, payout.sepa_problems()) == (
        "DE75512108001245126199", "SOGEDEFFXXX", [])
    assert rules_from({}).payout.sepa_problems() == [
        "payout.debtor_name is not set; the SEPA export needs it",
        "payout.debtor_iban is not set; the SEPA export needs it"]


def test_receipts_are_recognised_by_their_first_bytes():
    assert receipts.sniff(b"\xff\xd8\xff\xe1rest") == "image/jpeg"
    assert receipts.sniff(b"\x89PNG\r\n\x1a\nrest") == "image/png"
    assert receipts.sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert receipts.sniff(b"\x00\x00\x00\x18ftypheic\x00\x00") == "image/heic"
    assert receipts.sniff(b"%PDF-1.7\n") == "application/pdf"
    for other in (b"MZ\x90\x00", b"PK\x03\x04", b"<html>", b"GIF89a", b"", b"\x00\x00\x00\x18ftypisom"):
        assert receipts.sniff(other) is None


def test_iban_hashes_find_the_same_account_however_it_is_written():
    vault = IbanVault(b"k1")
    sealed = vault.seal("de89 3704 0044 0532 0130 00")
    assert sealed.digest == vault.digest("DE89370400440532013000") and sealed.last4 == "3000"
    assert "DE89" not in sealed.ciphertext and vault.open(sealed.ciphertext) == "DE89370400440532013000"
    assert IbanVault(b"k2").digest("DE89370400440532013000") != sealed.digest
    assert vault.seal("DE89370400440532013000").ciphertext != sealed.ciphertext  # fresh nonce each time


def test_distance_verdicts():
    assert checks.distance_verdict(45, 19.5) == "plausible"  # there and back by road
    assert checks.distance_verdict(19, 19.5) == "plausible"
    assert checks.distance_verdict(500, 19.5) == "too_far"
    assert checks.distance_verdict(5, 500) == "too_short"
    assert checks.distance_verdict(8, 0) == "plausible"  # within one town
