"""Plain words, numbered choices and an interrupted claim on the real platform stacks: the Telegram Bot API
emulator, and a real Synapse with an encrypting client where choices are numbered."""

from __future__ import annotations

from sqlalchemy import select

from bot import roles, users
from bot.storage.models_directory import DirectoryEntry
from tests.support.scenes import give_role, matrix_bot, telegram_bot
from tests.support.telegram_person import FAST, TelegramPerson


async def test_greeting_thanks_cancel_and_an_interrupted_claim_on_telegram(tmp_path, db_url, db):
    async with telegram_bot(tmp_path, db_url, db, bot=FAST) as (_app, emu):
        anna = TelegramPerson(emu, 7)
        welcome = await anna.say("hallo", "Was möchten Sie tun?")
        assert [b["text"] for row in welcome.buttons for b in row] == [
            "Ansprechpartner finden", "Nächste Termine", "Fahrtkosten abrechnen"]
        await anna.press("Fahrtkosten abrechnen", "Wo hat die Fahrt begonnen?")
        await anna.say("/kontakt Hanau", "Hanau")
        await anna.expect("Ihr Fahrtkostenantrag ist noch offen – weiter?")
        await anna.press("Weiter", "Wo hat die Fahrt begonnen?")
        await anna.say("abbrechen", "Abgebrochen")
        await anna.say("abbrechen", "Es gibt nichts abzubrechen.")
        await anna.say("danke!", "Gern geschehen")


async def test_two_menus_in_one_answer_by_number_and_a_greeting_on_matrix(synapse, tmp_path, db_url, db):
    async with matrix_bot(synapse, tmp_path, db_url, db, ["kora"], bot=FAST) as scene:
        app, (kora,) = scene.app, scene.people
        await give_role(app, "matrix", kora.user_id, scene.rooms[0], roles.COORDINATOR, "08116049")
        async with app.db.session() as session:
            user = await users.find(session, "matrix", kora.user_id)
            for role in ("Koordination Flüchtlingshilfe", "Sprachkurse"):
                session.add(DirectoryEntry(place_id="08116049", role=role, owner_user_id=user.id, origin="chat"))
            await session.commit()

        second = await scene.say(kora, "!meineintrag", "Sprachkurse")
        assert "4. Noch aktuell" in second["body"] and "6. Löschen" in second["body"]
        await scene.says(kora, "7. Neuer Eintrag")
        again = await scene.say(kora, "9", "Eine Auswahl 9 gibt es nicht")
        assert "6. Löschen" in again["body"]
        await scene.say(kora, "6", "gelöscht")  # the second entry's Delete
        async with app.db.session() as session:
            left = list(await session.scalars(select(DirectoryEntry.role).where(DirectoryEntry.origin == "chat")))
        assert left == ["Koordination Flüchtlingshilfe"]

        await scene.say(kora, "Moin!", "1. Ansprechpartner finden")
        await scene.say(kora, "3", "Wo hat die Fahrt begonnen?")
        await scene.say(kora, "!rollen", "noch offen – weiter?")
        await scene.say(kora, "1", "Wo hat die Fahrt begonnen?")
