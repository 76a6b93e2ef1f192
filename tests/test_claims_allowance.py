"""Yearly totals per person against the Ehrenamtspauschale, for reviewers and the treasurer."""

from __future__ import annotations

from tests.support.backend import Chat, grant_role
from tests.support.claims import IBAN_BEN, KREIS_ESSLINGEN, PAYOUT, claims_bot, file_claim
from tests.test_claims_payout import approved_claims


async def test_a_treasurer_sees_who_is_near_the_allowance(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db, payout={**PAYOUT, "allowance_cents_per_year": 2000})  # 20 €
    ids = await approved_claims(app, "40", "20")  # 12 € + 6 € = 90 %
    ben, rita, ada = Chat(app, "ben"), Chat(app, "rita"), Chat(app, "ada")
    await file_claim(ben, amount="10", iban=IBAN_BEN, holder="Ben B")  # 3 €: far from it
    await grant_role(app, ada, "admin", "")
    await ada.say("/auszahlung")
    assert "Ehrenamtspauschale von 20,00" in ada.text
    assert f"#{ids[0]}, #{ids[1]}" in ada.text and "18,00" in ada.text
    assert ada.text.count("• Person") == 1
    anna = Chat(app, "anna")
    third = await file_claim(anna, amount="10", when="heute")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    await rita.say("/pruefen")
    await rita.press(f"#{third}")
    assert "105 % der Ehrenamtspauschale" in rita.text


async def test_the_allowance_is_960_euros_by_default(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db)
    anna, rita = Chat(app, "anna"), Chat(app, "rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(anna)
    await rita.say("/pruefen")
    await rita.press(f"#{claim_id}")
    assert "1 % der Ehrenamtspauschale von 960,00" in rita.text
