"""'Who is my contact in X?' in the chat, from the seed directory, with fallbacks, topics and ambiguity."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import select

from bot import directory
from bot.storage.models_directory import DirectoryEntry
from tests.support.backend import grant_role


@pytest.fixture
async def seeded(app):
    async with app.db.session() as session:
        assert await directory.seed_once(session) > 100
        await session.commit()
    return app


async def test_seed_is_loaded_once(seeded):
    async with seeded.db.session() as session:
        assert await directory.seed_once(session) == 0


async def test_answer_lists_the_place_then_its_kreis(seeded, chat):
    replies = await chat.say("Wer ist mein Ansprechpartner in Nürtingen?")
    text = replies[-1].text
    assert replies[-1].html
    assert text.index("Kommunaler Flüchtlingsdialog") < text.index("Landkreis Esslingen</b> (Kreis von Nürtingen)")
    assert "Landkreiskoordinatorin Flüchtlingsarbeit" in text and "Ekin-Atik" in text
    assert 'href="tel:+49711390242196"' in text
    # Source documents are years old: the answer says so.
    assert "möglicherweise veraltet" in text


async def test_gemeinde_without_entry_falls_back_to_its_kreis(seeded, chat):
    await chat.say("Ansprechpartner Wendlingen")
    assert "Wendlingen am Neckar hat keinen eigenen Eintrag" in chat.text
    assert "Ekin-Atik" in chat.text


async def test_topic_filter_finds_education_coordinators(seeded, chat):
    await chat.say("/kontakt Bildung im Landkreis Esslingen")
    text = chat.text
    assert "Straub" in text and "Jeck" in text
    assert "Rosenhart" not in text


async def test_ambiguous_place_is_asked_back_with_buttons_showing_the_kreis(seeded, chat):
    replies = await chat.say("/kontakt Esslingen")
    labels = [b.label for row in replies[-1].buttons for b in row]
    assert any("Landkreis Esslingen" in label for label in labels)
    assert any("Eifelkreis Bitburg-Prüm" in label for label in labels)
    await chat.press("Esslingen am Neckar")
    assert "Landkreis Esslingen" in chat.text and "Ekin-Atik" in chat.text


async def test_hessian_kreis_answers_with_its_round_tables(seeded, chat):
    await chat.say("Kontakt Kreis Offenbach")
    assert "Kreis Offenbach" in chat.text
    async with seeded.db.session() as session:
        entries = list(await session.scalars(select(DirectoryEntry).where(DirectoryEntry.place_id == "06438")))
    assert entries and entries[0].role in chat.text


async def test_place_without_anything_falls_back_to_the_land(seeded, chat):
    # A Hessian Kreis the parliament answer does not describe: only the Land's entries exist.
    await chat.say("/kontakt Bad Homburg v. d. H.")
    seen = chat.text
    while "LandesEhrenamtsagentur" not in seen and "Mehr anzeigen" in [b.label for r in chat.replies for row in
                                                                      r.buttons for b in row]:
        await chat.press("Mehr anzeigen")
        seen += chat.text
    assert "Hessen" in seen and "LandesEhrenamtsagentur" in seen


async def test_no_contact_anywhere_says_what_to_do(seeded, chat):
    await chat.say("/kontakt Flensburg")
    assert "noch keine Ansprechperson" in chat.text and "/meineintrag" in chat.text


async def test_not_a_place(seeded, chat):
    await chat.say("/kontakt Paris")
    assert "keinen Ort in Deutschland" in chat.text
    await chat.say("asdfghjk")
    assert "nicht verstanden" in chat.text


async def test_english_answer(seeded, new_chat):
    bob = new_chat("bob", language="en")
    await bob.say("who is my contact in Nürtingen")
    assert "Contacts for" in bob.text and "the Kreis of Nürtingen" in bob.text


async def test_contact_dialog_without_argument(seeded, chat):
    await chat.say("/kontakt")
    assert "Für welchen Ort" in chat.text
    await chat.say("72622")
    assert "Nürtingen" in chat.text and "Ekin-Atik" in chat.text


async def test_coordinator_keeps_own_entry_current(seeded, new_chat):
    coord = new_chat("coord")
    await grant_role(seeded, coord, "coordinator", "08116049")
    await coord.say("/meineintrag")
    await coord.press("Neuer Eintrag")
    await coord.say("Landkreis Böblingen")
    assert "nicht als Koordinierungsstelle" in coord.text
    for answer in ("Nürtingen", "Koordinierungsstelle Flüchtlingshilfe", "Erika Muster", "Stadt Nürtingen",
                   "keine Nummer", "07022 75-0", "-"):
        await coord.say(answer)
    assert "gespeichert" in coord.text
    volunteer = new_chat("vera")
    await volunteer.say("Wer ist mein Ansprechpartner in Nürtingen?")
    assert "Erika Muster" in volunteer.text and "tel:+49702275" in volunteer.text
    assert "veraltet" not in volunteer.text.split("Landkreis Esslingen")[0]
    # Confirming later, and a stranger cannot touch it.
    replies = await coord.say("/meineintrag")
    confirm = coord.find("Noch aktuell", replies)
    mallory = new_chat("mallory")
    await mallory.press(confirm)
    assert "jemand anderem" in mallory.text
    await coord.press(confirm)
    assert "bestätigt" in coord.text
    async with seeded.db.session() as session:
        entry = (await session.scalars(select(DirectoryEntry).where(DirectoryEntry.origin == "chat"))).one()
    assert entry.verified == directory.local(directory.now()).date()
    assert entry.phone == "07022 75-0"


async def test_outdated_marking():
    entry = DirectoryEntry(role="x", verified=date(2025, 1, 1))
    assert directory.is_outdated(entry, date(2026, 1, 2))
    assert not directory.is_outdated(entry, date(2025, 12, 31))


def test_directory_cli_import_rejects_bad_file_and_exports(tmp_path, db_url):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[bot]\ndata_dir = "data"\n[database]\nurl = "{db_url}"\n', encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("place;role;phone\n08116049;Koordination;0711 1\n99999999;Koordination;\n08116;;abc\n",
                   encoding="utf-8")
    run = [sys.executable, "-m", "bot.cli", "--config", str(cfg), "directory"]
    result = subprocess.run([*run, "import", str(bad)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "line 3" in result.stderr and "line 4" in result.stderr and "nothing was imported" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text("place;role;name;phone;topics\n08116049;Koordination Asyl;Stadt Nürtingen;07022 75-0;Bildung\n",
                    encoding="utf-8")
    result = subprocess.run([*run, "import", str(good)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "export.xlsx"
    result = subprocess.run([*run, "export", "--format", "xlsx", "--output", str(out)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    from knowledge.directory_io import read_directory

    rows = read_directory(out, lambda pid: True)
    assert any(r.role == "Koordination Asyl" and r.topics == ("bildung",) for r in rows)
    assert len(rows) > 100  # the seed is there too


async def test_forged_entry_buttons_change_nothing(seeded, new_chat):
    from bot import users
    from bot.core import buttons

    coord = new_chat("coord2")
    await grant_role(seeded, coord, "coordinator", "08116")
    await coord.say("/meineintrag")
    async with seeded.db.session() as session:
        user = await users.find(session, "test", "coord2")
        seed_entry = (await session.scalars(select(DirectoryEntry).where(DirectoryEntry.place_id == "08116"))).first()
        forged = [
            await buttons.create(session, user, "entry_delete", {"id": None}),
            await buttons.create(session, user, "entry_delete", {"id": "1; drop"}),
            # A seed entry inside the coordinator's area is still not theirs to delete.
            await buttons.create(session, user, "entry_delete", {"id": seed_entry.id}),
        ]
        await session.commit()
    for token in forged:
        await coord.press_token(token)
        assert "gelöscht" not in coord.text
    async with seeded.db.session() as session:
        assert await session.get(DirectoryEntry, seed_entry.id) is not None
