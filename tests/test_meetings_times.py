"""Times as coordinators answer "At what time?", titles that say something, and the dates in examples."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from bot.i18n import Translator
from bot.meetings import render
from bot.meetings.fields import problem
from bot.meetings.public_holidays import holiday_on
from bot.meetings.times import read_clock
from bot.meetings.when import find_when
from bot.timeutil import BERLIN

TODAY = date(2026, 11, 21)
T = time


@pytest.mark.parametrize(("text", "start", "end"), [
    ("18", T(18), None),
    ("18 uhr", T(18), None),
    ("18h", T(18), None),
    ("18.30", T(18, 30), None),
    ("18:30", T(18, 30), None),
    ("18,30", None, None),  # not a time: asked again rather than guessed
    ("18.30 uhr", T(18, 30), None),
    ("18 uhr 30", T(18, 30), None),
    ("18h30", T(18, 30), None),
    ("um 19 uhr", T(19), None),
    ("ab 18", T(18), None),
    ("gegen 18 uhr", T(18), None),
    ("ca. 18 uhr", T(18), None),
    ("19.00", T(19), None),
    ("9", T(9), None),
    ("7", T(19), None),  # a meeting at seven is in the evening
    ("7 uhr", T(7), None),  # unless "Uhr" says it as written
    ("7 abends", T(19), None),
    ("9 uhr morgens", T(9), None),
    ("14-17", T(14), T(17)),
    ("14 - 17", T(14), T(17)),
    ("14–17 uhr", T(14), T(17)),
    ("14 bis 17", T(14), T(17)),
    ("von 14 bis 17 uhr", T(14), T(17)),
    ("14:00-17:00", T(14), T(17)),
    ("18.30 - 20 Uhr", T(18, 30), T(20)),
    ("2-5", T(14), T(17)),
    ("10-2", T(10), T(14)),
    ("6-8 uhr", T(6), T(8)),
    ("22-1 uhr", T(22), T(1)),
    ("halb sieben", T(18, 30), None),
    ("halb 7", T(18, 30), None),
    ("Halb Sieben abends", T(18, 30), None),
    ("halb neun morgens", T(8, 30), None),
    ("viertel nach 6", T(18, 15), None),
    ("viertel nach sechs", T(18, 15), None),
    ("viertel vor 7", T(18, 45), None),
    ("viertel sieben", T(18, 15), None),
    ("dreiviertel acht", T(19, 45), None),
    ("drei viertel acht", T(19, 45), None),
    ("zehn nach sieben", T(19, 10), None),
    ("5 vor 7", T(18, 55), None),
    ("um halb sieben", T(18, 30), None),
    ("12", T(12), None),
    ("2 pm", T(14), None),
    ("hallo", None, None),
    ("morgen", None, None),
    ("25 uhr", None, None),
    ("18:75", None, None),
])
def test_time_forms(text, start, end):
    clock = read_clock(text)
    got = (clock.start, clock.end) if clock is not None else (None, None)
    assert got == (start, end)


@pytest.mark.parametrize("text", ["abends", "Abends.", "nachmittags", "morgens", "am abend"])
def test_a_part_of_the_day_alone_is_asked(text):
    clock = read_clock(text)
    assert clock is not None and clock.start is None and clock.part_of_day is not None


@pytest.mark.parametrize(("text", "asked"), [
    ("18-16 uhr", True), ("17-9", True), ("14-17", False), ("22-1 uhr", False), ("20-2 uhr", False),
    ("19-19", True),
])
def test_an_end_before_the_start_is_asked_unless_the_evening_runs_past_midnight(text, asked):
    clock = read_clock(text)
    assert clock.reversed is asked
    assert find_when(f"am 3.12. {text} Uhr".replace("uhr Uhr", "Uhr"), TODAY).reversed is asked


def test_spoken_times_in_a_whole_announcement_leave_title_and_place_in_place():
    from bot.meetings.parse import parse_announcement

    parsed = parse_announcement("Runder Tisch Asyl, am 3.12. halb sieben, Rathaus Nürtingen", TODAY)
    assert (parsed.title, parsed.location) == ("Runder Tisch Asyl", "Rathaus Nürtingen")
    assert (parsed.when.day, parsed.when.start) == (date(2026, 12, 3), T(18, 30))


@pytest.mark.parametrize(("value", "found"), [
    ("-", "empty"), ("", "empty"), ("🎉🎉", "no_letters"), ("x" * 540, "too_long"), ("Runder Tisch", None),
    ("Runder Tisch 🎉", None),
])
def test_titles(value, found):
    assert problem("title", value) == found


def test_a_dash_empties_an_optional_field_and_limits_hold_there_too():
    assert problem("topic", "-") is None and problem("location", "y" * 300) == "too_long"


def test_the_example_date_is_a_tuesday_on_every_day_of_the_year():
    for offset in range(366):
        today = date(2026, 1, 1) + timedelta(days=offset)
        example = render.example_day(today)
        assert example.weekday() == 1 and 14 <= (example - today).days < 21
    assert render.example_when(Translator("de"), TODAY) == "Dienstag 8. Dezember"


def test_a_date_next_year_shows_its_year_in_lists():
    t = Translator("de")
    this_year = datetime(2026, 12, 3, 18, tzinfo=BERLIN)
    next_year = datetime(2027, 1, 12, 18, tzinfo=BERLIN)
    assert render.short_day(t, this_year, TODAY) == "Do. 3.12."
    assert render.short_day(t, next_year, TODAY) == "Di. 12.1.2027"


def test_public_holidays_of_the_land():
    assert holiday_on(date(2026, 10, 3), "08116049") == "Tag der Deutschen Einheit"
    assert holiday_on(date(2026, 11, 1), "08116049") == "Allerheiligen"  # Baden-Württemberg
    assert holiday_on(date(2026, 11, 1), "06439015") is None  # not in Hessen
    assert holiday_on(date(2026, 12, 3), "06439015") is None
