"""Roles can be taken back: /rollen for coordinators and admins, the command line, and invites that die."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models_claims import AuditEntry
from tests.support.backend import deliver_due, grant_role
from tests.test_claims_payout import cli, config_file
from tests.test_invites import holds, invite_token

NUERTINGEN, BOEBLINGEN = "08116049", "08115003"


async def test_an_admin_lists_and_revokes_a_role_with_confirmation(app, chat, new_chat, adapter):
    await grant_role(app, chat, "admin")
    rita = new_chat("rita")
    await grant_role(app, rita, "reviewer", "08116")
    await chat.say("/rollen")
    assert "Prüfer" in chat.text or "prüf" in chat.text.lower()
    await chat.press("Entziehen: #")
    assert "Wirklich" in chat.text and await holds(app, "rita", "reviewer", NUERTINGEN)
    await chat.press("Ja, entziehen")
    assert "Entzogen" in chat.text
    assert not await holds(app, "rita", "reviewer", NUERTINGEN)
    await deliver_due(app)
    assert "wurde entzogen" in adapter.to(rita.chat_id)[-1].text
    async with app.db.session() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "role_revoked" in actions


async def test_a_coordinator_sees_only_their_area_and_revokes_only_coordinators(app, chat, new_chat):
    await grant_role(app, chat, "coordinator", "08116")
    local_coordinator, elsewhere, reviewer = new_chat("lc"), new_chat("else"), new_chat("rev")
    await grant_role(app, local_coordinator, "coordinator", NUERTINGEN)
    await grant_role(app, elsewhere, "coordinator", BOEBLINGEN)
    await grant_role(app, reviewer, "reviewer", NUERTINGEN)
    await chat.say("/rollen")
    labels = [b.label for r in chat.replies for row in r.buttons for b in row]
    assert len(labels) == 1  # the coordinator in Nürtingen; not Böblingen, not the reviewer, not themselves
    assert "Böblingen" not in chat.text and "Nürtingen" in chat.text
    await chat.press(labels[0])
    await chat.press("Ja, entziehen")
    assert not await holds(app, "lc", "coordinator", NUERTINGEN)
    assert await holds(app, "rev", "reviewer", NUERTINGEN)


async def test_an_invite_dies_with_its_creators_role_and_a_used_one_is_reported(app, chat, new_chat, adapter):
    admin, coordinator = chat, new_chat("koord")
    await grant_role(app, admin, "admin")
    await grant_role(app, coordinator, "coordinator", "08116")
    await coordinator.say("/einladen koordination Nürtingen")
    first = invite_token(coordinator.text)
    await coordinator.say("/einladen koordination Nürtingen")
    second = invite_token(coordinator.text)
    berta = new_chat("berta")
    await berta.say(f"/start {first}")
    assert "Willkommen" in berta.text
    await deliver_due(app)
    assert "angenommen" in adapter.to(coordinator.chat_id)[-1].text
    await admin.say("/rollen")
    await admin.press("Entziehen: #" + coordinator.text[:0])  # the first revocable holder is the coordinator
    await admin.press("Ja, entziehen")
    carl = new_chat("carl")
    await carl.say(f"/start {second}")
    assert "gilt nicht mehr" in carl.text
    assert not await holds(app, "carl", "coordinator", NUERTINGEN)


async def test_an_open_invite_can_be_revoked_and_a_broken_one_says_so(app, chat, new_chat):
    await grant_role(app, chat, "admin")
    await chat.say("/einladen pruefer Nürtingen")
    token = invite_token(chat.text)
    await chat.say("/rollen")
    await chat.press("Einladung zurückziehen")
    await chat.press("Ja, entziehen")
    assert "Zurückgezogen" in chat.text
    berta = new_chat("berta")
    await berta.say(f"/start {token}")
    assert "Willkommen" not in berta.text and not await holds(app, "berta", "reviewer", NUERTINGEN)
    await berta.say(f"/start {token[:8]}")  # a link cut off when copied
    assert "Einladung" in berta.text and "Hallo" not in berta.text


async def test_roles_on_the_command_line(app, chat, new_chat, tmp_path, db_url, capsys):
    rita = new_chat("rita")
    await grant_role(app, rita, "reviewer", "08116")
    path = config_file(tmp_path, db_url, payout=None)
    assert await cli("roles", "list", "--config", str(path)) == 0
    out = capsys.readouterr().out
    grant_id = int(out.split("grant ")[1].split(":")[0])
    assert "reviewer for 08116" in out
    assert await cli("roles", "revoke", "--config", str(path), "--grant", str(grant_id)) == 0
    assert not await holds(app, "rita", "reviewer", NUERTINGEN)
    assert await cli("roles", "revoke", "--config", str(path), "--grant", str(grant_id)) == 1
