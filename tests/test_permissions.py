"""A volunteer cannot reach coordinator, reviewer or admin actions: not by any command, not by any button.

Every command the bot knows is sent, with and without arguments, and every button it offers is pressed; then
every registered button action is fired through tokens forged for the volunteer (the worst a platform-side
attacker can do, since the core only accepts tokens bound to the presser), with payloads naming real claims,
payout files, events, invitations and directory entries made by others. Nothing may grant a role, decide or
pay a claim, create or change an event, create an invitation, change the directory, or hand out an export.
"""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot import invites, users
from bot.core import buttons
from bot.storage.models import Invite, RoleGrant, User
from bot.storage.models_claims import Claim, PayoutBatch
from bot.storage.models_directory import DirectoryEntry
from bot.storage.models_meetings import Meeting
from bot.timeutil import now
from bot.wiring import build_app
from tests.support.backend import Chat, RecordingAdapter, grant_role
from tests.support.claims import KREIS_ESSLINGEN, file_claim
from tests.support.config import make_config

NUERTINGEN = "08116049"
ARGUMENTS = ["", NUERTINGEN, "Nürtingen", "admin", "koordinator überall", "prüfer 08116", "1", "ja",
             "Runder Tisch Asyl am 12.12. um 18 Uhr in Nürtingen, Rathaus"]


def volunteer_bot(tmp_path, db_url, db):
    app = build_app(make_config(tmp_path, db_url, bot={"user_messages_per_minute": 0}), db=db)
    adapter = RecordingAdapter("test")
    app.add_adapter(adapter)
    adapter.app = app
    return app


async def others_make_things(app) -> dict:
    """An admin, a coordinator and another volunteer leave claims, a payout file, an event, an invite, an entry."""
    ada, bert = Chat(app, "ada"), Chat(app, "bert")
    await grant_role(app, ada, "admin", "")
    await grant_role(app, Chat(app, "cora"), "coordinator", NUERTINGEN)
    claims = [await file_claim(bert) for _ in range(3)]
    async with app.db.session() as session:
        admin = await users.find(session, "test", "ada")
        _first, second, third = [await session.get(Claim, c) for c in claims]
        second.status = "approved"
        batch = PayoutBatch(message_id="M1", checksum="0" * 64, count=1, total_cents=third.amount_cents,
                            created_by=admin.id)
        session.add(batch)
        await session.flush()
        third.status, third.batch_id = "exported", batch.id
        event = Meeting(uid="perm@helferbot", place_id=NUERTINGEN, title="Runder Tisch", created_by=admin.id,
                      starts_at=now() + timedelta(days=5))
        entry = DirectoryEntry(place_id=NUERTINGEN, role="Koordination", name="Ada", owner_user_id=admin.id,
                               origin="chat")
        session.add_all([event, entry])
        _token, invite = await invites.create(session, admin, "reviewer", KREIS_ESSLINGEN)
        await session.commit()
        return {"claims": claims, "batch": batch.id, "event": event.id, "entry": entry.id, "invite": invite.id}


async def snapshot(app, volunteer: str) -> dict:
    async with app.db.session() as session:
        vera = await users.find(session, "test", volunteer)
        vid = vera.id if vera else -1
        return {
            "roles": sorted(await session.execute(select(RoleGrant.user_id, RoleGrant.role, RoleGrant.scope))),
            "claims": sorted(await session.execute(
                select(Claim.id, Claim.status, Claim.decided_by, Claim.first_approver_id, Claim.batch_id,
                       Claim.amount_cents, Claim.iban_encrypted).where(Claim.user_id != vid))),
            "batches": sorted(await session.execute(select(PayoutBatch.id, PayoutBatch.status))),
            "events": sorted(await session.execute(
                select(Meeting.id, Meeting.status, Meeting.sequence, Meeting.title, Meeting.starts_at))),
            "invites": sorted(await session.execute(select(Invite.id, Invite.role, Invite.scope,
                                                           Invite.redeemed_by))),
            "directory": sorted(await session.execute(
                select(DirectoryEntry.id, DirectoryEntry.name, DirectoryEntry.phone, DirectoryEntry.updated_at))),
        }


def leaked_files(replies, vera_id: int) -> list[str]:
    """Files a volunteer may get: their own data export and calendar entries of public events."""
    bad = []
    for reply in replies:
        f = reply.file
        if f is None or f.mime_type == "text/calendar":
            continue
        if f.filename.startswith("helferbot-data-") and own_export(f):
            continue
        bad.append(f.filename)
    return bad


def own_export(f) -> bool:
    """/meinedaten's page or JSON, about the volunteer herself (her account is its first section)."""
    if f.mime_type == "application/json":
        account = json.loads(f.data)["sections"][0]
        return account["key"] == "account" and "vera" in account["records"][0].values()
    return f.mime_type == "text/html" and b"<td>vera</td>" in f.data


async def vera_id(app) -> int:
    async with app.db.session() as session:
        return (await users.find(session, "test", "vera")).id


async def test_no_command_and_no_offered_button_escalates(tmp_path, db_url, db):
    app = volunteer_bot(tmp_path, db_url, db)
    await others_make_things(app)
    vera = Chat(app, "vera")
    await vera.say("/start")
    before = await snapshot(app, "vera")
    seen = []
    for name in sorted(app.router.commands):
        for args in ARGUMENTS:
            replies = await vera.say(f"/{name} {args}".strip())
            seen += replies
            offered = [b for r in replies for row in r.buttons for b in row if b.token]
            for button in offered:
                seen += await vera.press(button)
                seen += await vera.say("ja")
            await vera.say("/abbrechen")
    assert await snapshot(app, "vera") == before
    assert leaked_files(seen, await vera_id(app)) == []
    assert len(app.router.commands) >= 20  # every feature's commands were in the list


def payloads(ids: dict) -> list[dict]:
    c = ids["claims"]
    found = [{}, {"batch": ids["batch"]}, {"batch": ids["batch"], "confirm": True}, {"e": ids["event"]},
             {"e": ids["event"], "a": "yes"}, {"id": ids["entry"]}, {"id": ids["entry"], "field": "phone"},
             {"role": "admin"}, {"role": "coordinator"}, {"role": "reviewer"}, {"format": "csv"},
             {"format": "xlsx"}, {"format": "sepa"}, {"place": NUERTINGEN}, {"f": "title"}, {"step": "confirm"},
             {"day": now().date().isoformat()}]
    found += [{"claim": i} for i in c] + [{"claim": i, "confirm": True} for i in c]
    everything = {}
    for p in found:
        everything.update(p)
    return [*found, everything]


async def press_forged(app, vera: Chat, action: str, payload: dict):
    async with app.db.session() as session:
        user = await users.find(session, "test", "vera")
        token = await buttons.create(session, user, action, payload)
        await session.commit()
    return await vera.press_token(token)


async def test_every_button_action_with_forged_tokens_escalates_nothing(tmp_path, db_url, db):
    app = volunteer_bot(tmp_path, db_url, db)
    ids = await others_make_things(app)
    vera = Chat(app, "vera")
    await vera.say("/start")
    before = await snapshot(app, "vera")
    seen = []
    for action in sorted(app.router.buttons):
        for payload in payloads(ids):
            seen += await press_forged(app, vera, action, payload)
        await vera.say("/abbrechen")
    assert await snapshot(app, "vera") == before
    assert leaked_files(seen, await vera_id(app)) == []
    async with app.db.session() as session:
        assert await session.scalar(select(User.id).join(RoleGrant, RoleGrant.user_id == User.id).where(User.platform_user_id == "vera")) is None


_built: dict = {}

values = st.one_of(st.integers(-3, 12), st.text(max_size=12), st.booleans(), st.none(),
                   st.sampled_from([NUERTINGEN, "", "admin", "08", "yes", "csv"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_random_forged_payloads_escalate_nothing(tmp_path, db_url, db, data):
    key = str(tmp_path)
    if key not in _built:
        app = volunteer_bot(tmp_path, db_url, db)
        await others_make_things(app)
        vera = Chat(app, "vera")
        await vera.say("/start")
        _built.clear()
        _built[key] = (app, vera, await snapshot(app, "vera"))
    app, vera, before = _built[key]
    action = data.draw(st.sampled_from(sorted(app.router.buttons)), label="action")
    payload = data.draw(st.dictionaries(
        st.sampled_from(["claim", "batch", "e", "a", "id", "field", "role", "format", "place", "f", "step",
                         "confirm", "day", "lang", "use", "save", "days", "transport", "label", "text"]),
        values, max_size=4), label="payload")
    replies = await press_forged(app, vera, action, payload)
    then = await vera.say("ja")
    assert await snapshot(app, "vera") == before
    assert leaked_files([*replies, *then], await vera_id(app)) == []
