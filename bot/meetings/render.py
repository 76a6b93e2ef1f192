"""How an event reads in a message, in the reader's language.

Every push is rendered per recipient language from the event as it is when the message is queued; the same
lines are used in the preview, so the coordinator confirms exactly what volunteers will read.
"""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta

from babel.dates import format_date

from bot.formats import DATE_LOCALES
from bot.i18n import Translator
from bot.storage.models_meetings import CANCELLED, Meeting
from bot.timeutil import local, now

BABEL_LOCALE = DATE_LOCALES


def date_text(t: Translator, day: date) -> str:
    return format_date(day, "full", locale=BABEL_LOCALE.get(t.language, "de_DE"))


def day_text(t: Translator, moment: datetime) -> str:
    return date_text(t, local(moment).date())


def weekday_name(t: Translator, weekday: int) -> str:
    """0 = Monday."""
    return format_date(date(2024, 1, 1 + weekday), "EEEE", locale=BABEL_LOCALE.get(t.language, "de_DE"))


def short_day(t: Translator, moment: datetime, today: date | None = None) -> str:
    """"Di 1.12." this year, "Di 12.1.2027" in another one."""
    day = local(moment).date()
    this_year = (today or local(now()).date()).year
    pattern = "EEE d.M." if day.year == this_year else "EEE d.M.yyyy"
    return format_date(day, pattern, locale=BABEL_LOCALE.get(t.language, "de_DE"))


def example_day(today: date) -> date:
    """A Tuesday two to three weeks ahead, for the examples in questions: always a real, fitting date."""
    ahead = today + timedelta(days=14)
    return ahead + timedelta(days=(1 - ahead.weekday()) % 7)


def example_when(t: Translator, today: date) -> str:
    """"Dienstag 15. Dezember" (the weekday fits the date), in the reader's language."""
    pattern = "EEEE d. MMMM" if t.language == "de" else "EEEE d MMMM"
    return format_date(example_day(today), pattern, locale=BABEL_LOCALE.get(t.language, "de_DE"))


def clock(moment: datetime) -> str:
    return local(moment).strftime("%H:%M")


def when_text(t: Translator, starts_at: datetime, ends_at: datetime | None) -> str:
    _ = t.gettext
    if ends_at is None:
        return _("{date}, {start}", date=day_text(t, starts_at), start=clock(starts_at))
    if local(ends_at).date() != local(starts_at).date():
        return _("{date}, {start} to {end_date}, {end}", date=day_text(t, starts_at), start=clock(starts_at),
                 end_date=day_text(t, ends_at), end=clock(ends_at))
    return _("{date}, {start}–{end}", date=day_text(t, starts_at), start=clock(starts_at), end=clock(ends_at))


def where_text(location: str, place_name: str) -> str:
    """The address with the Gemeinde or Kreis added unless the address already names it."""
    if not location:
        return place_name
    if place_name and place_name.split(" (")[0].lower() not in location.lower():
        return f"{location}, {place_name}"
    return location


def details(t: Translator, event: Meeting, place_name: str) -> str:
    """The event as HTML lines: title, when, where, topic, organiser, description."""
    _ = t.gettext
    e = html.escape
    lines = [f"<b>{e(event.title)}</b>"]
    if event.status == CANCELLED:
        lines[0] = f"<b>{e(_('CANCELLED'))}: {e(event.title)}</b>"
    lines.append("🗓 " + e(when_text(t, event.starts_at, event.ends_at)))
    if getattr(event, "rrule", ""):
        from bot.meetings.recurrence import describe

        lines.append("🔁 " + e(describe(t, event.rrule)))
    lines.append("📍 " + e(where_text(event.location, place_name)))
    if event.topic:
        lines.append(e(_("Topic: {topic}", topic=event.topic)))
    if event.organiser:
        lines.append(e(_("Organiser: {organiser}", organiser=event.organiser)))
    if event.description:
        lines.append("")
        lines.append(e(event.description))
    return "\n".join(lines)


def announcement(t: Translator, event: Meeting, place_name: str) -> str:
    _ = t.gettext
    return "\n".join([
        html.escape(_("New event in {place}:", place=place_name)),
        details(t, event, place_name),
        "",
        html.escape(_("Will you come? Answer with one of the choices below; you can change your answer at any time.")),
    ])


def _value(t: Translator, values, name: str, place_name: str) -> str:
    """One field of an event (or of its values before a change) as a change notice shows it."""
    if name == "when":
        text = when_text(t, values.starts_at, values.ends_at)
    elif name == "place":
        text = place_name
    else:
        text = getattr(values, name) or ""
    text = " ".join(text.split())
    return (text[:77] + "…" if len(text) > 80 else text) or t.gettext("(none)")


def change_notice(t: Translator, event: Meeting, place_name: str, changed: list[str], before=None,
                  old_place_name: str = "") -> str:
    """The headline names what changed; with `before` (the old values) each change reads "old → new"."""
    _ = t.gettext
    names = {
        "title": _("title"), "when": _("date and time"), "place": _("place"), "location": _("address or room"),
        "topic": _("topic"), "organiser": _("organiser"), "description": _("description"),
    }
    what = ", ".join(names.get(c, c) for c in changed) or _("details")
    lines = ["<b>" + html.escape(_("Changed ({what}):", what=what)) + "</b>"]
    if before is not None:
        for name in changed:
            old = _value(t, before, name, old_place_name or place_name)
            new = _value(t, event, name, place_name)
            lines.append(html.escape(f"{names.get(name, name)}: {old} → {new}"))
        lines.append("")
    lines.append(details(t, event, place_name))
    return "\n".join(lines)


def cancel_notice(t: Translator, event: Meeting, place_name: str) -> str:
    _ = t.gettext
    headline = _("Cancelled: {title} on {date} does not take place.", title=event.title,
                 date=day_text(t, event.starts_at))
    lines = ["<b>" + html.escape(headline) + "</b>"]
    if event.cancel_reason:
        lines.append(html.escape(_("Reason: {reason}", reason=event.cancel_reason)))
    lines += ["", details(t, event, place_name)]
    return "\n".join(lines)


def reminder(t: Translator, event: Meeting, place_name: str) -> str:
    _ = t.gettext
    return "\n".join([
        html.escape(_("Reminder:")),
        details(t, event, place_name),
        "",
        html.escape(_("If you cannot come after all, please answer \"No\" so the organisers can plan.")),
    ])


def answer_label(t: Translator, answer: str) -> str:
    _ = t.gettext
    return {"yes": _("Yes, I'll come"), "maybe": _("Maybe"), "no": _("No")}[answer]


def answer_state(t: Translator, answer: str | None) -> str:
    _ = t.gettext
    return {
        "yes": _("You said you will come."),
        "maybe": _("You said maybe."),
        "no": _("You said you will not come."),
        None: "",
    }[answer]
