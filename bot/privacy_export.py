"""What /meinedaten hands over: every record of the person, in words they can read, still as JSON.

A raw dump ("place_id": "08116049", "km_tenths": 425, "decided_by": 3) answers the right of access only on paper.
Each section here names its records in the person's language, puts place names beside keys, amounts in euros
and times in Berlin time, and includes the person's side of the conversation with reviewers. Reviewers and
admins appear by their role, never by account. A table that links to the person but has no section of its own
still appears, with its raw columns, so nothing is left out when a feature adds one.
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from bot.storage.models import ChoiceMenu, Delivery, DialogState, Invite, RoleGrant, User
from bot.timeutil import local, now

Value = str | int | float | bool | None


@dataclass
class Section:
    key: str
    title: str
    records: list[dict[str, Value]] = field(default_factory=list)


@dataclass
class Export:
    language: str
    exported_at: datetime
    sections: list[Section]

    def as_json(self, t: Translator) -> bytes:
        data = {
            t.gettext("Exported at"): _when(self.exported_at, self.language),
            "sections": [{"key": s.key, "title": s.title, "records": s.records} for s in self.sections],
        }
        return json.dumps(data, ensure_ascii=False, indent=2).encode()

    def as_html(self, t: Translator) -> bytes:
        """A page a phone opens: one heading and one small table per record."""
        e = html.escape
        parts = [f'<!doctype html><html lang="{e(self.language)}"><head><meta charset="utf-8">',
                 '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 f"<title>{e(t.gettext('My data at helferbot'))}</title>",
                 "<style>body{font-family:sans-serif;margin:1em;max-width:40em}th{text-align:left;"
                 "padding-right:1em;vertical-align:top;font-weight:normal;color:#555}td{vertical-align:top}"
                 "table{margin-bottom:1em;border-collapse:collapse}</style></head><body>",
                 f"<h1>{e(t.gettext('My data at helferbot'))}</h1>",
                 f"<p>{e(t.gettext('Exported at'))}: {e(_when(self.exported_at, self.language))}</p>"]
        for section in self.sections:
            parts.append(f"<h2>{e(section.title)}</h2>")
            for record in section.records:
                rows = "".join(f"<tr><th>{e(str(k))}</th><td>{e(_text(v))}</td></tr>" for k, v in record.items())
                parts.append(f"<table>{rows}</table>")
        parts.append("</body></html>")
        return "\n".join(parts).encode()


def _text(value: Value) -> str:
    return "" if value is None else str(value)


def _when(value: datetime | None, language: str) -> str | None:
    if value is None:
        return None
    from babel.dates import format_datetime

    return format_datetime(local(value), "short", tzinfo=local(value).tzinfo, locale=_locale(language))


def _day(value: date | None, language: str) -> str | None:
    if value is None:
        return None
    from babel.dates import format_date

    return format_date(value, "medium", locale=_locale(language))


def _locale(language: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(language)
        return language
    except (ValueError, UnknownLocaleError):
        return "de"


class Places:
    """Place keys with their names: "Nürtingen (08116049)"."""

    def __init__(self, gazetteer):
        self.gazetteer = gazetteer

    def __call__(self, place_id: str | None) -> str | None:
        if not place_id:
            return None
        place = self.gazetteer.get(place_id) if self.gazetteer is not None else None
        return f"{place.name} ({place_id})" if place is not None else place_id


@dataclass
class Reader:
    """What a section builder needs: the session, the person, their language and the place names."""

    session: AsyncSession
    user: User
    t: Translator
    place: Places

    @property
    def language(self) -> str:
        return self.t.language

    def when(self, value: datetime | None) -> str | None:
        return _when(value, self.language)

    def day(self, value: date | None) -> str | None:
        return _day(value, self.language)

    def label(self, text: str) -> str:
        return self.t.gettext(text)


SectionBuilder = Callable[[Reader], Awaitable[Section | None]]
BUILDERS: list[tuple[str, SectionBuilder]] = []
"""The core's sections: (table the section covers, builder). A feature declares its own in its `Feature`."""


def section(table: str):
    def register(fn: SectionBuilder) -> SectionBuilder:
        BUILDERS.append((table, fn))
        return fn

    return register


def _records(reader: Reader, rows: list[dict[str, Value]]) -> list[dict[str, Value]]:
    return [{reader.label(k): v for k, v in row.items() if v not in (None, "")} for row in rows]


# --- the core's records --------------------------------------------------------------------------------------

@section("users")
async def _account(r: Reader) -> Section:
    u = r.user
    return Section("account", r.label("Your account"), _records(r, [{
        N_("Platform"): u.platform.capitalize(),
        N_("Your ID on this platform"): u.platform_user_id,
        N_("Language"): u.language,
        N_("Chat with you"): u.dm_chat_id,
        N_("First contact"): r.when(getattr(u, "created_at", None)),
        N_("Last message"): r.when(getattr(u, "last_seen_at", None)),
    }]))


@section("role_grants")
async def _roles(r: Reader) -> Section | None:
    rows = (await r.session.scalars(sa.select(RoleGrant).where(RoleGrant.user_id == r.user.id))).all()
    if not rows:
        return None
    return Section("roles", r.label("Your roles"), _records(r, [{
        N_("Role"): g.role, N_("Area"): r.place(g.scope) or r.label("everywhere"),
        N_("Since"): r.when(getattr(g, "created_at", None)),
    } for g in rows]))


@section("invites")
async def _invites(r: Reader) -> Section | None:
    rows = (await r.session.scalars(sa.select(Invite).where(sa.or_(
        Invite.created_by == r.user.id, Invite.redeemed_by == r.user.id)))).all()
    if not rows:
        return None
    return Section("invites", r.label("Invitations"), _records(r, [{
        N_("Role"): i.role, N_("Area"): r.place(i.scope),
        N_("Made by you"): i.created_by == r.user.id, N_("Used by you"): i.redeemed_by == r.user.id,
        N_("Valid until"): r.when(getattr(i, "expires_at", None)),
    } for i in rows]))


@section("dialog_states")
async def _dialogs(r: Reader) -> Section | None:
    rows = (await r.session.scalars(sa.select(DialogState).where(DialogState.user_id == r.user.id))).all()
    if not rows:
        return None
    return Section("dialogs", r.label("Open dialogs"), _records(r, [{
        N_("Dialog"): d.name, N_("Step"): d.step, N_("Your answers so far"): _plain_json(_readable(d.data)),
        N_("Ends at"): r.when(d.expires_at),
    } for d in rows]))


async def _messages(r: Reader) -> Section | None:
    if not r.user.dm_chat_id:
        return None
    rows = (await r.session.execute(
        sa.select(Delivery.status, sa.func.count(), sa.func.max(Delivery.created_at))
        .where(Delivery.platform == r.user.platform, Delivery.chat_id == r.user.dm_chat_id)
        .group_by(Delivery.status))).all()
    menus = await r.session.scalar(sa.select(sa.func.count()).select_from(ChoiceMenu).where(
        ChoiceMenu.platform == r.user.platform, ChoiceMenu.chat_id == r.user.dm_chat_id)) or 0
    if not rows and not menus:
        return None
    records = [{N_("Messages to you"): n, N_("Status"): status, N_("Latest"): r.when(latest)}
               for status, n, latest in rows]
    if menus:
        records.append({N_("Choices remembered for typed answers"): menus})
    return Section("messages", r.label("Messages I keep for delivery"), _records(r, records))


SECRET_KEYS = ("sealed", "hash", "token", "encrypted")


def _readable(data: dict | None) -> dict:
    """A dialog's answers without the sealed IBAN and other internal keys."""
    return {k: v for k, v in (data or {}).items() if not any(s in k for s in SECRET_KEYS)}


def _plain_json(value: Any) -> str | None:
    if not value:
        return None
    return json.dumps(value, ensure_ascii=False, default=str)


# --- putting it together -------------------------------------------------------------------------------------

async def build(session: AsyncSession, user: User, t: Translator, gazetteer, *,
                sections: Sequence[tuple[str, SectionBuilder]] = (), raw_rest) -> Export:
    """The core's and the features' sections with records, then any other table that links to the person, as raw
    rows."""
    reader = Reader(session, user, t, Places(gazetteer))
    found_sections: list[Section] = []
    covered: set[str] = set()
    for table, builder in (*BUILDERS, *sections):
        covered.add(table)
        found = await builder(reader)
        if found is not None and found.records:
            found_sections.append(found)
    messages = await _messages(reader)
    if messages is not None:
        found_sections.append(messages)
    for table, rows in (await raw_rest(session, user, covered)).items():
        found_sections.append(Section(table, table, [{k: _raw(v) for k, v in row.items()} for row in rows]))
    return Export(t.language, now(), found_sections)


def _raw(value: Any) -> Value:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value
