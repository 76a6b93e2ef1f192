"""Telegram updates into the bot's events: who may talk to it in groups, which files it takes, in which order.

Groups: the bot answers only commands and replies to its own messages (everything else is people talking to
each other), and takes no files there, since a receipt or a document in a group is personal data in the wrong
place. Files are described (name, type, declared size) without downloading them; the bytes are fetched only
when a handler asks, and never above the configured size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseUpdateProcessor, ExtBot

from bot.messages import Attachment, AttachmentTooLarge, ButtonPress, IncomingMessage

PLATFORM = "telegram"
UNREADABLE = ("voice", "audio", "video", "video_note", "sticker", "animation", "location", "venue", "contact",
              "poll", "dice")
"""Message kinds a person sends on purpose but the bot cannot read; it says so instead of staying silent."""


def is_group(message: Message) -> bool:
    return message.chat.type != "private"


def addressed_to_bot(message: Message, bot_id: int, username: str) -> bool:
    """In a group: a command for this bot (`/cmd` or `/cmd@thisbot`) or a reply to one of its messages."""
    text = message.text or message.caption or ""
    if text.startswith("/"):
        head = text[1:].split(maxsplit=1)[0] if text[1:].strip() else ""
        _name, _, target = head.partition("@")
        return not target or not username or target.lower() == username.lower()
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


def attachment_of(message: Message, bot: ExtBot, max_bytes: int) -> Attachment | None:
    """The photo (largest size) or document of a message, to be fetched on demand."""
    if message.photo:
        photo = message.photo[-1]
        file_id, unique, size = photo.file_id, photo.file_unique_id, photo.file_size
        filename, mime = f"photo_{unique}.jpg", "image/jpeg"
    elif message.document is not None:
        doc = message.document
        file_id, unique, size = doc.file_id, doc.file_unique_id, doc.file_size
        filename, mime = doc.file_name, doc.mime_type
    else:
        return None

    async def fetch() -> bytes:
        if size is not None and size > max_bytes:
            raise AttachmentTooLarge(max_bytes, size)
        file = await bot.get_file(file_id)
        data = bytes(await file.download_as_bytearray(read_timeout=60))
        if len(data) > max_bytes:
            raise AttachmentTooLarge(max_bytes, len(data))
        return data

    return Attachment(filename=filename, mime_type=mime, size=size, fetch=fetch, file_ref=unique)


def unreadable(message: Message) -> bool:
    return any(getattr(message, kind, None) for kind in UNREADABLE)


def message_event(update: Update, message: Message, attachment: Attachment | None) -> IncomingMessage:
    sender = message.from_user
    assert sender is not None
    return IncomingMessage(
        platform=PLATFORM,
        chat_id=str(message.chat.id),
        sender_id=str(sender.id),
        text=message.text or message.caption or "",
        language=sender.language_code,
        is_group=is_group(message),
        attachment=attachment,
        message_id=str(message.message_id),
        event_id=f"u{update.update_id}",
    )


def press_event(update: Update) -> ButtonPress | None:
    query = update.callback_query
    if query is None or query.message is None or not query.data:
        return None  # inline-mode messages and games: the bot offers neither
    chat = query.message.chat
    return ButtonPress(
        platform=PLATFORM,
        chat_id=str(chat.id),
        sender_id=str(query.from_user.id),
        token=query.data,
        language=query.from_user.language_code,
        is_group=chat.type != "private",
        message_id=str(query.message.message_id),
        event_id=f"u{update.update_id}",
    )


def chat_key(update: object) -> int:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return 0


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Different chats are handled at the same time (up to `limit` at once), one chat's updates in order.

    PTB's concurrent processing gives no order, yet within a chat it matters: a button press must not overtake
    the message before it. PTB starts one task per update in arrival order; each task queues on its chat's
    lock before it first yields, and asyncio locks are first come, first served. The outer PTB semaphore is
    sized so it never makes a task wait (which could reorder), and `limit` bounds the handlers actually running.
    """

    def __init__(self, limit: int):
        super().__init__(max_concurrent_updates=1_000_000)
        self.limit = limit
        self._running: asyncio.Semaphore | None = None
        self._turns: dict[int, _Turn] = {}

    async def initialize(self) -> None:
        self._running = asyncio.Semaphore(self.limit)

    async def shutdown(self) -> None:
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        assert self._running is not None
        key = chat_key(update)
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = _Turn()
        turn.waiting += 1
        try:
            async with turn.lock, self._running:
                await coroutine
        finally:
            turn.waiting -= 1
            if not turn.waiting:
                del self._turns[key]
