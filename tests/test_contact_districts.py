"""Districts, postal codes and kreisfreie Städte in the contact lookup, typed as people type them."""

from __future__ import annotations

import pytest

from bot import directory


@pytest.fixture
async def seeded(app):
    async with app.db.session() as session:
        await directory.seed_once(session)
        await session.commit()
    return app


async def test_a_district_is_answered_with_its_gemeinde_and_says_so(seeded, chat):
    await chat.say("kontakt zizishausen")
    assert "Zizishausen gehört zu Nürtingen" in chat.text
    assert "Ekin-Atik" in chat.text  # the contacts of Nürtingen's Kreis


async def test_a_district_name_shared_by_several_places_asks_and_says_why(seeded, chat):
    replies = await chat.say("/kontakt sachsenhausen")
    labels = [b.label for row in replies[-1].buttons for b in row]
    assert "Sachsenhausen – Stadtteil von Frankfurt am Main" in labels
    assert "Dachsenhausen" not in " ".join(labels)
    assert len(labels) == len(set(labels))
    await chat.press("Sachsenhausen – Stadtteil von Frankfurt am Main")
    assert "Sachsenhausen gehört zu Frankfurt am Main" in chat.text


async def test_a_village_and_a_district_of_the_same_name_are_both_offered(seeded, chat):
    replies = await chat.say("/kontakt hahn")
    labels = [b.label for row in replies[-1].buttons for b in row]
    assert "Hahn – Stadtteil von Taunusstein" in labels
    assert any(label.startswith("Hahn (Rhein-Hunsrück-Kreis") for label in labels)


@pytest.mark.parametrize(("code", "place"), [
    ("30974", "Wennigsen (Deister)"), ("63791", "Karlstein am Main"), ("58739", "Wickede (Ruhr)"),
])
async def test_postal_codes_of_small_gemeinden_are_answered(seeded, chat, code, place):
    await chat.say(f"/kontakt {code}")
    assert place in chat.text
    assert "Postleitzahl" not in chat.text


async def test_a_kreisfreie_stadt_is_one_place(seeded, chat):
    await chat.say("/kontakt frankfurt am main")
    assert "Frankfurt am Main (Kreis von Frankfurt am Main)" not in chat.text
    assert "hat keinen eigenen Eintrag" not in chat.text


async def test_choices_are_unique_and_uninhabited_areas_are_not_offered(seeded, chat):
    replies = await chat.say("/kontakt rheinau")
    labels = [b.label for row in replies[-1].buttons for b in row]
    assert len(labels) == len(set(labels)) >= 2
    assert not any("gemeindefrei" in label for label in labels)
    await chat.say("/kontakt 77866")
    assert "gemeindefrei" not in chat.text and "Rheinau" in chat.text
