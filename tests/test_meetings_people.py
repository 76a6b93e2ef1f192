"""The organiser sees who is coming by the names people chose to share, and can write to all of them."""

from __future__ import annotations

from tests.support.backend import deliver_due
from tests.test_meetings import announce, coordinator, future, subscribed  # noqa: F401


async def test_names_are_asked_once_and_the_organiser_writes_to_everyone_coming(
        app, adapter, coordinator, new_chat):  # noqa: F811
    anna = await subscribed(new_chat, "anna", "Taunusstein")
    bert = await subscribed(new_chat, "bert", "Taunusstein")
    cleo = await subscribed(new_chat, "cleo", "Taunusstein")
    dora = await subscribed(new_chat, "dora", "Taunusstein")
    await announce(coordinator, f"Runder Tisch Asyl, {future()} 14-17 Uhr, Taunusstein")
    await deliver_due(app)

    await anna.press("Yes", adapter.to(anna.chat_id))
    assert "May the organisers see who is coming" in anna.text
    await anna.say("anna k, helferkreis hahn")
    assert 'see you as "anna k, helferkreis hahn"' in anna.text
    await anna.press("Maybe", adapter.to(anna.chat_id))
    await anna.press("Yes", adapter.to(anna.chat_id))
    assert "May the organisers" not in anna.text  # asked only once

    await bert.press("Yes", adapter.to(bert.chat_id))
    await bert.press("No name")
    assert "only see how many" in bert.text
    await cleo.press("Yes", adapter.to(cleo.chat_id))
    await cleo.say("x" * 90)
    assert "too long for a name" in cleo.text
    await cleo.say("Cleo")
    await dora.press("No", adapter.to(dora.chat_id))
    assert "May the organisers" not in dora.text  # nothing to show next to a "no"

    await coordinator.say("/events")
    await coordinator.press("Runder Tisch Asyl")
    await coordinator.press("Answers")
    assert "3 yes, 0 maybe, 1 no" in coordinator.text
    assert "Coming: anna k, helferkreis hahn, Cleo, 1 without a name" in coordinator.text
    await coordinator.press("Message to everyone coming")
    await coordinator.say("bitte bringt eure fahrtkostenbelege mit")
    assert "Sent to 3 people" in coordinator.text
    await deliver_due(app)
    for person in (anna, bert, cleo):
        last = adapter.to(person.chat_id)[-1].text
        assert 'Message from the organisers of "Runder Tisch Asyl"' in last and "fahrtkostenbelege" in last
    assert "fahrtkostenbelege" not in adapter.to(dora.chat_id)[-1].text


async def test_only_the_coordinators_of_the_place_may_write_to_those_coming(app, adapter, coordinator, new_chat):  # noqa: F811
    anna = await subscribed(new_chat, "anna", "Taunusstein")
    await announce(coordinator, f"Runder Tisch Asyl, {future()} 14-17 Uhr, Taunusstein")
    await deliver_due(app)
    await anna.press("Yes", adapter.to(anna.chat_id))
    await coordinator.say("/events")
    await coordinator.press("Runder Tisch Asyl")
    await coordinator.press("Answers")
    button = coordinator.find("Message to everyone coming")
    intruder = new_chat("ivan", language="en")
    await intruder.press(button)
    assert "Sent" not in intruder.text and "fahrtkosten" not in intruder.text
    assert "What should everyone" not in intruder.text
