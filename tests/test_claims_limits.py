"""Limits and words: receipt quotas, rejection reasons that say something, transport as people type it,
claims that were never decided do not stay forever."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot import privacy
from bot.storage.models_claims import Claim
from bot.timeutil import now
from tests.support.backend import Chat, grant_role
from tests.support.claims import (
    JPEG,
    KREIS_ESSLINGEN,
    audit_of,
    claim_row,
    claims_bot,
    dialog_of,
    file_claim,
    photo,
    png,
    reach_receipt_step,
)


async def test_receipts_have_a_quota_per_person_and_day(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    anna = Chat(app, "anna")
    for n in range(5):  # five dialogs abandoned after the receipt: five receipts nobody claimed
        await reach_receipt_step(anna, transport="Fahrkarte", amount="4,60")
        await anna.say(file=photo(png(8 + n, 6), "beleg.png", "image/png"))
        assert "der Beleg ist da" in anna.text
        await anna.say("/abbrechen")
    await reach_receipt_step(anna, transport="Fahrkarte", amount="4,60")
    await anna.say(file=photo(JPEG))
    assert "heute kann ich keine weiteren speichern" in anna.text
    assert (await dialog_of(app, anna)).step == "receipt"


async def test_a_one_letter_rejection_reason_is_not_enough(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    anna, rita = Chat(app, "anna"), Chat(app, "rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(anna)
    await rita.say("/pruefen")
    await rita.press(f"#{claim_id}")
    await rita.press("Ablehnen")
    await rita.say("x")
    assert "Begründung in ein paar Worten" in rita.text
    assert (await claim_row(app, claim_id)).status == "pending"
    await rita.say("die fahrt war privat")
    assert (await claim_row(app, claim_id)).status == "rejected"


async def test_transport_can_be_typed_as_people_say_it(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    for word, asked in (("bahn", "Fahrkarte gekostet"), ("Zug", "Fahrkarte gekostet"), ("pkw", "Kilometer"),
                        ("ticket", "Fahrkarte gekostet"), ("fahrkarte", "Fahrkarte gekostet")):
        anna = Chat(app, f"anna-{word}")
        await anna.say("/fahrtkosten")
        await anna.say("nuertingen")
        await anna.say("stuttgart")
        if "Wo war Ihr ehrenamtlicher Einsatz" in anna.text:
            await anna.press("Nürtingen")
        await anna.say("gestern")
        await anna.say(word)
        assert asked in anna.text, (word, anna.text)


async def test_a_claim_never_decided_ends_with_its_iban(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    anna = Chat(app, "anna")
    old, fresh = await file_claim(anna), await file_claim(anna, when="heute")
    async with app.db.session() as session:
        await session.execute(update(Claim).where(Claim.id == old).values(updated_at=now() - timedelta(days=400)))
        await session.commit()
    done = await privacy.run_retention(app)
    assert done["expired_claims"] == 1
    claim = await claim_row(app, old)
    assert (claim.status, claim.iban_encrypted) == ("withdrawn", None)
    assert [e.action for e in await audit_of(app, old)][-1] == "expired"
    assert (await claim_row(app, fresh)).status == "pending"
