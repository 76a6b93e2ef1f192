""""Who is my contact in X?": the bot's most used question, answered from the coordinator directory."""

from __future__ import annotations

import html
import re

from bot import directory
from bot.core.context import Context
from bot.core.features import Feature
from bot.core.router import Router
from bot.i18n import N_
from knowledge.topics import TOPICS, topic_in_text

ORDER = 20
router = Router()

MAX_PER_LEVEL = 6
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


FEATURE = Feature(on_start=(load_seed,))


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


async def answer_for(ctx: Context, place, topic: str | None, via: str | None = None) -> None:
    _ = ctx._
    belongs = _("{district} belongs to {place}.", district=via, place=place.name) + "\n" if via else ""
    gazetteer = ctx.services.places.gazetteer
    levels, topic_found = await directory.contacts_for(ctx.session, gazetteer, place, topic)
    esc = html.escape
    if not levels:
        ctx.reply(belongs +
            _("For {place} no contact is registered yet. What you can do: ask at the town hall or the district "
              "office (Landratsamt), or tell your coordinator about this gap. Coordinators can add their entry with "
              "/myentry.", place=place.label),
        )
        return
    parts = [esc(belongs) + _("Contacts for {place}:", place="<b>" + esc(place.label) + "</b>")]
    if topic and not topic_found:
        parts.append(_("(Nobody is registered for the topic \"{topic}\" there; here are all contacts.)",
                       topic=esc(topic_label(ctx, topic))))
    elif topic:
        parts.append(_("Topic: {topic}", topic=esc(topic_label(ctx, topic))))
    if not same_place(place, levels[0].place):
        parts.append(_("{place} has no entry of its own; these are responsible for it:", place=esc(place.name)))
    for level in levels:
        parts.append("")
        parts.append(level_heading(ctx, place, level.place))
        for entry in level.entries[:MAX_PER_LEVEL]:
            parts.append(format_entry(ctx, entry))
        hidden = len(level.entries) - MAX_PER_LEVEL
        if hidden > 0:
            parts.append(ctx.ngettext("… and {n} more entry. Add a topic to narrow it down, e.g. \"education in {place}\".",
                                      "… and {n} more entries. Add a topic to narrow it down, e.g. \"education in {place}\".",
                                      hidden, place=esc(level.place.name)))
    ctx.reply("\n".join(parts), html=True)


async def lookup(ctx: Context, text: str, *, explicit: bool) -> bool:
    """Resolve the place in `text` and answer; False if nothing place-like was found in free text."""
    _ = ctx._
    topic, rest = topic_in_text(text)
    resolution = ctx.services.places.resolve(rest or text)
    if resolution.status == "none" and rest != text:
        resolution = ctx.services.places.resolve(text)
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
        ctx.reply(_("I know several places by that name. Which one do you mean?"), buttons=rows)
        return True
    if explicit or CONTACT_WORDS.search(text):
        ctx.reply(_("I could not find a German place in \"{text}\". Please write the Gemeinde, the Kreis or the "
                    "postal code, e.g. \"Nürtingen\", \"Landkreis Esslingen\" or \"72622\".", text=text.strip()[:80]))
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
    await ctx.end_dialog()
    await lookup(ctx, ctx.text, explicit=True)


@router.intent("contact", priority=60)
async def contact_intent(ctx: Context) -> bool:
    if ctx.is_group:
        return False
    return await lookup(ctx, ctx.text, explicit=False)


@router.button("contact_place")
async def contact_place(ctx: Context, payload: dict) -> None:
    place = ctx.services.places.gazetteer.get(str(payload.get("place", "")))
    topic = payload.get("topic")
    if place is None:
        ctx.reply(ctx._("This button is not valid (any more). Nothing was done. Send /help to start again."))
        return
    via = payload.get("via")
    await answer_for(ctx, place, topic if topic in TOPICS else None, via if isinstance(via, str) else None)

