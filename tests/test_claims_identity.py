"""A person is more than an account: second accounts, linked platforms and deleted accounts decide nothing."""

from __future__ import annotations

import pytest

from bot.wiring import build_app
from tests.conftest import make_config
from tests.support.backend import Chat, RecordingAdapter, deliver_due, grant_role
from tests.support.claims import (
    IBAN_ANNA,
    IBAN_BEN,
    KREIS_ESSLINGEN,
    audit_of,
    claim_row,
    claims_bot,
    file_claim,
)

BOSS_TG, BOSS_MX = "1001", "@boss:example.org"


@pytest.fixture
def app(tmp_path, db_url, db):
    return claims_bot(tmp_path, db_url, db)


def two_platform_bot(tmp_path, db_url, db, **sections):
    config = make_config(tmp_path, db_url, bot={"user_messages_per_minute": 0},
                         admins={"telegram": [int(BOSS_TG)], "matrix": [BOSS_MX]}, **sections)
    app = build_app(config, db=db)
    for name in ("telegram", "matrix"):
        adapter = RecordingAdapter(name, native_buttons=True)
        app.add_adapter(adapter)
        adapter.app = app
    return app


async def test_a_reviewer_cannot_approve_a_claim_paying_her_own_iban_from_a_second_account(app, new_chat):
    anna = new_chat("anna")
    await grant_role(app, anna, "reviewer", KREIS_ESSLINGEN)
    await file_claim(anna, iban=IBAN_ANNA, save=True)  # her own account, saved
    second = new_chat("anna-zweitkonto")
    claim_id = await file_claim(second, holder="Anna Müller", iban=IBAN_ANNA)
    await deliver_due(app)
    await anna.say("/pruefen")
    assert "keine Anträge" in anna.text  # not in her queue
    other = new_chat("otto")
    await grant_role(app, other, "reviewer", KREIS_ESSLINGEN)
    await other.say("/pruefen")
    assert f"#{claim_id}" in " ".join(b.label for r in other.replies for row in r.buttons for b in row)
    # a forged or old button changes nothing
    from tests.test_claims_review import button_for
    token = await button_for(app, anna, "claim_approve", {"claim": claim_id})
    await anna.press_token(token)
    assert "Konto, das Sie selbst verwendet" in anna.text
    assert (await claim_row(app, claim_id)).status == "pending"


async def test_a_superadmin_on_telegram_and_matrix_is_one_person(tmp_path, db_url, db):
    app = two_platform_bot(tmp_path, db_url, db, persons={"same": [[f"telegram:{BOSS_TG}", f"matrix:{BOSS_MX}"]]},
                           claims={"default": {"second_approval_above_cents": 1000}})
    tg, mx = Chat(app, BOSS_TG, platform="telegram"), Chat(app, BOSS_MX, platform="matrix")
    claim_id = await file_claim(tg, iban=IBAN_BEN, holder="Bernd Boss")
    await mx.say("/pruefen")
    assert "keine Anträge" in mx.text
    helper = Chat(app, "2002", platform="telegram")
    await grant_role(app, helper, "reviewer", KREIS_ESSLINGEN)
    volunteer = Chat(app, "3003", platform="telegram")
    other_id = await file_claim(volunteer, iban=IBAN_ANNA)
    await tg.say("/pruefen")
    await tg.press(f"#{other_id}")
    await tg.press("Genehmigen")
    assert "zweite" in tg.text
    # the second approval cannot come from the first approver's other account ...
    await mx.say("/pruefen")
    assert "keine Anträge" in mx.text
    await helper.say("/pruefen")
    await helper.press(f"#{other_id}")
    await helper.press("Genehmigen")
    assert (await claim_row(app, other_id)).status == "approved"
    # ... and the boss's own claim never reaches him on the other platform
    assert (await claim_row(app, claim_id)).status == "pending"


async def test_a_second_approval_after_loeschen_is_refused(tmp_path, db_url, db):
    app = two_platform_bot(tmp_path, db_url, db, claims={"default": {"second_approval_above_cents": 1000}})
    boss = Chat(app, BOSS_TG, platform="telegram")
    volunteer = Chat(app, "3003", platform="telegram")
    claim_id = await file_claim(volunteer, iban=IBAN_ANNA)
    await boss.say("/pruefen")
    await boss.press(f"#{claim_id}")
    await boss.press("Genehmigen")
    await boss.say("/loeschen")
    await boss.press("Ja, alles löschen")
    await boss.say("/pruefen")
    assert "keine Anträge" in boss.text
    assert (await claim_row(app, claim_id)).status == "second_approval"
    actors = {e.actor for e in await audit_of(app, claim_id)}
    assert len(actors) == 2  # the volunteer and one approver: nobody approved twice


async def test_a_volunteer_who_deleted_the_account_is_still_the_same_person(app, new_chat):
    anna = new_chat("anna")
    first = await file_claim(anna)
    await anna.say("/loeschen")
    await anna.press("Ja, alles löschen")
    second = await file_claim(anna)  # the same trip, the same IBAN, again
    reviewer = new_chat("otto")
    await grant_role(app, reviewer, "reviewer", KREIS_ESSLINGEN)
    await reviewer.say("/pruefen")
    await reviewer.press(f"#{second}")
    assert f"Antrag #{first}" in reviewer.text and "Kein doppelter Antrag" not in reviewer.text
    # and the returning account cannot review the claim it filed before deleting itself
    await grant_role(app, anna, "reviewer", KREIS_ESSLINGEN)
    await anna.say("/pruefen")
    assert "keine Anträge" in anna.text


async def test_accounts_linked_with_a_code_review_nothing_of_each_other(tmp_path, db_url, db):
    app = two_platform_bot(tmp_path, db_url, db)
    tg, mx = Chat(app, "4004", platform="telegram"), Chat(app, "@rita:example.org", platform="matrix")
    await grant_role(app, mx, "reviewer", KREIS_ESSLINGEN)
    await tg.say("/verknuepfen")
    code = tg.text.split("/verknuepfen ")[1].split()[0]
    await mx.say(f"/verknuepfen {code.lower()}")
    assert "eine Person" in mx.text
    await mx.say("/verknuepfen " + code)
    assert "unbekannt oder abgelaufen" in mx.text  # one use only
    claim_id = await file_claim(tg, iban=IBAN_BEN, holder="Rita R")
    await mx.say("/pruefen")
    assert "keine Anträge" in mx.text
    assert (await claim_row(app, claim_id)).person_key is not None


async def test_an_english_speaker_is_shown_the_english_command_and_it_works(tmp_path, db_url, db):
    app = two_platform_bot(tmp_path, db_url, db)
    tg, mx = Chat(app, "4005", platform="telegram"), Chat(app, "@sam:example.org", platform="matrix")
    await tg.say("/sprache en")
    await tg.say("/link")
    assert "/link " in tg.text and "verknuepfen" not in tg.text
    await mx.say("/language en")
    await mx.say("/link " + tg.text.split("/link ")[1].split()[0])
    assert "now count as one person" in mx.text


async def test_a_link_is_in_mydata_outlives_loeschen_with_the_claims_and_then_goes(tmp_path, db_url, db):
    import json

    from sqlalchemy import delete, select

    from bot import privacy
    from bot.storage.models_claims import Claim
    from bot.storage.models_identity import PersonAccount

    app = two_platform_bot(tmp_path, db_url, db)
    tg, mx = Chat(app, "4004", platform="telegram"), Chat(app, "@rita:example.org", platform="matrix")
    await tg.say("/verknuepfen")
    await mx.say("/verknuepfen " + tg.text.split("/verknuepfen ")[1].split()[0])
    await file_claim(tg, iban=IBAN_BEN, holder="Rita R")
    await tg.say("/meinedaten")
    exported = json.loads(next(r.file for r in tg.replies if r.file and r.file.mime_type == "application/json").data)
    assert "person_accounts" in {section["key"] for section in exported["sections"]}
    await tg.say("/loeschen")
    await tg.press("Ja, alles löschen")
    async with app.db.session() as session:
        links = list(await session.scalars(select(PersonAccount)))
    assert len(links) == 2 and sum(link.user_id is None for link in links) == 1
    await privacy.run_retention(app)
    async with app.db.session() as session:
        assert len(list(await session.scalars(select(PersonAccount)))) == 2  # the claim is still kept
        await session.execute(delete(Claim))
        await session.commit()
    await privacy.run_retention(app)
    async with app.db.session() as session:
        assert [link.user_id is None for link in await session.scalars(select(PersonAccount))] == [False]


def test_a_wrong_persons_entry_stops_the_start(tmp_path, db_url):
    from bot.config import ConfigError

    with pytest.raises(ConfigError) as raised:
        build_app(make_config(tmp_path, db_url, persons={"same": [["telegram:1", "icq:2"]], "other": 1}))
    text = "\n".join(raised.value.problems)
    assert "icq:2" in text and "persons.other" in text
