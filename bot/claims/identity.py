"""A person is more than an account: nobody decides on a claim that pays themselves.

One person can hold a Telegram and a Matrix account, or delete an account with /loeschen and come back with the
same one. Comparing user ids misses both. So every account has an `account_key` (a keyed hash of "platform:id",
the same for a returning account, naming nobody in a dump), and accounts belong to a `person_key`:

- accounts named together under `[persons] same = [["telegram:1", "matrix:@a:example.org"]]` in the config
  (how superadmins, who need no invite, say which accounts are theirs);
- accounts linked in the chat with a one-time code (`/verknuepfen`), stored in `person_accounts`;
- otherwise the account is its own person.

A claim keeps its filer's person key, and a second approval the first approver's, so the checks hold after an
account is deleted. A reviewer may also not decide a claim paying an IBAN that they used or saved themselves.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import ConfigError
from bot.storage.models import User
from bot.storage.models_claims import Claim, PayoutAccount
from bot.storage.models_identity import PersonAccount, PersonLinkCode
from bot.timeutil import now
from bot.tokens import digest

if TYPE_CHECKING:
    from bot.core.app import App

LINK_CODE_TTL = timedelta(minutes=15)


def configured_groups(config) -> list[list[tuple[str, str]]]:
    """`[persons] same`, checked: raises ConfigError naming every wrong entry (called at start)."""
    problems = []
    section = config.section("persons")
    for key in section:
        if key != "same":
            problems.append(f"unknown key persons.{key} (known keys: same)")
    groups = section.get("same", [])
    if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
        problems.append('persons.same must be a list of lists, e.g. [["telegram:1", "matrix:@a:example.org"]]')
        groups = []
    out = []
    for group in groups:
        parsed = []
        for entry in group:
            platform, _, uid = str(entry).partition(":")
            if platform not in ("telegram", "matrix", "console", "test") or not uid:
                problems.append(f'persons.same entries look like "telegram:123" or "matrix:@a:b", got {entry!r}')
                continue
            parsed.append((platform, uid))
        if parsed:
            out.append(parsed)
    if problems:
        raise ConfigError(problems)
    return out


class Identity:
    def __init__(self, config):
        from bot.claims.crypto import _derive, master_key

        self._key = _derive(master_key(config), b"person lookup")
        self.groups: dict[str, str] = {}
        """account key -> person key, from the config."""
        self.accounts: dict[str, list[tuple[str, str]]] = {}
        """person key -> the configured accounts, as (platform, id)."""
        for parsed in configured_groups(config):
            person = "cfg:" + min(self.account_key(p, u) for p, u in parsed)[:60]
            self.accounts[person] = parsed
            for platform, uid in parsed:
                self.groups[self.account_key(platform, uid)] = person

    def account_key(self, platform: str, platform_user_id: str) -> str:
        return hmac.new(self._key, f"{platform}:{platform_user_id}".encode(), hashlib.sha256).hexdigest()


def identity(app: App) -> Identity:
    return app.services.claims.identity


def account_of(app: App, user: User) -> str:
    return identity(app).account_key(user.platform, user.platform_user_id)


async def person_of(session: AsyncSession, app: App, user: User) -> str:
    key = account_of(app, user)
    configured = identity(app).groups.get(key)
    if configured is not None:
        return configured
    linked = await session.get(PersonAccount, key)
    return linked.person_key if linked is not None else key


async def user_ids_of(session: AsyncSession, app: App, person: str, user: User | None = None) -> set[int]:
    """The live accounts of a person (linked in the chat or named in the config)."""
    ids = {user.id} if user is not None else set()
    ids |= {i for i in await session.scalars(
        select(PersonAccount.user_id).where(PersonAccount.person_key == person, PersonAccount.user_id.is_not(None)))}
    for platform, uid in identity(app).accounts.get(person, []):
        found = await session.scalar(select(User.id).where(User.platform == platform, User.platform_user_id == uid))
        if found is not None:
            ids.add(found)
    return ids


async def conflict(session: AsyncSession, app: App, claim: Claim, reviewer: User) -> str | None:
    """Why `reviewer` may not decide `claim` as a person ("own_claim", "same_approver", "own_iban"), or None."""
    person = await person_of(session, app, reviewer)
    ids = await user_ids_of(session, app, person, reviewer)
    if claim.user_id in ids or (claim.person_key is not None and claim.person_key == person):
        return "own_claim"
    if claim.user_id is not None:
        claimant = await session.get(User, claim.user_id)
        if claimant is not None and await person_of(session, app, claimant) == person:
            return "own_claim"
    if claim.status == "second_approval":
        if claim.first_approver_id in ids or claim.first_approver_person == person:
            return "same_approver"
    used = await session.scalar(select(Claim.id).where(
        Claim.iban_hash == claim.iban_hash, Claim.id != claim.id,
        or_(Claim.user_id.in_(ids), Claim.person_key == person)).limit(1))
    saved = await session.scalar(select(PayoutAccount.user_id).where(
        PayoutAccount.iban_hash == claim.iban_hash, PayoutAccount.user_id.in_(ids)).limit(1))
    if used is not None or saved is not None:
        return "own_iban"
    return None


# --- linking accounts with a one-time code ------------------------------------------------------------------

async def new_link_code(session: AsyncSession, user: User) -> str:
    import secrets

    await session.execute(delete(PersonLinkCode).where(PersonLinkCode.user_id == user.id))
    code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(10))
    session.add(PersonLinkCode(code_hash=digest(code), user_id=user.id, expires_at=now() + LINK_CODE_TTL))
    await session.flush()
    return code


async def redeem_link_code(session: AsyncSession, app: App, user: User, code: str) -> str:
    """Links `user` to the account that made `code`; returns "ok", "unknown" or "self"."""
    compact = "".join(code.split()).upper()
    row = await session.scalar(select(PersonLinkCode).where(PersonLinkCode.code_hash == digest(compact)))
    if row is None or row.expires_at <= now():
        return "unknown"
    if row.user_id == user.id:
        return "self"
    other = await session.get(User, row.user_id)
    await session.delete(row)
    if other is None:
        return "unknown"
    person = await person_of(session, app, other)
    old = await person_of(session, app, user)
    for account, who in ((account_of(app, other), other), (account_of(app, user), user)):
        found = await session.get(PersonAccount, account)
        if found is None:
            session.add(PersonAccount(account_key=account, person_key=person, user_id=who.id))
        else:
            found.person_key, found.user_id = person, who.id
    await session.flush()
    # Accounts linked to the redeemer before come along, and so do the claims they filed.
    await session.execute(update(PersonAccount).where(PersonAccount.person_key == old).values(person_key=person))
    await session.execute(update(Claim).where(Claim.person_key == old).values(person_key=person))
    return "ok"


async def forget_unused(session: AsyncSession) -> int:
    """Links of deleted accounts whose person has no kept claim any more (run by the retention job)."""
    result = await session.execute(delete(PersonAccount).where(
        PersonAccount.user_id.is_(None),
        PersonAccount.person_key.not_in(select(Claim.person_key).where(Claim.person_key.is_not(None))),
    ).execution_options(synchronize_session=False))
    await session.execute(delete(PersonLinkCode).where(PersonLinkCode.expires_at < now()))
    return result.rowcount or 0
