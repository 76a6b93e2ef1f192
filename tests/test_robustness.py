"""Random input at every handler through the test backend: nothing crashes, nothing stray is written, and every
message in a private chat gets an answer.

Hypothesis draws sequences of texts (any unicode, control characters, very long ones), commands with random
arguments (so random text also lands inside every dialog), random button tokens and random files with lying
names, types and sizes.
"""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot import users
from bot.core import outbox
from bot.messages import OutgoingFile, Reply
from bot.storage.models import Delivery, Invite, RoleGrant
from bot.storage.models_claims import Claim
from bot.storage.models_directory import DirectoryEntry
from bot.storage.models_meetings import Meeting
from bot.wiring import build_app
from tests.support.backend import Chat, RecordingAdapter, deliver_due
from tests.support.config import make_config

MAX_TEXT = 2000
_built: dict = {}


def errors(app) -> float:
    return app.metrics.registry.get_sample_value("helferbot_handler_errors_total") or 0.0


async def stray_rows(app) -> dict:
    """What a volunteer typing and tapping at random must never produce."""
    async with app.db.session() as session:
        vera = await users.find(session, "test", "vera")
        vid = vera.id if vera else -1

        async def n(model, *where):
            return await session.scalar(select(func.count()).select_from(model).where(*where))

        return {
            "roles": await n(RoleGrant), "claims": await n(Claim), "events": await n(Meeting),
            "invites": await n(Invite), "directory": await n(DirectoryEntry),
            "deliveries to others": await n(Delivery, Delivery.user_id != vid),
        }


def bot(tmp_path, db_url, db):
    key = str(tmp_path)
    if key not in _built:
        app = build_app(make_config(tmp_path, db_url, bot={"user_messages_per_minute": 0,
                                                           "max_text_length": MAX_TEXT}), db=db)
        adapter = RecordingAdapter("test")
        app.add_adapter(adapter)
        adapter.app = app
        _built.clear()
        _built[key] = app
    return _built[key]


texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60),
    st.text(min_size=MAX_TEXT + 1, max_size=MAX_TEXT * 3),
    st.sampled_from(["1", "2", "ja", "nein", "-", "gestern", "42,5", "Nürtingen", "DE89 3704 0044 0532 0130 00",
                     "\u202eevil", "\x00", "/", "//", "/@", "@", "\n\n", "🙂" * 500]),
)


def commands(app):
    return st.builds(lambda name, args: f"/{name} {args}", st.sampled_from(sorted(app.router.commands)),
                     st.text(max_size=80))


files = st.builds(
    lambda name, mime, data: OutgoingFile(name, mime, data),
    st.text(max_size=80),
    st.one_of(st.sampled_from(["image/jpeg", "image/png", "application/pdf", "text/plain", ""]), st.text(max_size=30)),
    st.binary(max_size=3000),
)


def steps(app):
    return st.lists(st.one_of(
        st.tuples(st.just("say"), texts),
        st.tuples(st.just("say"), commands(app)),
        st.tuples(st.just("press"), st.text(max_size=40)),
        st.tuples(st.just("file"), st.tuples(files, st.one_of(st.none(), st.integers(0, 200 * 1024 * 1024)))),
    ), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_random_input_in_a_private_chat(tmp_path, db_url, db, data):
    app = bot(tmp_path, db_url, db)
    vera = Chat(app, "vera")
    before, crashes = await stray_rows(app), errors(app)
    for kind, value in data.draw(steps(app), label="steps"):
        if kind == "say":
            replies = await vera.say(value)
            expected = bool(value.strip())
        elif kind == "press":
            replies = await vera.press_token(value)
            expected = True
        else:
            file, size = value
            replies = await vera.say(file=file, size=size)
            expected = True
        if expected:
            assert replies and all(r.text or r.file for r in replies), (kind, value)
        assert all(len(r.text) <= 4096 for r in replies)
    assert errors(app) == crashes
    assert await stray_rows(app) == before
    await vera.say("/abbrechen")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_random_chatter_in_a_group_is_ignored(tmp_path, db_url, db, data):
    app = bot(tmp_path, db_url, db)
    member = Chat(app, data.draw(st.sampled_from(["vera", "max"]), label="member"), group=True, chat_id="group-1")
    before, crashes = await stray_rows(app), errors(app)
    text = data.draw(st.one_of(st.text(max_size=200), st.text(min_size=MAX_TEXT + 1, max_size=MAX_TEXT + 50)),
                     label="text")
    replies = await member.say(text)
    if not text.strip().startswith("/") and len(text.strip()) > MAX_TEXT:
        assert len(replies) <= 1
    assert not any(r.file for r in replies)
    assert errors(app) == crashes
    assert await stray_rows(app) == before


class SlowAdapter(RecordingAdapter):
    """A platform that takes a while per message, so a shutdown lands in the middle of sending."""

    def __init__(self, name: str):
        super().__init__(name)
        self.first_sent = asyncio.Event()

    async def send(self, chat_id, reply, *, idempotency_key=None):
        await asyncio.sleep(0.05)
        self.first_sent.set()
        return await super().send(chat_id, reply, idempotency_key=idempotency_key)


async def test_a_shutdown_mid_sending_loses_and_repeats_nothing(tmp_path, db_url, db):
    """What SIGTERM does in `helferbot run` (App.stop): sends in flight finish, the rest waits for the next start."""
    cfg = make_config(tmp_path, db_url)
    app = build_app(cfg, db=db)
    slow = SlowAdapter("test")
    app.add_adapter(slow)
    async with app.db.session() as session:
        for i in range(30):
            await outbox.enqueue(session, platform="test", chat_id=f"c{i}", reply=Reply(f"Nachricht {i}"))
        await session.commit()
    await app.start()
    await asyncio.wait_for(slow.first_sent.wait(), 10)
    await app.stop()
    first = [s.chat_id for s in app.adapters["test"].sent]
    async with app.db.session() as session:
        statuses = dict((await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status))).all())
    assert 0 < len(first) < 30 and statuses == {"sent": len(first), "pending": 30 - len(first)}

    again = build_app(cfg, db=db)
    recorder = RecordingAdapter("test")
    again.add_adapter(recorder)
    await recorder.start(again)
    await deliver_due(again)
    assert sorted(first + [s.chat_id for s in recorder.sent]) == sorted(f"c{i}" for i in range(30))
