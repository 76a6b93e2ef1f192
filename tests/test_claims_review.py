"""Reviewing claims: who is notified, who may decide, four eyes, questions to the volunteer, checks, audit log."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot import users
from bot.core import buttons
from bot.storage.models_claims import AuditEntry
from tests.support.backend import Chat, deliver_due, grant_role, revoke_roles
from tests.support.claims import (
    KREIS_ESSLINGEN,
    NUERTINGEN,
    STUTTGART,
    audit_of,
    buttons_of,
    claim_row,
    claims_bot,
    file_claim,
    photo,
    png,
)


@pytest.fixture
def app(tmp_path, db_url, db):
    """The shared `app` fixture, with the per-person message limit off (see claims_bot)."""
    return claims_bot(tmp_path, db_url, db)


async def button_for(app, chat: Chat, action: str, payload: dict) -> str:
    """A valid button of `chat`'s user, as if the bot had shown it to them at some point."""
    async with app.db.session() as session:
        user = await users.find(session, chat.platform, chat.user_id)
        token = await buttons.create(session, user, action, payload)
        await session.commit()
    return token


async def test_reviewers_of_the_place_are_notified_and_nobody_else(app, chat, new_chat, adapter):
    kreis, gemeinde, stuttgart = new_chat("kreis"), new_chat("gemeinde"), new_chat("stuttgart")
    await grant_role(app, kreis, "reviewer", KREIS_ESSLINGEN)
    await grant_role(app, gemeinde, "reviewer", NUERTINGEN)
    await grant_role(app, stuttgart, "reviewer", STUTTGART[:5])
    await grant_role(app, chat, "reviewer", KREIS_ESSLINGEN)  # the claimant is a reviewer too
    claim_id = await file_claim(chat)
    await deliver_due(app)
    assert len(adapter.to(kreis.chat_id)) == 1 and len(adapter.to(gemeinde.chat_id)) == 1
    assert adapter.to(stuttgart.chat_id) == []
    assert [r.text for r in adapter.to(chat.chat_id)] == []  # not asked to review their own claim
    await stuttgart.say("/pruefen")
    assert "keine Anträge" in stuttgart.text
    await chat.say("/pruefen")
    assert "keine Anträge" in chat.text
    await kreis.say("/pruefen")
    assert "1 Antrag wartet" in kreis.text and f"#{claim_id}" in buttons_of(kreis)[0]


async def test_nobody_reviews_their_own_claim(app, chat):
    await grant_role(app, chat, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(chat)
    for action in ("claim_open", "claim_approve", "claim_reject", "claim_ask"):
        await chat.press_token(await button_for(app, chat, action, {"claim": claim_id}))
        assert "eigenen Antrag" in chat.text, action
    assert (await claim_row(app, claim_id)).status == "pending"
    assert [e.action for e in await audit_of(app, claim_id)] == ["submitted"]


async def test_a_volunteer_without_the_role_cannot_use_a_review_button(app, chat, new_chat):
    claim_id = await file_claim(chat)
    mallory = new_chat("mallory")
    await mallory.say("/pruefen")
    assert "dürfen Sie leider nicht" in mallory.text
    elsewhere = new_chat("elsewhere")
    await grant_role(app, elsewhere, "reviewer", STUTTGART[:5])
    for who in (mallory, elsewhere):
        await who.press_token(await button_for(app, who, "claim_approve", {"claim": claim_id}))
        assert "dürfen Sie leider nicht" in who.text
    assert (await claim_row(app, claim_id)).status == "pending"


async def test_a_role_taken_away_after_the_notification_grants_nothing(app, chat, new_chat, adapter):
    rita = new_chat("rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(chat)
    await rita.say("/pruefen")
    await rita.press(f"#{claim_id}")
    approve = rita.find("Genehmigen")
    await revoke_roles(app, rita)
    await rita.press(approve)
    assert "dürfen Sie leider nicht" in rita.text
    assert (await claim_row(app, claim_id)).status == "pending"


async def test_above_the_threshold_two_different_reviewers_must_approve(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db, claims={"default": {"second_approval_above_cents": 1000}})
    anna, rita, rolf = Chat(app, "anna"), Chat(app, "rita"), Chat(app, "rolf")
    for reviewer in (rita, rolf):
        await grant_role(app, reviewer, "reviewer", KREIS_ESSLINGEN)
    small = await file_claim(anna, amount="30")  # 9,00 € - one approval is enough
    big = await file_claim(anna, amount="42,5", when="vorgestern")  # 12,75 €
    await deliver_due(app)

    await rita.say("/pruefen")
    await rita.press(f"#{small}")
    await rita.press("Genehmigen")
    assert (await claim_row(app, small)).status == "approved"

    await rita.say("/pruefen")
    await rita.press(f"#{big}")
    await rita.press("Genehmigen")
    assert "zweite prüfende Person" in rita.text
    claim = await claim_row(app, big)
    assert claim.status == "second_approval" and claim.first_approver_id is not None

    await rita.say("/pruefen")
    assert "keine Anträge" in rita.text  # not offered to the first approver again
    await rita.press_token(await button_for(app, rita, "claim_approve", {"claim": big}))
    assert "bereits genehmigt" in rita.text
    assert (await claim_row(app, big)).status == "second_approval"

    adapter = app.adapters["test"]
    await deliver_due(app)
    assert any(f"#{big}" in r.text and "zweite Genehmigung" in r.text for r in adapter.to(rolf.chat_id))
    assert not any("zweite Genehmigung" in r.text for r in adapter.to(rita.chat_id))
    assert "ersten prüfenden Person genehmigt" in adapter.to(anna.chat_id)[-1].text

    await rolf.say("/pruefen")
    await rolf.press(f"#{big}")
    assert "Erste Genehmigung erteilt" in rolf.text
    await rolf.press("Genehmigen")
    assert "ist genehmigt" in rolf.text
    assert (await claim_row(app, big)).status == "approved"
    assert [(e.action, e.new_status) for e in await audit_of(app, big)] == [
        ("submitted", "pending"), ("approved_first", "second_approval"), ("approved", "approved")]


async def test_rejecting_needs_a_reason_which_the_volunteer_reads(app, chat, new_chat, adapter):
    rita = new_chat("rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(chat)
    await rita.say("/pruefen")
    await rita.press(f"#{claim_id}")
    await rita.press("Ablehnen")
    assert "warum Sie Antrag" in rita.text
    await rita.say(file=photo())
    assert "Textnachricht" in rita.text
    assert (await claim_row(app, claim_id)).status == "pending"
    await rita.say("Die Fahrt war keine ehrenamtliche Tätigkeit.")
    assert "abgelehnt" in rita.text
    claim = await claim_row(app, claim_id)
    assert (claim.status, claim.reject_reason) == ("rejected", "Die Fahrt war keine ehrenamtliche Tätigkeit.")
    await deliver_due(app)
    told = adapter.to(chat.chat_id)[-1].text
    assert "abgelehnt" in told and "keine ehrenamtliche Tätigkeit" in told
    entries = await audit_of(app, claim_id)
    async with app.db.session() as session:
        rita_id = (await users.find(session, "test", "rita")).id
    assert (entries[-1].action, entries[-1].note, entries[-1].actor) == (
        "rejected", "Die Fahrt war keine ehrenamtliche Tätigkeit.", f"user:{rita_id}")


async def test_ask_for_information_and_the_volunteer_answers_in_the_chat(tmp_path, db_url, db):
    app = claims_bot(tmp_path, db_url, db, claims={"default": {"second_approval_above_cents": 1000}})
    adapter = app.adapters["test"]
    anna, rita, rolf = Chat(app, "anna"), Chat(app, "rita"), Chat(app, "rolf")
    for reviewer in (rita, rolf):
        await grant_role(app, reviewer, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(anna)
    await rita.say("/pruefen")
    await rita.press(f"#{claim_id}")
    await rita.press("Genehmigen")
    await rolf.say("/pruefen")
    await rolf.press(f"#{claim_id}")
    await rolf.press("Rückfrage stellen")
    await rolf.say("Waren Sie allein im Auto?")
    assert "Frage ist gesendet" in rolf.text
    assert (await claim_row(app, claim_id)).status == "info_requested"

    await deliver_due(app)
    question = adapter.to(anna.chat_id)[-1]
    assert "Waren Sie allein im Auto?" in question.text
    await anna.say("/meineantraege")
    assert "Rückfrage an Sie offen" in anna.text
    await anna.press(question.buttons[0][0])
    assert "Antwort auf die Rückfrage" in anna.text
    await anna.say(file=photo(png()))
    assert "Textnachricht" in anna.text and (await claim_row(app, claim_id)).status == "info_requested"
    await anna.say("Ja, allein.")
    assert "weitergegeben" in anna.text
    assert (await claim_row(app, claim_id)).status == "second_approval"  # back where it was

    await deliver_due(app)
    answer = adapter.to(rolf.chat_id)[-1]
    assert "Ja, allein." in answer.text
    await rolf.press(answer.buttons[0][0])
    assert "Rückfrage: Waren Sie allein im Auto?" in rolf.text and "Antwort: Ja, allein." in rolf.text
    await rolf.press("Genehmigen")
    assert (await claim_row(app, claim_id)).status == "approved"
    assert [e.action for e in await audit_of(app, claim_id)] == [
        "submitted", "approved_first", "info_requested", "info_answered", "approved"]

    await anna.press(question.buttons[0][0])
    assert "keine offene Rückfrage" in anna.text


async def test_two_reviewers_pressing_at_once_decide_once(app, chat, new_chat):
    rita, rolf = new_chat("rita"), new_chat("rolf")
    for reviewer in (rita, rolf):
        await grant_role(app, reviewer, "reviewer", KREIS_ESSLINGEN)
    claim_id = await file_claim(chat)
    presses = []
    for reviewer in (rita, rolf):
        await reviewer.say("/pruefen")
        await reviewer.press(f"#{claim_id}")
        presses.append(reviewer.find("Genehmigen"))
    await asyncio.gather(rita.press(presses[0]), rolf.press(presses[1]))
    texts = rita.text + "\n" + rolf.text
    assert texts.count("ist genehmigt") == 1 and "inzwischen geändert" in texts
    actions = [e.action for e in await audit_of(app, claim_id)]
    assert actions.count("approved") == 1


async def test_the_reviewer_sees_duplicates_distance_and_the_year_total(app, chat, new_chat):
    rita = new_chat("rita")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    receipt = photo(png(12, 9))
    first = await file_claim(chat, receipt=receipt, amount="42,5")
    again = await file_claim(chat, destination="Stuttgart", amount="40", receipt=photo(png(5, 5)))
    far = await file_claim(chat, when="vorgestern", amount="500", receipt=receipt)
    short = await file_claim(chat, when="vorgestern", destination="Berlin", amount="5")

    await rita.say("/pruefen")
    await rita.press(f"#{again}")
    assert f"Möglicherweise doppelt: Antrag #{first} (gleicher Tag und gleiche Strecke, wartet auf Prüfung)" in rita.text
    await rita.say("/pruefen")
    await rita.press(f"#{far}")
    assert f"Antrag #{first} (dieselbe Belegdatei" in rita.text
    assert "500 km beantragt; die Luftlinie beträgt 20,6 km – mehr" in rita.text
    assert "Summe dieser Person im Jahr" in rita.text and "4 Anträgen" in rita.text
    await rita.say("/pruefen")
    await rita.press(f"#{short}")
    assert "5 km beantragt; schon die Luftlinie beträgt" in rita.text
    await rita.say("/pruefen")
    await rita.press(f"#{first}")
    assert "plausibel" in rita.text


async def test_the_same_iban_on_another_account_is_pointed_out(app, chat, new_chat):
    rita, twin = new_chat("rita"), new_chat("anna-on-matrix")
    await grant_role(app, rita, "reviewer", KREIS_ESSLINGEN)
    await file_claim(chat)
    other = await file_claim(twin, when="vorgestern")
    await rita.say("/pruefen")
    await rita.press(f"#{other}")
    assert "Dieselbe IBAN wurde von 1 anderen Chat-Konto verwendet" in rita.text


async def test_the_audit_log_cannot_be_changed_or_deleted(app, chat, database_backend):
    from sqlalchemy import delete, text, update
    from sqlalchemy.exc import DBAPIError

    claim_id = await file_claim(chat)
    for statement in (
        update(AuditEntry).where(AuditEntry.claim_id == claim_id).values(note="rewritten"),
        delete(AuditEntry).where(AuditEntry.claim_id == claim_id),
        text("DELETE FROM claim_audit"),
        text("UPDATE claim_audit SET actor = 'someone else'"),
    ):
        async with app.db.session() as session:
            try:
                await session.execute(statement)
                await session.commit()
            except DBAPIError as exc:
                assert "append-only" in str(exc), database_backend
                await session.rollback()
            else:
                raise AssertionError(f"{statement} was allowed on {database_backend}")
    [entry] = await audit_of(app, claim_id)
    assert (entry.action, entry.actor, entry.note) == ("submitted", f"user:{entry.actor_id}", None)
    assert "anna" not in entry.actor  # a pseudonym, not the chat account
    async with app.db.session() as session:
        session.add(AuditEntry(claim_id=claim_id, actor="cli", action="noted"))
        await session.commit()  # appending still works
        assert len(list(await session.scalars(select(AuditEntry)))) == 2
