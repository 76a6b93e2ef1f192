"""Typos cost one question: "Ändern" on the summary, correcting a rejected claim, a receipt sent later, and a
reviewer correcting the kilometres with a reason."""

from __future__ import annotations

from tests.support.backend import Chat, deliver_due, grant_role
from tests.support.claims import (
    KREIS_ESSLINGEN,
    audit_of,
    claim_row,
    claims_bot,
    file_claim,
    photo,
)


async def test_one_answer_is_changed_from_the_summary_and_the_others_stay(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    anna = Chat(app, "anna")
    await file_claim(anna, amount="425", submit=False)  # a typo: 425 km instead of 42,5
    assert "425" in anna.text
    await anna.press("Ändern")
    await anna.press("Kilometer oder Preis")
    assert "Wie viele Kilometer" in anna.text
    await anna.say("42,5")
    assert "Bitte prüfen Sie Ihren Antrag" in anna.text and "42,5" in anna.text and "Ausländerbehörde" in anna.text
    await anna.press("Ändern")
    await anna.press("Zweck")
    await anna.say("runder tisch asyl")
    assert "Bitte prüfen Sie Ihren Antrag" in anna.text and "runder tisch asyl" in anna.text
    await anna.press("Einreichen")
    claim = await claim_row(app, int(anna.text.split("Antrag #")[1].split()[0]))
    assert (claim.km_tenths, claim.purpose, claim.amount_cents) == (425, "runder tisch asyl", 1275)


async def test_a_rejected_claim_is_corrected_and_submitted_again(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    anna, rita = Chat(app, "anna"), Chat(app, "rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    first = await file_claim(anna, purpose="fahrt")
    await rita.say("/pruefen")
    await rita.press(f"#{first}")
    await rita.press("Ablehnen")
    await rita.say("bitte den zweck genauer angeben")
    await anna.say("/meineantraege")
    await anna.press(f"#{first} korrigieren")
    assert "zweck genauer" in anna.text and "Bitte prüfen Sie Ihren Antrag" in anna.text
    await anna.press("Ändern")
    await anna.press("Zweck")
    await anna.say("begleitung familie zum jobcenter")
    await anna.press("Einreichen")
    second = int(anna.text.split("Antrag #")[1].split()[0])
    assert second != first
    claim = await claim_row(app, second)
    assert (claim.status, claim.purpose, claim.iban_last4) == ("pending", "begleitung familie zum jobcenter", "3000")
    assert f"#{first}" in (await audit_of(app, second))[0].note


async def test_a_receipt_is_added_later(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    anna, rita = Chat(app, "anna"), Chat(app, "rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(anna)
    await anna.say("/meineantraege")
    await anna.press(f"Beleg zu #{claim_id}")
    await anna.say("hier kommt er")
    assert "Foto oder eine PDF" in anna.text or "nicht als Text" in anna.text or "PDF" in anna.text
    await anna.say(file=photo())
    assert "gehört jetzt zu Antrag" in anna.text
    assert (await claim_row(app, claim_id)).receipt_id is not None
    await deliver_due(app)
    assert any("Beleg nachgereicht" in r.text for r in app.adapters["test"].to(rita.chat_id))


async def test_a_reviewer_corrects_the_kilometres_with_a_reason(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    anna, rita = Chat(app, "anna"), Chat(app, "rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(anna, amount="42,5")
    await rita.say("/pruefen")
    await rita.press(f"#{claim_id}")
    await rita.press("korrigieren")
    await rita.say("38 x")
    assert "Begründung" in rita.text and (await claim_row(app, claim_id)).km_tenths == 425
    await rita.say("38 laut routenplaner")
    claim = await claim_row(app, claim_id)
    assert (claim.km_tenths, claim.amount_cents, claim.status) == (380, 1140, "pending")
    assert "laut routenplaner" in (await audit_of(app, claim_id))[-1].note
    await deliver_due(app)
    assert "11,40" in app.adapters["test"].to(anna.chat_id)[-1].text
