"""Each feature brings its own privacy hooks in its `Feature`; bot/privacy.py runs them and still walks every
table that links to a person, so a table nobody declared is exported and erased all the same."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot import privacy
from bot.core.features import Feature
from bot.privacy_export import Section
from bot.storage.models import User
from bot.storage.models_claims import Claim, PayoutAccount
from tests.support.claims import file_claim


def exported(chat) -> dict[str, dict]:
    [machine] = [r.file for r in chat.replies if r.file is not None and r.file.mime_type == "application/json"]
    return {s["key"]: s for s in json.loads(machine.data)["sections"]}


async def test_a_features_declared_hooks_run_for_mydata_loeschen_and_the_retention_job(app, chat):
    seen = []

    async def notebook(reader):
        return Section("notebook", reader.label("Notebook"), [{"Note": f"written by user {reader.user.id}"}])

    async def erase(session, user, choices):
        # it runs before the person's row goes, so it can still find what is theirs
        seen.append(("erase", await session.scalar(select(func.count()).where(User.id == user.id)), choices))
        return "notes gone"

    async def retention(app_, session, at):
        seen.append(("retention", app_ is app))
        return {"notes": 2}

    app.add_feature(Feature(privacy_sections=(("notes", notebook),), erase=(erase,), retention=(retention,)))
    await chat.say("hallo")
    await chat.say("/meinedaten")
    assert exported(chat)["notebook"]["records"][0]["Note"].startswith("written by user")

    await chat.say("/loeschen")
    await chat.press("Ja, alles löschen")
    assert "gelöscht" in chat.text
    assert seen == [("erase", 1, frozenset())]
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0

    done = await privacy.run_retention(app)
    assert done["notes"] == 2 and seen[-1] == ("retention", True)


async def test_a_table_no_feature_declared_is_still_exported_and_erased(app, chat):
    """Without the claims' own hooks the generic walk still hands over and detaches what links to the person."""
    app.privacy_sections = [s for s in app.privacy_sections if s[0] not in ("claims", "claim_accounts")]
    app.erasers.clear()
    claim_id = await file_claim(chat, save=True)
    await chat.say("/meinedaten")
    sections = exported(chat)
    assert "saved_account" not in sections  # no readable section any more, but the raw rows are there
    assert sections["claim_accounts"]["records"][0]["iban"] == "…3000"
    assert "iban_encrypted" not in sections["claim_accounts"]["records"][0]
    assert [r["id"] for r in sections["claims"]["records"]] == [claim_id]  # raw columns, not "Day of the trip"

    await chat.say("/loeschen")
    await chat.press("Ja, alles löschen")
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PayoutAccount)) == 0
        claim = await session.get(Claim, claim_id)
        assert claim is not None and claim.user_id is None  # kept, detached
