"""Round tables: a coordinator announces, changes and cancels; subscribers hear about it, answer and get reminded."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from bot.core import outbox
from bot.meetings import service
from bot.storage.models import Delivery
from bot.storage.models_meetings import Meeting
from bot.timeutil import local, now
from bot.wiring import build_app
from tests.support.backend import Chat, RecordingAdapter, deliver_due, grant_role, served_app
from tests.support.config import make_config

TAUNUSSTEIN, IDSTEIN, RTK, WIESBADEN = "06439015", "06439008", "06439", "06414000"


def future(days: int = 10) -> str:
    """A date `days` ahead as coordinators write it: "3.12."."""
    d = local(now()).date() + timedelta(days=days)
    return f"{d.day}.{d.month}.{d.year}"


@pytest.fixture
async def coordinator(app, new_chat):
    chat = new_chat("kora", language="en")
    await grant_role(app, chat, "coordinator", RTK)
    return chat


async def subscribed(new_chat, user_id: str, place: str, language: str = "en") -> Chat:
    chat = new_chat(user_id, language=language)
    await chat.say(f"/subscribe {place}")
    assert "Subscribed" in chat.text or "abonniert" in chat.text, chat.text
    return chat


async def announce(coordinator: Chat, text: str) -> None:
    await coordinator.say(f"/new_event {text}")
    assert "Please check" in coordinator.text, coordinator.text
    await coordinator.press("Announce")
    assert "Announced" in coordinator.text, coordinator.text


async def only_event(app) -> Meeting:
    async with app.db.session() as session:
        return (await session.scalars(select(Meeting))).one()


async def make_due(app, kind: str | None = None) -> None:
    """Let time pass for queued rows (reminders), as the worker would see them later."""
    async with app.db.session() as session:
        query = update(Delivery).where(Delivery.status == outbox.PENDING).values(not_before=now())
        if kind:
            query = query.where(Delivery.kind == kind)
        await session.execute(query)
        await session.commit()


async def test_announcement_in_one_message_reaches_the_subscribers_of_its_place(app, adapter, coordinator, new_chat):
    gemeinde = await subscribed(new_chat, "gabi", "Taunusstein")
    kreis = await subscribed(new_chat, "kurt", "Rheingau-Taunus-Kreis", language="de")
    neighbour = await subscribed(new_chat, "nina", "Idstein")
    elsewhere = await subscribed(new_chat, "walt", "Wiesbaden")

    await coordinator.say(f"/new_event Runder Tisch Asyl, {future()} 14-17 Uhr, Rathaus Taunusstein-Hahn")
    preview = coordinator.text
    assert "Runder Tisch Asyl" in preview and "14:00–17:00" in preview
    assert "Rathaus Taunusstein-Hahn" in preview and "Taunusstein (Rheingau-Taunus-Kreis, Hessen)" in preview
    assert "Topic: Asyl" in preview and "2 subscribers" in preview
    assert adapter.sent == []  # nothing goes out before the coordinator confirms
    await coordinator.press("Announce")
    assert await deliver_due(app) == 2

    [to_gabi] = adapter.to(gemeinde.chat_id)
    assert "New event in Taunusstein" in to_gabi.text and "Runder Tisch Asyl" in to_gabi.text
    assert [b.label for b in to_gabi.buttons[0]] == ["Yes, I'll come", "Maybe", "No"]
    [to_kurt] = adapter.to(kreis.chat_id)
    assert "Neuer Termin in Taunusstein" in to_kurt.text and "14:00–17:00 Uhr" in to_kurt.text
    assert adapter.to(neighbour.chat_id) == [] and adapter.to(elsewhere.chat_id) == []


async def test_a_kreis_event_reaches_subscribers_of_its_gemeinden_but_not_of_other_kreise(
        app, adapter, coordinator, new_chat):
    gemeinde = await subscribed(new_chat, "gabi", "Idstein")
    elsewhere = await subscribed(new_chat, "walt", "Wiesbaden")
    await announce(coordinator, f"Fachforum Wohnen, {future()} 18 Uhr, Kreishaus, Rheingau-Taunus-Kreis")
    await deliver_due(app)
    assert "Fachforum Wohnen" in adapter.to(gemeinde.chat_id)[0].text
    assert adapter.to(elsewhere.chat_id) == []


async def test_only_coordinators_of_the_place_or_wider_may_announce(app, new_chat):
    volunteer = new_chat("vera", language="en")
    await volunteer.say(f"/new_event Runder Tisch, {future()} 14 Uhr, Taunusstein")
    assert "not allowed" in volunteer.text

    local_coordinator = new_chat("ida", language="en")
    await grant_role(app, local_coordinator, "coordinator", IDSTEIN)
    await local_coordinator.say(f"/new_event Runder Tisch, {future()} 14 Uhr, Rathaus Taunusstein")
    assert "only in your area (Idstein)" in local_coordinator.text
    await local_coordinator.say("Rheingau-Taunus-Kreis")  # the Kreis is wider than her Gemeinde
    assert "only in your area" in local_coordinator.text
    await local_coordinator.say("Idstein")
    assert "Please check" in local_coordinator.text

    kreis_coordinator = new_chat("karl", language="en")
    await grant_role(app, kreis_coordinator, "coordinator", RTK)
    await kreis_coordinator.say(f"/new_event Runder Tisch, {future()} 14 Uhr, Rathaus Idstein")
    assert "Please check" in kreis_coordinator.text


async def test_a_coordinator_who_lost_the_role_cannot_confirm_an_open_preview(app, coordinator):
    from tests.support.backend import revoke_roles

    await coordinator.say(f"/new_event Runder Tisch, {future()} 14 Uhr, Taunusstein")
    await revoke_roles(app, coordinator)
    await coordinator.press("Announce")
    assert "not allowed" in coordinator.text
    async with app.db.session() as session:
        assert (await session.scalars(select(Meeting))).all() == []


async def test_guided_dialog_asks_for_what_is_missing_and_fields_can_be_edited(app, adapter, coordinator, new_chat):
    volunteer = await subscribed(new_chat, "gabi", "Taunusstein")
    await coordinator.say("/new_event")
    assert "title" in coordinator.text
    await coordinator.say("Netzwerktreffen Ehrenamt")
    assert "When" in coordinator.text
    await coordinator.say(future(12))
    assert "At what time" in coordinator.text
    await coordinator.say("18:30")
    assert "Where" in coordinator.text
    assert coordinator.find("Rheingau-Taunus-Kreis (Hessen)")  # her own area as a quick choice
    await coordinator.say("Bürgerhaus Taunusstein")
    assert "topic" in coordinator.text  # the address came with the place; the topic is asked, not guessed
    await coordinator.say("Wohnraum fuer Gefluechtete")
    assert "Please check" in coordinator.text and "18:30" in coordinator.text
    assert "Bürgerhaus Taunusstein" in coordinator.text and "Topic: Wohnraum fuer Gefluechtete" in coordinator.text

    await coordinator.press("Edit")
    await coordinator.press("Organiser")
    await coordinator.say("Freiwilligenagentur")
    assert "Organiser: Freiwilligenagentur" in coordinator.text
    await coordinator.press("Edit")
    await coordinator.press("Date and time")
    await coordinator.say("19-21 Uhr")  # a time alone keeps the date
    assert "19:00–21:00" in coordinator.text
    await coordinator.press("Announce")
    await deliver_due(app)
    [sent] = adapter.to(volunteer.chat_id)
    assert "Organiser: Freiwilligenagentur" in sent.text and "19:00–21:00" in sent.text


async def test_a_weekday_that_does_not_fit_the_date_is_asked_back(app, coordinator):
    day = local(now()).date() + timedelta(days=20)
    wrong = (day.weekday() + 3) % 7
    weekday = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"][wrong]
    await coordinator.say(f"/new_event Runder Tisch, {weekday} {day.day}.{day.month}.{day.year} 14 Uhr, Taunusstein")
    assert "do not fit together" in coordinator.text
    labels = [b.label for row in coordinator.replies[-1].buttons for b in row]
    assert len(labels) >= 2
    choice = coordinator.replies[-1].buttons[1][0]  # the nearest day with the written weekday
    await coordinator.press(choice)
    assert "Please check" in coordinator.text and choice.label in coordinator.text and "14:00" in coordinator.text


async def test_an_ambiguous_place_is_asked_back_with_labels(app, new_chat):
    admin = new_chat("ada", language="en")
    await grant_role(app, admin, "admin", "")
    await admin.say(f"/new_event Runder Tisch, {future()} 14 Uhr, Neustadt")
    assert "Which place do you mean?" in admin.text
    await admin.press("Neustadt (Hessen)")
    assert "Please check" in admin.text and "Neustadt (Hessen) (Landkreis Marburg-Biedenkopf, Hessen)" in admin.text


async def test_answers_are_counted_for_the_organiser_and_a_no_drops_the_reminders(app, adapter, coordinator, new_chat):
    people = [await subscribed(new_chat, name, "Taunusstein") for name in ("a1", "a2", "a3", "a4")]
    await announce(coordinator, f"Runder Tisch Asyl, {future()} 14-17 Uhr, Taunusstein")
    await deliver_due(app)
    for person, label in zip(people, ("Yes", None, "Maybe", "No"), strict=True):
        if label:
            await person.press(label, adapter.to(person.chat_id))
    assert "You said you will come" in people[0].text and "remind you" in people[0].text
    await people[1].say("yes")  # typed instead of tapped, in the private chat
    assert "You said you will come" in people[1].text
    await people[1].press("Maybe", adapter.to(people[1].chat_id))  # changing one's mind counts once

    await coordinator.say("/events")
    await coordinator.press("Runder Tisch Asyl")
    await coordinator.press("Answers")
    assert "1 yes, 2 maybe, 1 no (4 people were told)" in coordinator.text
    await coordinator.say("/sprache de")
    await coordinator.say("/termine")
    await coordinator.press("Runder Tisch Asyl")
    await coordinator.press("Rückmeldungen")
    assert "1 ja, 2 vielleicht, 1 nein (4 Personen wurden informiert)" in coordinator.text

    await make_due(app, service.REMINDER)
    await deliver_due(app)
    reminded = {p.user_id for p in people if any("Reminder" in r.text for r in adapter.to(p.chat_id))}
    assert reminded == {"a1", "a2", "a3"}
    # Two reminders each: the day before and an hour before.
    assert sum("Reminder" in r.text for r in adapter.to(people[0].chat_id)) == 2


async def test_someone_outside_the_group_who_answers_is_reminded_and_told_of_changes(app, adapter, coordinator,
                                                                                      new_chat):
    await announce(coordinator, f"Runder Tisch, {future()} 14 Uhr, Taunusstein")
    curious = new_chat("cleo", language="en")
    await curious.say("/events Taunusstein")
    await curious.press("Runder Tisch")
    await curious.press("Yes")
    await coordinator.say("/events")
    await coordinator.press("Runder Tisch")
    await coordinator.press("Change")
    await coordinator.press("Edit")
    await coordinator.press("Date and time")
    await coordinator.say("16 Uhr")
    await coordinator.press("Save")
    await deliver_due(app)
    assert any("Changed (date and time)" in r.text and "16:00" in r.text for r in adapter.to(curious.chat_id))


async def test_change_reaches_everyone_told_even_after_unsubscribing_and_moves_reminders(
        app, adapter, coordinator, new_chat):
    stays = await subscribed(new_chat, "gabi", "Taunusstein")
    leaves = await subscribed(new_chat, "lea", "Taunusstein")
    await announce(coordinator, f"Runder Tisch Asyl, {future(5)} 14-17 Uhr, Taunusstein")
    await deliver_due(app)
    await leaves.say("/unsubscribe Taunusstein")
    assert "Unsubscribed" in leaves.text
    late = await subscribed(new_chat, "theo", "Taunusstein")
    event = await only_event(app)
    before = event.starts_at

    await coordinator.say("/events")
    await coordinator.press("Runder Tisch Asyl")
    await coordinator.press("Change")
    assert "will hear about the change" in coordinator.text
    await coordinator.press("Edit")
    await coordinator.press("Date and time")
    await coordinator.say(f"{future(6)} 15-18 Uhr")
    await coordinator.press("Save and notify")
    assert "Saved" in coordinator.text
    await deliver_due(app)

    for chat in (stays, leaves):
        notice = adapter.to(chat.chat_id)[-1]
        assert "Changed (date and time)" in notice.text and "15:00–18:00" in notice.text
    # Someone who subscribed after the announcement gets the announcement, not a change notice.
    [fresh] = adapter.to(late.chat_id)
    assert "New event" in fresh.text and "15:00–18:00" in fresh.text

    event = await only_event(app)
    assert event.sequence == 1 and event.starts_at == before + timedelta(days=1, hours=1)
    async with app.db.session() as session:
        reminders = list(await session.scalars(
            select(Delivery).where(Delivery.kind == service.REMINDER).order_by(Delivery.id)))
    waiting = [r for r in reminders if r.status == outbox.PENDING]
    assert {r.status for r in reminders} == {outbox.PENDING, outbox.CANCELLED}
    assert {r.not_before for r in waiting} == {event.starts_at - timedelta(hours=24),
                                               event.starts_at - timedelta(hours=1)}
    assert len(waiting) == 6 and all("15:00–18:00" in r.payload["text"] for r in waiting)


async def test_cancellation_reaches_everyone_told_and_cancels_reminders(app, adapter, coordinator, new_chat):
    people = [await subscribed(new_chat, name, "Rheingau-Taunus-Kreis") for name in ("c1", "c2")]
    await announce(coordinator, f"Runder Tisch Asyl, {future()} 14-17 Uhr, Idstein")
    await deliver_due(app)
    await people[1].say("/unsubscribe all")

    await coordinator.say("/events")
    await coordinator.press("Runder Tisch Asyl")
    await coordinator.press("Cancel event")
    assert "Really cancel" in coordinator.text
    await coordinator.press("Yes, cancel")
    assert "The event is cancelled" in coordinator.text and "2 people" in coordinator.text
    await make_due(app)
    await deliver_due(app)
    for person in people:
        texts = [r.text for r in adapter.to(person.chat_id)]
        assert len(texts) == 2 and "Cancelled: Runder Tisch Asyl" in texts[1]
        assert not any("Reminder" in t for t in texts)
    await people[0].press("Yes", adapter.to(people[0].chat_id)[:1])
    assert "has been cancelled" in people[0].text


async def test_messages_not_sent_yet_are_replaced_instead_of_followed_up(app, adapter, coordinator, new_chat):
    person = await subscribed(new_chat, "gabi", "Taunusstein")
    await announce(coordinator, f"Runder Tisch, {future()} 14 Uhr, Taunusstein")
    event = await only_event(app)
    async with app.db.session() as session:
        await service.change(app, session, event, service.Fields(
            title="Runder Tisch Asyl", starts_at=event.starts_at, ends_at=None, place_id=TAUNUSSTEIN))
        await session.commit()
    await deliver_due(app)
    [only] = adapter.to(person.chat_id)  # the new announcement instead of announcement + change
    assert "New event" in only.text and "Runder Tisch Asyl" in only.text

    second = await subscribed(new_chat, "otto", "Taunusstein")
    async with app.db.session() as session:
        event = await session.get(Meeting, event.id)
        await service.change(app, session, event, service.Fields(
            title="Runder Tisch Asyl", starts_at=event.starts_at, ends_at=None, place_id=TAUNUSSTEIN,
            location="Rathaus"))
        await session.commit()
    async with app.db.session() as session:
        event = await session.get(Meeting, event.id)
        await service.cancel(app, session, event)
        await session.commit()
    await make_due(app)
    await deliver_due(app)
    # Otto's announcement had not left when it was cancelled: he hears nothing at all.
    assert adapter.to(second.chat_id) == []
    texts = [r.text for r in adapter.to(person.chat_id)]
    assert len(texts) == 2 and texts[1].startswith("<b>Cancelled")


async def test_calendar_file_keeps_its_uid_and_counts_changes(app, adapter, coordinator, new_chat):
    person = await subscribed(new_chat, "gabi", "Taunusstein")
    await announce(coordinator, f"Runder Tisch Asyl, {future()} 14-17 Uhr, Rathaus Taunusstein-Hahn")
    await deliver_due(app)
    await person.press("calendar", adapter.to(person.chat_id))
    first = Calendar.from_ical(person.replies[0].file.data)
    [vevent] = first.walk("VEVENT")
    assert person.replies[0].file.mime_type == "text/calendar"
    assert first["METHOD"] == "PUBLISH" and vevent["SEQUENCE"] == 0 and vevent["STATUS"] == "CONFIRMED"
    assert str(vevent["SUMMARY"]) == "Runder Tisch Asyl" and "Taunusstein-Hahn" in str(vevent["LOCATION"])
    event = await only_event(app)
    assert vevent.decoded("DTSTART") == event.starts_at and vevent.decoded("DTEND") == event.ends_at

    async with app.db.session() as session:
        event = await session.get(Meeting, event.id)
        await service.cancel(app, session, event)
        await session.commit()
    await person.press("calendar", adapter.to(person.chat_id))
    cancelled = Calendar.from_ical(person.replies[0].file.data)
    [again] = cancelled.walk("VEVENT")
    assert cancelled["METHOD"] == "CANCEL" and again["STATUS"] == "CANCELLED"
    assert again["UID"] == vevent["UID"] and again["SEQUENCE"] == 1


async def test_announcement_rooms_get_posts_and_answers_there_stay_private(tmp_path, db_url):
    cfg = make_config(tmp_path, db_url, events={"announce_chats": [
        {"place": RTK, "platform": "test", "chat_id": "room-rtk"},
        {"place": WIESBADEN, "platform": "test", "chat_id": "room-wi"},
    ]})
    from bot.storage.db import Database

    db = Database(db_url)
    app = build_app(cfg, db=db)
    adapter = RecordingAdapter("test")
    app.add_adapter(adapter)
    await adapter.start(app)
    try:
        coordinator = Chat(app, "kora", language="en")
        await grant_role(app, coordinator, "coordinator", RTK)
        await coordinator.say(f"/new_event Runder Tisch, {future()} 14 Uhr, Idstein")
        assert "and 1 announcement room" in coordinator.text
        await coordinator.press("Announce")
        await deliver_due(app)
        [post] = adapter.to("room-rtk")
        assert "Runder Tisch" in post.text and adapter.to("room-wi") == []

        member = Chat(app, "mo", language="en", chat_id="room-rtk", group=True)
        await member.press("Ja, ich komme", [post])
        assert member.replies == []  # nothing about Mo's answer in front of the group
        async with app.db.session() as session:
            counts, _told = await service.counts(session, (await session.scalars(select(Meeting))).one())
        assert counts["yes"] == 1
    finally:
        await db.dispose()


async def test_list_of_upcoming_events_for_subscribed_places(app, coordinator, new_chat):
    person = await subscribed(new_chat, "gabi", "Idstein")
    await announce(coordinator, f"Runder Tisch Idstein, {future(3)} 14 Uhr, Idstein")
    await announce(coordinator, f"Fachforum Kreis, {future(2)} 10 Uhr, Rheingau-Taunus-Kreis")
    await announce(coordinator, f"Treffen Taunusstein, {future(1)} 10 Uhr, Taunusstein")
    await person.say("/events")
    lines = person.text.splitlines()
    assert "Fachforum Kreis" in lines[1] and "Runder Tisch Idstein" in lines[2] and len(lines) == 3
    await person.press("Runder Tisch Idstein")
    await person.press("Yes")
    await person.say("/events")
    assert "Runder Tisch Idstein (Idstein) ✓" in person.text
    await person.say("/events Taunusstein")
    assert "Treffen Taunusstein" in person.text and "Fachforum Kreis" in person.text

    stranger = new_chat("sam", language="en")
    await stranger.say("/events")
    assert "/subscribe" in stranger.text


async def test_subscribing_explains_scope_and_unsubscribing_works(app, new_chat):
    person = new_chat("gabi", language="de")
    await person.say("/abonnieren Taunusstein")
    assert "Taunusstein (Rheingau-Taunus-Kreis, Hessen) ist abonniert" in person.text
    assert "für den ganzen Rheingau-Taunus-Kreis" in person.text
    await person.say("/abonnieren Rheingau-Taunus-Kreis")
    assert "allen seinen Gemeinden" in person.text
    await person.say("/abonnieren Hessen")
    assert "ganzes Land" in person.text
    await person.say("/abbestellen")
    await person.press("Taunusstein")
    assert "Taunusstein ist abbestellt" in person.text
    await person.say("/abonnieren")
    assert "Rheingau-Taunus-Kreis" in person.text.splitlines()[0]


async def test_german_announcement_via_free_text(app, adapter, new_chat):
    coordinator = new_chat("kora", language="de")
    await grant_role(app, coordinator, "coordinator", RTK)
    await coordinator.say(f"Runder Tisch Asyl, {future()} 14-17 Uhr, Rathaus Taunusstein-Hahn")
    assert "Bitte prüfen Sie" in coordinator.text and "14:00–17:00 Uhr" in coordinator.text
    await coordinator.press("Ankündigen")
    assert "Angekündigt: Runder Tisch Asyl" in coordinator.text


async def test_personal_calendar_feed_follows_answers_and_can_be_renewed(tmp_path, db_url):
    import aiohttp

    async with served_app(tmp_path, db_url) as served:
        app = served.app
        coordinator = Chat(app, "kora", language="en")
        await grant_role(app, coordinator, "coordinator", RTK)
        person = Chat(app, "gabi", language="en")
        await person.say("/subscribe Taunusstein")
        await announce(coordinator, f"Runder Tisch Asyl, {future(4)} 14-17 Uhr, Taunusstein")
        await announce(coordinator, f"Fachforum Bildung, {future(5)} 10 Uhr, Idstein")  # not her place
        await person.say("/calendar")
        link = person.replies[0].buttons[0][0].url
        assert link in person.text and link.endswith(".ics")

        async def summaries(url: str) -> list[str] | int:
            async with aiohttp.ClientSession() as http, http.get(url) as response:
                if response.status != 200:
                    return response.status
                assert response.content_type == "text/calendar"
                return [str(e["SUMMARY"]) for e in Calendar.from_ical(await response.read()).walk("VEVENT")]

        assert await summaries(link) == ["Runder Tisch Asyl"]
        await person.say("/events Idstein")
        await person.press("Fachforum Bildung")
        await person.press("Yes")
        assert await summaries(link) == ["Runder Tisch Asyl", "Fachforum Bildung"]
        await person.say("/events")
        await person.press("Runder Tisch Asyl")
        await person.press("No")
        assert await summaries(link) == ["Fachforum Bildung"]

        await person.say("/calendar")
        await person.press("New link")
        renewed = person.replies[0].buttons[0][0].url
        assert renewed != link and await summaries(link) == 404
        assert await summaries(renewed) == ["Fachforum Bildung"]


async def test_subscribers_on_a_platform_without_buttons_answer_by_number(app, coordinator, new_chat):
    matrix = RecordingAdapter("matrix", native_buttons=False)
    app.add_adapter(matrix)
    await matrix.start(app)
    person = Chat(app, "@mia:example.org", platform="matrix", language="en", chat_id="!dm-mia:example.org")
    await person.say("/subscribe Taunusstein")
    telegram_person = await subscribed(new_chat, "gabi", "Taunusstein")
    await announce(coordinator, f"Runder Tisch Asyl, {future()} 14-17 Uhr, Taunusstein")
    assert await deliver_due(app, "matrix") == 1 and await deliver_due(app) == 1
    assert "Runder Tisch Asyl" in matrix.to(person.chat_id)[0].text
    assert app.adapters["test"].to(telegram_person.chat_id)
    await person.say("1")  # the first button: yes
    assert "You said you will come" in person.text
    async with app.db.session() as session:
        counts, told = await service.counts(session, await session.get(Meeting, (await only_event(app)).id))
    assert counts["yes"] == 1 and told == 2
    # The answer offers the calendar again, as choice 1 where choices are numbered, and once asks for a name.
    assert [b.label for row in person.replies[-1].buttons for b in row] == ["Add to calendar (.ics)", "No name"]
    await person.say("1")
    assert person.replies[-1].file is not None and person.replies[-1].file.filename.endswith(".ics")


async def test_an_answer_typed_the_moment_a_push_arrives_is_read_with_its_choices(app, coordinator):
    """The platform shows a pushed announcement as soon as it is sent; its choices are booked just after. A "1"
    typed in between (a fast thumb, a slow database) must still mean "yes" for that meeting."""
    shown = asyncio.Event()
    booked = asyncio.Event()

    class SlowToConfirm(RecordingAdapter):
        async def send(self, chat_id, reply, *, idempotency_key=None):
            message_id = await super().send(chat_id, reply, idempotency_key=idempotency_key)
            if "Runder Tisch Asyl" in reply.text:
                shown.set()
                await booked.wait()  # the platform's answer is slow to come back
            return message_id

    matrix = SlowToConfirm("matrix", native_buttons=False)
    app.add_adapter(matrix)
    await matrix.start(app)
    person = Chat(app, "@mia:example.org", platform="matrix", language="en", chat_id="!dm-mia:example.org")
    await person.say("/subscribe Taunusstein")
    await announce(coordinator, f"Runder Tisch Asyl, {future()} 14-17 Uhr, Taunusstein")
    delivering = asyncio.create_task(deliver_due(app, "matrix"))
    await asyncio.wait_for(shown.wait(), 10)
    answering = asyncio.create_task(person.say("1"))
    await asyncio.sleep(0.2)
    assert not answering.done()  # it waits for the push to be booked ...
    booked.set()
    await asyncio.wait_for(asyncio.gather(delivering, answering), 10)
    assert "You said you will come" in person.text  # ... and is then read with its choices


async def test_a_travel_cost_claim_can_name_the_round_table_attended_that_day(app, adapter, coordinator, new_chat):
    person = await subscribed(new_chat, "gabi", "Taunusstein")
    await announce(coordinator, f"Runder Tisch Asyl, {future(3)} 14-17 Uhr, Taunusstein")
    await announce(coordinator, f"Fachforum Wohnen, {future(3)} 18 Uhr, Taunusstein")
    await deliver_due(app)
    yes, no = [r for r in adapter.to(person.chat_id) if "New event" in r.text]
    await person.press("Yes", [yes])
    await person.press("No", [no])
    provider = app.services.claims.meetings_attended
    day = local(now()).date() + timedelta(days=3)
    async with app.db.session() as session:
        from bot import users

        user = await users.find(session, "test", "gabi")
        assert [label for _ref, label in await provider(session, user, day)] == [
            "Runder Tisch Asyl (Taunusstein, 14:00)"]
        assert await provider(session, user, day + timedelta(days=1)) == []


async def test_after_a_weekday_question_another_date_can_be_written(app, coordinator):
    day = local(now()).date() + timedelta(days=20)
    wrong = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"][(day.weekday() + 3) % 7]
    await coordinator.say(f"/new_event Runder Tisch, {wrong} {day.day}.{day.month}.{day.year} 14-16 Uhr, Taunusstein")
    assert "do not fit together" in coordinator.text
    other = day + timedelta(days=1)
    await coordinator.say(f"{other.day}.{other.month}.{other.year}")
    assert "Please check" in coordinator.text and "14:00–16:00" in coordinator.text
    from bot.i18n import Translator
    from bot.meetings.render import date_text

    assert date_text(Translator("en"), other) in coordinator.text


async def test_a_stray_word_at_the_preview_keeps_its_numbered_choices(app):
    plain = RecordingAdapter("matrix", native_buttons=False)
    app.add_adapter(plain)
    await plain.start(app)
    kora = Chat(app, "@kora:example.org", platform="matrix", language="en", chat_id="!dm-kora:example.org")
    await grant_role(app, kora, "coordinator", RTK)
    await kora.say(f"/new_event Runder Tisch Asyl, {future()} 14-17 Uhr, Taunusstein")
    assert "Please check" in kora.text
    announce_at = 1 + [b.label for row in kora.replies[-1].buttons for b in row].index("Announce")
    await kora.say("looks good")
    assert "buttons above" in kora.text
    await kora.say(str(announce_at))  # the preview's numbers still work
    assert "Announced" in kora.text
