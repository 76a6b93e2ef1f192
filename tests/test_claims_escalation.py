"""Claims nobody sees: a place without a reviewer goes to the superadmins; waiting claims come back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.claims import escalation
from bot.storage.models_claims import Claim
from bot.timeutil import now
from tests.support.backend import Chat, deliver_due, grant_role
from tests.support.claims import KREIS_ESSLINGEN, claim_row, claims_bot, file_claim
from tests.test_claims_identity import BOSS_TG, two_platform_bot


async def test_a_claim_for_a_place_without_a_reviewer_reaches_the_superadmins(tmp_path, db_url, db):
    app = two_platform_bot(tmp_path, db_url, db)
    boss, volunteer = Chat(app, BOSS_TG, platform="telegram"), Chat(app, "5005", platform="telegram")
    await boss.say("/start")
    esslingen = Chat(app, "6006", platform="telegram")
    await grant_role(app, esslingen, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(volunteer, start="Berlin", destination="Potsdam")
    await deliver_due(app, "telegram")
    told = [r.text for r in app.adapters["telegram"].to(boss.chat_id)]
    assert any(f"#{claim_id}" in t and "Berlin" in t and "Superadmin" in t for t in told), told
    assert not any(f"#{claim_id}" in r.text for r in app.adapters["telegram"].to(esslingen.chat_id))
    await boss.say("/pruefen")
    await boss.press(f"#{claim_id}")
    await boss.press("Genehmigen")
    assert (await claim_row(app, claim_id)).status == "approved"


async def age(app, claim_id: int, days: int) -> None:
    async with app.db.session() as session:
        await session.execute(update(Claim).where(Claim.id == claim_id).values(
            created_at=now() - timedelta(days=days), updated_at=now() - timedelta(days=days)))
        await session.commit()


async def test_reviewers_are_reminded_after_three_days_and_the_volunteer_told_after_fourteen(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    anna, rita = Chat(app, "anna"), Chat(app, "rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(anna)
    await deliver_due(app)
    adapter = app.adapters["test"]
    before = len(adapter.to(rita.chat_id))
    assert await escalation.remind(app) == (0, 0)  # fresh claims need no reminder
    await age(app, claim_id, 4)
    assert await escalation.remind(app) == (1, 0)
    assert await escalation.remind(app) == (0, 0)  # not every round: again after three more days
    await deliver_due(app)
    reminders = [r.text for r in adapter.to(rita.chat_id)[before:]]
    assert len(reminders) == 1 and f"#{claim_id}" in reminders[0] and "seit 4 Tagen" in reminders[0]
    await age(app, claim_id, 15)
    assert await escalation.remind(app) == (0, 1)  # reviewers were reminded a moment ago
    assert await escalation.remind(app) == (0, 0)
    await deliver_due(app)
    assert "noch nicht entschieden" in adapter.to(anna.chat_id)[-1].text
    assert (await claim_row(app, claim_id)).waiting_told_at is not None
