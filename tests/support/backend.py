"""The test backend: push a message as a user, get the replies back; press a button by its label.

Modelled on errbot's test backend. It drives the real core, router, handlers and database; only the platform is
replaced, by an adapter that records what the outbox worker would have sent.
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from bot.core import outbox
from bot.core.app import App
from bot.messages import Attachment, Button, ButtonPress, IncomingMessage, OutgoingFile, Reply
from bot.storage.db import Database
from bot.storage.models import Delivery, User
from bot.wiring import build_app
from tests.support.config import make_config

_ids = itertools.count(1)


@dataclass
class Sent:
    chat_id: str
    reply: Reply


class RecordingAdapter:
    """A platform that accepts every push and remembers it."""

    def __init__(self, name: str = "test", native_buttons: bool = True):
        self.name = name
        self.native_buttons = native_buttons
        self.rate_per_second = 1000.0
        self.sent: list[Sent] = []

    async def start(self, app: App) -> None:
        self.app = app

    async def stop(self) -> None:
        return None

    async def send(self, chat_id: str, reply: Reply, *, idempotency_key: str | None = None) -> str:
        self.sent.append(Sent(chat_id, reply))
        return str(len(self.sent))

    def private_link(self, payload: str = "") -> str | None:
        return f"https://t.example/helferbot?start={payload}" if payload else "https://t.example/helferbot"

    def to(self, chat_id: str) -> list[Reply]:
        return [s.reply for s in self.sent if s.chat_id == chat_id]


@dataclass
class Chat:
    """One person talking to the bot from one chat."""

    app: App
    user_id: str
    platform: str = "test"
    language: str | None = "de"
    chat_id: str = ""
    group: bool = False
    replies: list[Reply] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.chat_id = self.chat_id or f"dm-{self.user_id}"

    async def say(self, text: str = "", *, file: OutgoingFile | None = None, size: int | None = None) -> list[Reply]:
        attachment = None
        if file is not None:
            data = file.data

            async def fetch() -> bytes:
                return data

            attachment = Attachment(
                filename=file.filename, mime_type=file.mime_type, size=size if size is not None else len(data),
                fetch=fetch, file_ref=f"ref-{hash(data)}",
            )
        event = IncomingMessage(
            platform=self.platform, chat_id=self.chat_id, sender_id=self.user_id, text=text,
            language=self.language, is_group=self.group, attachment=attachment, message_id=str(next(_ids)),
        )
        self.replies = await self.app.handle(event)
        return self.replies

    async def press(self, label_or_button: str | Button, replies: list[Reply] | None = None) -> list[Reply]:
        button = label_or_button if isinstance(label_or_button, Button) else self.find(label_or_button, replies)
        event = ButtonPress(
            platform=self.platform, chat_id=self.chat_id, sender_id=self.user_id, token=button.token,
            language=self.language, is_group=self.group, message_id=str(next(_ids)),
        )
        self.replies = await self.app.handle(event)
        return self.replies

    async def press_token(self, token: str) -> list[Reply]:
        return await self.press(Button(label="?", token=token))

    def find(self, label: str, replies: list[Reply] | None = None) -> Button:
        for reply in replies if replies is not None else self.replies:
            for row in reply.buttons:
                for button in row:
                    if label.lower() in button.label.lower():
                        return button
        offered = [b.label for r in (replies or self.replies) for row in r.buttons for b in row]
        raise AssertionError(f"no button {label!r}; offered: {offered}")

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)


async def deliver_due(app: App, platform: str = "test") -> int:
    """Run the outbox worker once over everything due now; returns how many were sent."""
    worker = outbox.DeliveryWorker(app, platform)
    total = 0
    while True:
        rows = await outbox.claim(app, platform, 100, worker.worker_id)
        if not rows:
            return total
        total += await worker.deliver_batch(rows)


async def pending(app: App) -> list[Delivery]:
    async with app.db.session() as session:
        return list(await session.scalars(select(Delivery).where(Delivery.status == outbox.PENDING)))


async def grant_role(app: App, chat: Chat, role: str, scope: str = "") -> None:
    """Give the person behind `chat` a role, as a redeemed invitation would."""
    from bot import roles, users

    async with app.db.session() as session:
        user = await users.get_or_create(
            session, chat.platform, chat.user_id, language=chat.language,
            default_language=app.config.bot.default_language, dm_chat_id=None if chat.group else chat.chat_id,
        )
        await roles.grant(session, user, role, scope, None)
        await session.commit()


async def revoke_roles(app: App, chat: Chat) -> None:
    from sqlalchemy import delete

    from bot import users
    from bot.storage.models import RoleGrant

    async with app.db.session() as session:
        user = await users.find(session, chat.platform, chat.user_id)
        await session.execute(delete(RoleGrant).where(RoleGrant.user_id == user.id))
        await session.commit()


async def user_id(app, chat: Chat) -> int | None:
    async with app.db.session() as session:
        return await session.scalar(select(User.id).where(User.platform == chat.platform,
                                                          User.platform_user_id == chat.user_id))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    app: App
    adapter: RecordingAdapter
    url: str
    """Where the app's HTTP server listens, without a trailing slash."""


@asynccontextmanager
async def served_app(tmp_path: Path, db_url: str) -> AsyncIterator[Served]:
    """An app that also serves HTTP, for what only a real request shows (calendar feeds). Its outbox has no
    workers, so the test decides with `deliver_due` when messages go out."""
    cfg = make_config(tmp_path, db_url, bot={"http_port": free_port()})
    db = Database(db_url)
    app = build_app(cfg, db=db)
    adapter = RecordingAdapter("test")
    app.add_adapter(adapter)
    await app.start(workers=False)
    try:
        yield Served(app, adapter, f"http://{cfg.bot.http_listen}:{cfg.bot.http_port}")
    finally:
        await app.stop()
        await db.dispose()
