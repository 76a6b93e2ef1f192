"""What the bot keeps about a person, handing it over, forgetting it, and forgetting old things on time.

Each feature declares its own privacy hooks in its `Feature` (bot/core/features.py): its /meinedaten sections,
what /loeschen does to its records, what the retention job deletes. This module runs the hooks the app was given
and knows no feature's tables. Export and deletion then still walk every table with a foreign key to `users.id`
instead of a hand-kept list, so a table nobody declared is exported and cleaned up all the same. Claims are the
exception the law makes: they are accounting records, so deletion detaches them from the chat account (the
foreign key is set to NULL) and their retention hook removes them only when the retention period has ended.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import ConfigError
from bot.core import buttons, outbox
from bot.storage.base import Base
from bot.storage.models import ChoiceMenu, DialogState, SeenEvent, User
from bot.timeutil import now

if TYPE_CHECKING:
    from bot.core.app import App
    from bot.core.features import Eraser, PrivacySection

T = TypeVar("T")

log = logging.getLogger(__name__)

SEEN_EVENTS_DAYS = 30
"""Redelivered platform events arrive within minutes; a month is a wide margin."""
DIALOG_GRACE = timedelta(days=7)
OWNER_COLUMNS = ("user_id", "owner_user_id", "created_by", "redeemed_by")
"""Columns that say a row belongs to (or was made by) the person; other user columns name them as the actor on
someone else's record (a reviewer's decision), which is not theirs to take home."""
HIDDEN_COLUMNS = {"iban_encrypted", "iban_hash", "token_hash"}
SKIPPED_TABLES = {"button_tokens"}
"""Internal keys behind buttons: nothing a person could read, and secrets while they are valid."""
DROPPED_TABLES = {"deliveries", "event_recipients"}
"""Rows that name a private chat: deleted with the person instead of kept with the link set to NULL."""
ACCOUNTING_RECORDS = {
    ("claims", "holder"), ("claims", "purpose"), ("claims", "from_text"), ("claims", "to_text"),
    ("claims", "round_table"), ("claims", "reject_reason"), ("claim_receipts", "filename"),
    ("claim_receipts", "data"), ("claim_audit", "note"),
}
"""What stays of a person after /loeschen, because tax and commercial law require the records of a payment: the
claim as filed (account holder, trip, purpose), its receipt and its history; detached from the account and deleted
when `claims_retention_years` have passed."""


@dataclass(frozen=True)
class PrivacySettings:
    claims_retention_years: int = 8
    """Accounting records are kept this many full calendar years after the year of their last change."""
    deliveries_retention_days: int = 30
    """Sent, failed and cancelled messages in the outbox are deleted after this many days."""
    open_claims_expire_days: int = 365
    """A claim nobody decided on for this many days ends as withdrawn (and loses its IBAN), so it is kept only
    as long as any other finished claim instead of forever."""
    controller: str = ""
    """Who is responsible for the data (GDPR Art. 13): the organisation that runs the bot, with its address."""
    contact: str = ""
    """How to reach the controller or its data protection officer about privacy (e-mail, phone, address)."""
    authority: str = ""
    """The supervisory authority people may complain to; empty: the one of the person's Land, in general words."""


def load(config) -> PrivacySettings:
    """Read and check the [privacy] section; raises ConfigError naming every wrong key."""
    section = config.section("privacy")
    known = {f.name: f for f in dataclasses.fields(PrivacySettings)}
    problems, values = [], {}
    for key, value in section.items():
        if key not in known:
            problems.append(f"unknown key privacy.{key} (known keys: {', '.join(known)})")
        elif known[key].type in (str, "str"):
            if isinstance(value, str):
                values[key] = value.strip()
            else:
                problems.append(f"privacy.{key} must be text, got {value!r}")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(f"privacy.{key} must be a whole number of at least 1, got {value!r}")
        else:
            values[key] = value
    if problems:
        raise ConfigError(problems)
    return PrivacySettings(**values)


def settings(app: App) -> PrivacySettings:
    return app.services.privacy.settings


def _user_columns() -> list[tuple[sa.Table, sa.Column]]:
    """Every (table, column) with a foreign key to users.id, over every feature's models."""
    import bot.storage.all_models  # noqa: F401  (registers every feature's tables)

    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "users" for fk in column.foreign_keys):
                found.append((table, column))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"bytes": len(value)}
    return value


def _row(table: sa.Table, row: sa.Row) -> dict[str, Any]:
    out = {}
    for key, value in row._mapping.items():
        if key in HIDDEN_COLUMNS:
            continue
        if key == "iban_last4":
            out["iban"] = f"…{value}" if value else None
            continue
        out[key] = _plain(value)
    return out


async def export_readable(session: AsyncSession, user: User, t, gazetteer,
                          sections: Sequence[PrivacySection] = ()):
    """The export for the person: the core's and the features' `sections` in their language
    (bot.privacy_export), then every other table that links to them, raw."""
    from bot.privacy_export import build

    return await build(session, user, t, gazetteer, sections=sections, raw_rest=_rows_not_covered)


async def _rows_not_covered(session: AsyncSession, user: User, covered: set[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for table, column in _user_columns():
        if table.name in SKIPPED_TABLES or table.name in covered or column.name not in OWNER_COLUMNS:
            continue
        rows = (await session.execute(sa.select(table).where(column == user.id))).all()
        if rows:
            found.setdefault(table.name, []).extend(_row(table, r) for r in rows)
    return found


async def export_user(session: AsyncSession, user: User) -> dict[str, Any]:
    """Everything stored about `user`, as JSON-ready data: their row, and every row that belongs to them."""
    data: dict[str, Any] = {
        "exported_at": now().isoformat(),
        "user": _row(User.__table__, (await session.execute(sa.select(User.__table__).where(
            User.id == user.id))).one()),
    }
    for table, column in _user_columns():
        if table.name in SKIPPED_TABLES or column.name not in OWNER_COLUMNS:
            continue
        rows = (await session.execute(sa.select(table).where(column == user.id))).all()
        if rows:
            key = table.name if column.name == "user_id" else f"{table.name} ({column.name})"
            data[key] = [_row(table, r) for r in rows]
    if user.dm_chat_id:
        menus = (await session.execute(sa.select(ChoiceMenu.__table__).where(
            ChoiceMenu.platform == user.platform, ChoiceMenu.chat_id == user.dm_chat_id))).all()
        if menus:
            data["choice_menus"] = [_row(ChoiceMenu.__table__, r) for r in menus]
    return data


def export_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_fallback).encode()


def _fallback(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


@dataclass
class Deleted:
    rows: dict[str, int]
    """Rows the generic walk deleted or detached, by table."""
    outcomes: list[Any]
    """What each feature's eraser reports, for the answer to the person."""

    def outcome(self, kind: type[T]) -> T | None:
        return next((o for o in self.outcomes if isinstance(o, kind)), None)


async def delete_user(session: AsyncSession, user: User, erasers: Iterable[Eraser] = (), *,
                      choices: frozenset[str] = frozenset()) -> Deleted:
    """Delete the person and everything that is theirs: first what each feature's eraser does (claims stay,
    detached, until their retention ends), then every row still linked to them.

    Runs in the caller's transaction: the confirmation, the deletion and its answer commit together.
    """
    await session.flush()
    uid = user.id
    counts: dict[str, int] = {}
    outcomes = [await erase(session, user, choices) for erase in erasers]
    await session.flush()
    if user.dm_chat_id:
        await session.execute(sa.delete(ChoiceMenu).where(
            ChoiceMenu.platform == user.platform, ChoiceMenu.chat_id == user.dm_chat_id))
        await outbox.erase_chat(session, user.platform, user.dm_chat_id)
    for table, column in reversed(_user_columns()):
        cascade = any(fk.ondelete and fk.ondelete.upper() == "CASCADE" for fk in column.foreign_keys)
        if cascade or table.name in DROPPED_TABLES:
            result = await session.execute(sa.delete(table).where(column == uid))
        else:
            result = await session.execute(sa.update(table).where(column == uid).values({column.name: None}))
        if result.rowcount:
            counts[table.name] = counts.get(table.name, 0) + result.rowcount
    await session.execute(sa.delete(User).where(User.id == uid))
    session.expunge_all()
    log.info("deleted user %d on request", uid)
    return Deleted(counts, [o for o in outcomes if o is not None])


async def enforce_retention(app: App, session: AsyncSession, at: datetime | None = None) -> dict[str, int]:
    """Delete what has outlived its purpose: the core's records here, the features' by their retention hooks;
    returns how many rows of each kind went."""
    at = at or now()
    policy = settings(app)
    done: dict[str, int] = {}

    async def run(name: str, statement) -> None:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        done[name] = result.rowcount or 0

    done["deliveries"] = await outbox.purge_finished(session, at - timedelta(days=policy.deliveries_retention_days))
    done["button_tokens"] = await buttons.purge_expired(session)
    await run("seen_events", sa.delete(SeenEvent).where(SeenEvent.seen_at < at - timedelta(days=SEEN_EVENTS_DAYS)))
    await run("dialog_states", sa.delete(DialogState).where(DialogState.expires_at < at - DIALOG_GRACE))
    await run("choice_menus", sa.delete(ChoiceMenu).where(ChoiceMenu.created_at < at - buttons.MENU_TTL))
    for hook in app.retention:
        done.update(await hook(app, session, at))
    return done


async def run_retention(app: App, at: datetime | None = None) -> dict[str, int]:
    async with app.db.session() as session:
        done = await enforce_retention(app, session, at)
        await session.commit()
    log.info("retention: %s", ", ".join(f"{k}={v}" for k, v in sorted(done.items()) if v) or "nothing to do")
    return done


async def retention_job(app: App) -> None:
    """Once at start, then daily: a bot restarted every night still runs it."""
    while True:
        await run_retention(app)
        await asyncio.sleep(24 * 3600)
