""""Who is my contact in X?": the bot's most used question, answered from the coordinator directory."""

from __future__ import annotations

import html
import re

from bot import directory
from bot.core.context import Context
from bot.core.features import Feature
from bot.core.router import Router
from bot.directory import privacy as directory_privacy
from bot.i18n import N_
from knowledge.topics import TOPICS, topic_in_text

ORDER = 20
router = Router()

MAX_CHOICES = 8
CONTACT_WORDS = re.compile(
    r"\b(ansprechpartner\w*|ansprechperson\w*|kontakt\w*|zuständig\w*|koordinat\w*|contact\w*|"
    r"wer ist|who is|an wen)\b",
    re.IGNORECASE,
)


async def load_seed(app) -> None:
    async with app.db.session() as session:
        await directory.seed_once(session)
        await session.commit()


FEATURE = Feature(on_start=(load_seed,), privacy_sections=directory_privacy.SECTIONS,
                  erase=(directory_privacy.erase,))


def topic_label(ctx: Context, key: str) -> str:
    topic = TOPICS.get(key)
    if topic is None:
        return key
    return topic.label_de if ctx.language == "de" else topic.label_en


def tel_link(phone: str) -> str:
    """A tappable phone link in international form ("0711 3902-42501" -> tel:+49711390242501)."""
    digits = re.sub(r"[^\d+]", "", phone.split("/")[0] if phone.count("/") > 1 else phone)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+49" + digits[1:]
    shown = html.escape(phone)
    return f'<a href="tel:{digits}">{shown}</a>' if len(digits) > 6 else shown


def format_entry(ctx: Context, entry) -> str:
    _ = ctx._
    esc = html.escape
    title = f"<b>{esc(entry.role)}</b>"
    who = ", ".join(esc(x) for x in (entry.name, entry.organisation) if x)
    lines = [f"• {title}" + (f": {who}" if who else "")]
    reach = []
    if entry.phone:
        reach.append("☎ " + tel_link(entry.phone))
    if entry.email:
        reach.append(f'✉ <a href="mailto:{esc(entry.email)}">{esc(entry.email)}</a>')
    if entry.website:
        url = entry.website if entry.website.startswith("http") else "https://" + entry.website
        reach.append(f'🌐 <a href="{esc(url)}">{esc(entry.website)}</a>')
    if reach:
        lines.append("  " + " · ".join(reach))
    topics = [topic_label(ctx, t) for t in entry.topics if t != "allgemein"]
    if topics:
        lines.append("  " + _("Topics: {topics}", topics=esc(", ".join(topics))))
    if entry.notes:
        notes = entry.notes if len(entry.notes) <= 220 else entry.notes[:217].rsplit(" ", 1)[0] + " …"
        lines.append("  " + esc(notes))
    if directory.is_outdated(entry):
        if entry.verified is None:
            lines.append("  ⚠ " + _("possibly outdated (never confirmed)"))
        else:
            lines.append("  ⚠ " + _("possibly outdated (last confirmed {date})", date=entry.verified.strftime("%m/%Y")))
    return "\n".join(lines)


def same_place(asked, level_place) -> bool:
    """A kreisfreie Stadt and its Kreis are one place to the person asking."""
    return level_place.id == asked.id or (getattr(level_place, "kreisfrei", False) and
                                          level_place.id in (asked.kreis_id, asked.id[:5]))


def district_label(ctx: Context, candidate) -> str:
    """A choice found through a district says so: "Münster – Stadtteil von Stuttgart"."""
    place = candidate.place
    if not candidate.via:
        return place.label
    if getattr(place, "kreisfrei", False) or "stadt" in place.official_name.lower():
        return ctx._("{district} – district of {place}", district=candidate.via, place=place.name)
    return ctx._("{district} – part of {place}", district=candidate.via, place=place.name)


def level_heading(ctx: Context, asked, level_place) -> str:
    esc = html.escape
    if same_place(asked, level_place):
        return "<b>" + esc(level_place.name) + "</b>"
    if level_place.kind == "kreis":
        return "<b>" + esc(level_place.name) + "</b> " + ctx._("(the Kreis of {place})", place=esc(asked.name))
    return "<b>" + esc(level_place.name) + "</b> " + ctx._("(the Land of {place})", place=esc(asked.name))


PAGE_CHARS = 1200
"""A contact answer's page fits a phone screen or two; the rest is behind "Show more"."""
_TAGS = re.compile(r"<[^>]+>")


def shown_length(markup: str) -> int:
    """Characters a person sees of the HTML subset (tags and the escapes do not count)."""
    return len(html.unescape(_TAGS.sub("", markup)))


async def answer_for(ctx: Context, place, topic: str | None, via: str | None = None, start: int = 0) -> None:
    """Contacts for `place`, the most specific level first, one page from entry number `start` on; `via` is the
    district the person named, if they named one."""
    _ = ctx._
    gazetteer = ctx.services.places.gazetteer
    levels, topic_found = await directory.contacts_for(ctx.session, gazetteer, place, topic)
    esc = html.escape
    belongs = _("{district} belongs to {place}.", district=via, place=place.name) + "\n" if via else ""
    if not levels:
        ctx.reply(belongs +
            _("For {place} no contact is registered yet. What you can do: ask at the town hall or the district "
              "office (Landratsamt), or tell your coordinator about this gap. Coordinators can add their entry with "
              "/myentry.", place=place.label),
        )
        return
    if start == 0:
        parts = [esc(belongs) + _("Contacts for {place}:", place="<b>" + esc(place.label) + "</b>")]
        if topic and not topic_found:
            parts.append(_("(Nobody is registered for the topic \"{topic}\" there; here are all contacts.)",
                           topic=esc(topic_label(ctx, topic))))
        elif topic:
            parts.append(_("Topic: {topic}", topic=esc(topic_label(ctx, topic))))
        if not same_place(place, levels[0].place):
            parts.append(_("{place} has no entry of its own; these are responsible for it:", place=esc(place.name)))
    else:
        parts = [_("More contacts for {place}:", place="<b>" + esc(place.label) + "</b>")]
    items = [(level, entry) for level in levels for entry in level.entries]
    shown_level = None
    index = start
    while index < len(items):
        level, entry = items[index]
        block = ([""] + [level_heading(ctx, place, level.place)] if level is not shown_level else []) + \
            [format_entry(ctx, entry)]
        if index > start and shown_length("\n".join(parts + block)) > PAGE_CHARS:
            break
        parts += block
        shown_level = level
        index += 1
    rows = None
    if index < len(items):
        more = len(items) - index
        parts.append("")
        parts.append(ctx.ngettext("{n} more entry.", "{n} more entries.", more))
        payload = {"place": place.id, "topic": topic, "start": index}
        rows = [[await ctx.button(_("Show more"), "contact_more", payload)]]
    ctx.reply("\n".join(parts), html=True, buttons=rows)


@router.button("contact_more")
async def contact_more(ctx: Context, payload: dict) -> None:
    place = ctx.services.places.gazetteer.get(str(payload.get("place", "")))
    topic = payload.get("topic")
    start = payload.get("start")
    if place is None or not isinstance(start, int) or isinstance(start, bool) or start < 0:
        ctx.reply(ctx._("This button is not valid (any more). Nothing was done. Send /help to start again."))
        return
    await answer_for(ctx, place, topic if topic in TOPICS else None, start=start)


async def lookup(ctx: Context, text: str, *, explicit: bool) -> bool:
    """Resolve the place in `text` and answer; False if nothing place-like was found in free text."""
    _ = ctx._
    topic, rest = topic_in_text(text)
    resolution = ctx.services.places.resolve(rest or text)
    if resolution.status == "none" and rest != text:
        resolution = ctx.services.places.resolve(text)
    if await answer_resolution(ctx, resolution, topic):
        return True
    if explicit or CONTACT_WORDS.search(text):
        ctx.reply(_("I could not find a German place in \"{text}\". Please write the Gemeinde, the Kreis or the "
                    "postal code, e.g. \"Nürtingen\", \"Landkreis Esslingen\" or \"72622\".", text=text.strip()[:80]))
        return True
    return False


async def answer_resolution(ctx: Context, resolution, topic: str | None) -> bool:
    """Contacts for a found place, or the question which one is meant; False when no place was found."""
    if resolution.status == "match":
        await answer_for(ctx, resolution.best, topic, resolution.candidates[0].via)
        return True
    if resolution.status == "ambiguous":
        rows = []
        labels = set()
        for candidate in resolution.candidates[:MAX_CHOICES]:
            label = district_label(ctx, candidate)
            if label in labels:
                continue
            labels.add(label)
            payload = {"place": candidate.place.id, "topic": topic, "via": candidate.via}
            rows.append([await ctx.button(label, "contact_place", payload)])
        ctx.reply(ctx._("I know several places by that name. Which one do you mean?"), buttons=rows)
        return True
    return False


@router.command("kontakt", "contact", description=N_("Who is my contact in a place? e.g. /contact Nürtingen"))
async def contact(ctx: Context, args: str) -> None:
    if not args.strip():
        await ctx.start_dialog("contact", "place")
        ctx.reply(ctx._("For which place? Write a Gemeinde, a Kreis or a postal code, optionally with a topic, e.g. "
                        "\"education in Esslingen\"."))
        return
    await lookup(ctx, args, explicit=True)


@router.dialog("contact")
async def contact_dialog(ctx: Context) -> None:
    assert ctx.dialog is not None
    topic = ctx.dialog.data.get("topic")
    await ctx.end_dialog()
    text = ctx.text
    if topic in TOPICS and topic_in_text(text)[0] is None:
        resolution = ctx.services.places.resolve(text)
        if await answer_resolution(ctx, resolution, topic):
            return
    await lookup(ctx, text, explicit=True)


@router.on_understood("contact")
async def contact_understood(ctx: Context, reading) -> None:
    """A contact question in free text, with the place and topic already read (knowledge/understand.py)."""
    if reading.resolution is not None and await answer_resolution(ctx, reading.resolution, reading.topic):
        return
    await ctx.start_dialog("contact", "place")
    if reading.topic:
        ctx.reply(ctx._("For which place are you looking for a contact about \"{topic}\"? Write a Gemeinde, a Kreis "
                        "or a postal code.", topic=topic_label(ctx, reading.topic)))
        await ctx.update_dialog(topic=reading.topic)
        return
    ctx.reply(ctx._("For which place? Write a Gemeinde, a Kreis or a postal code, optionally with a topic, e.g. "
                    "\"education in Esslingen\"."))


@router.button("contact_place")
async def contact_place(ctx: Context, payload: dict) -> None:
    place = ctx.services.places.gazetteer.get(str(payload.get("place", "")))
    topic = payload.get("topic")
    if place is None:
        ctx.reply(ctx._("This button is not valid (any more). Nothing was done. Send /help to start again."))
        return
    via = payload.get("via")
    await answer_for(ctx, place, topic if topic in TOPICS else None, via if isinstance(via, str) else None)

