"""Reading announcements as coordinators write them, and the `[events]` configuration."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import ConfigError
from bot.meetings.parse import parse_announcement
from bot.meetings.settings import from_section
from bot.meetings.when import find_when
from knowledge.places import default_gazetteer

TODAY = date(2026, 11, 21)  # a Saturday
WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
          "November", "Dezember"]


def test_the_example_from_the_issue():
    parsed = parse_announcement("Runder Tisch Asyl, Dienstag 12. April 14-17 Uhr, Rathaus Taunusstein-Hahn", TODAY)
    assert parsed.title == "Runder Tisch Asyl" and parsed.topic == "Asyl"
    assert parsed.location == "Rathaus Taunusstein-Hahn"
    assert (parsed.when.start, parsed.when.end) == (time(14), time(17))
    # 12 April 2027 is a Monday and 2028 a Wednesday: ask, offering the date and the Tuesday next to it.
    conflict = parsed.when.conflict
    assert conflict is not None and conflict.weekday == 1
    assert conflict.options == (date(2027, 4, 12), date(2027, 4, 13))


def test_a_weekday_that_fits_next_year_picks_that_year():
    when = find_when("Montag 12. April 10 Uhr", date(2026, 3, 1))  # 12.4.2026 is a Sunday, 12.4.2027 a Monday
    assert when.day == date(2027, 4, 12) and when.conflict is None


@pytest.mark.parametrize(("text", "day", "start", "end"), [
    ("14:00–17:00 am 3.12.", date(2026, 12, 3), time(14), time(17)),
    ("am 12.4 um 14 Uhr", date(2027, 4, 12), time(14), None),
    ("Di 1.12. 9.30 Uhr", date(2026, 12, 1), time(9, 30), None),
    ("übermorgen von 10 bis 12 Uhr", date(2026, 11, 23), time(10), time(12)),
    ("in zwei Wochen 18-20 Uhr", date(2026, 12, 5), time(18), time(20)),
    ("Tuesday 1 December 2-5 pm", date(2026, 12, 1), time(14), time(17)),
    ("12.04.2027 14:00", date(2027, 4, 12), time(14), None),
    ("1.12.26, 22-1 Uhr", date(2026, 12, 1), time(22), time(1)),
    ("Freitag 18:30", date(2026, 11, 27), time(18, 30), None),
    ("heute 20 Uhr", TODAY, time(20), None),
    ("21. November 19 Uhr", TODAY, time(19), None),  # today, not next year
    ("20. November 19 Uhr", date(2027, 11, 20), time(19), None),
])
def test_dates_and_times(text, day, start, end):
    when = find_when(text, TODAY)
    assert (when.day, when.start, when.end, when.conflict) == (day, start, end, None)


@pytest.mark.parametrize("text", ["Hauptstraße 12-14, Raum 3", "Treffen mit 5 Leuten", "Raum 1.12"])
def test_numbers_that_are_no_times_or_dates(text):
    when = find_when(text, TODAY)
    assert when.start is None and when.day is None


def test_an_evening_event_ending_after_midnight_ends_the_next_day():
    when = find_when("1.12. 22-1 Uhr", TODAY)
    assert when.ends_at() - when.starts_at() == timedelta(hours=3)


def test_labelled_lines_and_description():
    parsed = parse_announcement(
        "Fachforum Wohnen 3.12. 18 Uhr in Wiesbaden\nThema: Wohnungssuche\nVeranstalter: Integrationsbüro\n"
        "Bitte bis 1.12. anmelden.", TODAY)
    assert (parsed.title, parsed.location, parsed.topic) == ("Fachforum Wohnen", "Wiesbaden", "Wohnungssuche")
    assert parsed.organiser == "Integrationsbüro" and parsed.description == "Bitte bis 1.12. anmelden."
    assert parsed.when.day == date(2026, 12, 3)

    parsed = parse_announcement("Titel: Netzwerktreffen\nWann: Freitag 15-17 Uhr\nOrt: Bürgerhaus, Idstein", TODAY)
    assert (parsed.title, parsed.location) == ("Netzwerktreffen", "Bürgerhaus, Idstein")
    assert (parsed.when.day, parsed.when.start) == (date(2026, 11, 27), time(15))


@settings(max_examples=60, deadline=None)
@given(
    offset=st.integers(0, 600), hour=st.integers(6, 20), minute=st.sampled_from([0, 15, 30, 45]),
    length=st.integers(1, 3), style=st.integers(0, 3),
)
def test_written_dates_read_back(offset, hour, minute, length, style):
    day = TODAY + timedelta(days=offset)
    start, end = time(hour, minute), time(hour + length, minute)
    weekday = WEEKDAYS[day.weekday()]
    text = [
        f"{weekday}, {day.day}. {MONTHS[day.month - 1]} {hour}:{minute:02d}–{hour + length}:{minute:02d} Uhr",
        f"am {day.day}.{day.month}.{day.year} von {hour}.{minute:02d} bis {hour + length}.{minute:02d} Uhr",
        f"{weekday[:2]} {day.day:02d}.{day.month:02d}. {hour}:{minute:02d}-{hour + length}:{minute:02d}",
        f"{day.isoformat()} {hour}:{minute:02d} - {hour + length}:{minute:02d}",
    ][style]
    when = find_when(f"Runder Tisch, {text}, Rathaus", TODAY)
    assert (when.day, when.start, when.end, when.conflict) == (day, start, end, None)


def test_configuration_is_checked_with_the_key_named():
    settings = from_section({"announce_chats": [{"place": "06439", "platform": "telegram", "chat_id": -100123}],
                             "quiet_hours": "22:00-07:00", "reminder_hours": [1, 24]}, default_gazetteer())
    assert settings.announce_chats[0].chat_id == "-100123"
    assert (settings.quiet_from, settings.quiet_to, settings.reminder_hours) == (22 * 60, 7 * 60, (24, 1))
    assert from_section({"quiet_hours": "off"}).quiet_from is None
    with pytest.raises(ConfigError) as error:
        from_section({"announce_chat": [], "quiet_hours": "nachts", "reminder_hours": [0],
                      "announce_chats": [{"place": "99999", "platform": "telegram", "chat_id": "x"}]},
                     default_gazetteer())
    text = str(error.value)
    assert "unknown key events.announce_chat" in text and "events.quiet_hours" in text
    assert "events.reminder_hours" in text and "events.announce_chats[0].place '99999'" in text
