"""Invitations: single use, expiry, scope, and who may hand out which role."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from bot import roles, users
from bot.storage.models import Invite
from bot.timeutil import now
from tests.support.backend import grant_role

TOKEN = re.compile(r"start(?:=| )(inv_[\w-]+)")


def invite_token(text: str) -> str:
    match = TOKEN.search(text)
    assert match, text
    return match.group(1)


async def holds(app, user_id: str, role: str, place: str | None) -> bool:
    async with app.db.session() as session:
        user = await users.find(session, "test", user_id)
        return await roles.has_role(session, user, role, place)


async def test_admin_invites_a_coordinator_for_a_kreis(app, chat, new_chat):
    await grant_role(app, chat, "admin")
    await chat.say("/einladen koordination Landkreis Esslingen")
    assert "Landkreis Esslingen" in chat.text
    token = invite_token(chat.text)
    berta = new_chat("berta")
    await berta.say(f"/start {token}")
    assert "Willkommen" in berta.text and "Landkreis Esslingen" in berta.text
    assert await holds(app, "berta", "coordinator", "08116049")  # Nürtingen is in the Kreis
    assert not await holds(app, "berta", "coordinator", "08115003")  # Böblingen is not
    assert not await holds(app, "berta", "reviewer", "08116049")


async def test_invite_works_only_once(app, chat, new_chat):
    await grant_role(app, chat, "admin")
    await chat.say("/einladen pruefer überall")
    token = invite_token(chat.text)
    await new_chat("berta").say(f"/start {token}")
    carl = new_chat("carl")
    await carl.say(f"/start {token}")
    assert "schon benutzt" in carl.text
    assert not await holds(app, "carl", "reviewer", None)


async def test_expired_invite(app, chat, new_chat):
    await grant_role(app, chat, "admin")
    await chat.say("/einladen koordination Nürtingen")
    token = invite_token(chat.text)
    async with app.db.session() as session:
        await session.execute(update(Invite).values(expires_at=now() - timedelta(minutes=1)))
        await session.commit()
    dora = new_chat("dora")
    await dora.say(f"/start {token}")
    assert "abgelaufen" in dora.text
    assert not await holds(app, "dora", "coordinator", "08116049")


async def test_unknown_invite(new_chat):
    eve = new_chat("eve")
    await eve.say("/start inv_doesnotexist12345")
    assert "kenne ich nicht" in eve.text


async def test_coordinator_invites_only_coordinators_inside_own_area(app, new_chat):
    coord = new_chat("coord")
    await grant_role(app, coord, "coordinator", "08116")
    await coord.say("/einladen koordination Nürtingen")
    assert "Einladung" in coord.text
    await coord.say("/einladen koordination Landkreis Böblingen")
    assert "nicht einladen" in coord.text
    await coord.say("/einladen pruefer Nürtingen")
    assert "nicht einladen" in coord.text
    await coord.say("/einladen admin")
    assert "nicht einladen" in coord.text


async def test_volunteer_cannot_invite(new_chat):
    vol = new_chat("vol")
    await vol.say("/einladen koordination Nürtingen")
    assert "dürfen Sie leider nicht" in vol.text
    await vol.say("/einladen")
    assert "dürfen Sie leider nicht" in vol.text


async def test_invitation_is_not_created_in_a_group(app, new_chat):
    group_admin = new_chat("gadmin", chat_id="group-1", group=True)
    await grant_role(app, group_admin, "admin")
    await group_admin.say("/einladen koordination Nürtingen")
    assert "privaten Chat" in group_admin.text and "inv_" not in group_admin.text


async def test_guided_invite(app, chat, new_chat):
    await grant_role(app, chat, "admin")
    await chat.say("/einladen")
    await chat.press("Koordinierungsstelle")
    await chat.say("Nürtingen")
    token = invite_token(chat.text)
    await new_chat("fritz").say(f"/start {token}")
    assert await holds(app, "fritz", "coordinator", "08116049")
