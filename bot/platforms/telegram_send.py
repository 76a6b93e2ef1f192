"""Replies into Bot API calls: HTML that Telegram accepts, long texts in pieces, buttons, edits and files.

Also decides which failures are worth another try. A 429 or a network error or 5xx passes, so the call is tried
again (the flood limiter makes the retry wait out the 429); a 403 (blocked) or a 400 (chat gone, bad request)
will not pass, so retrying it would only hammer the API.
"""

from __future__ import annotations

import asyncio
import html
import logging
import random
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.messages import Button, Reply
from bot.platforms.base import DeliveryError, PermanentDeliveryError, RetryLater
from bot.platforms.telegram_flood import retry_seconds

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
RETRIES_AFTER_FIRST_PART = 5
"""Once part of a reply is out, the rest is retried here: the outbox would send the whole reply again."""
TEL_LINK = re.compile(r"<a\s+href=\"tel:[^\"]*\"\s*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
KNOWN_TAG = re.compile(r"</?(?:b|strong|i|em|u|ins|s|strike|del|code|pre|blockquote|tg-spoiler|span)(?:\s[^>]*)?>",
                       re.IGNORECASE)
LINK = re.compile(r"<a\s+href=\"([^\"]*)\"\s*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
"""Link previews of a town's website or a t.me link only push the answer out of sight."""

Call = Callable[[dict | None], Awaitable[Any]]


def telegram_html(text: str) -> str:
    """Telegram refuses tel: links; its apps make phone numbers tappable by themselves, so keep the number."""
    return TEL_LINK.sub(r"\1", text)


def plain_text(text: str) -> str:
    """The text of an HTML reply Telegram refused: formatting dropped, links written out, and anything else
    that merely looks like a tag ("<Rathaus>") kept, so nothing of the message is lost."""
    def link(match: re.Match) -> str:
        url, label = match.group(1), match.group(2)
        return label if url.startswith("tel:") or url.endswith(label) else f"{label} ({url})"

    return html.unescape(KNOWN_TAG.sub("", LINK.sub(link, text)))


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut between lines (inside an overlong line: between words)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        if current:
            parts.append("\n".join(current))
        current, size = [], 0

    for line in text.split("\n"):
        while len(line) > limit:
            flush()
            cut = line.rfind(" ", 0, limit)
            cut = limit if cut <= 0 else cut
            parts.append(line[:cut])
            line = line[cut:].lstrip(" ")
        extra = len(line) + (1 if current else 0)
        if size + extra > limit:
            flush()
            extra = len(line)
        current.append(line)
        size += extra
    flush()
    return [part for part in parts if part.strip()]


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    built = []
    for row in rows:
        out = []
        for button in row:
            if button.url:
                out.append(InlineKeyboardButton(button.label, url=button.url))
            elif button.token:
                out.append(InlineKeyboardButton(button.label, callback_data=button.token))
        if out:
            built.append(out)
    return InlineKeyboardMarkup(built) if built else None


def backoff(attempt: int) -> float:
    return min(8.0, 0.25 * 2**attempt) * (0.75 + random.random() / 2)


def as_delivery_error(exc: TelegramError) -> DeliveryError:
    """The outbox's view of a Bot API failure."""
    if isinstance(exc, RetryAfter):
        return RetryLater(retry_seconds(exc))
    if isinstance(exc, Forbidden | BadRequest):
        return PermanentDeliveryError(exc.message)
    return DeliveryError(exc.message)


def is_transient(exc: TelegramError) -> bool:
    return isinstance(exc, RetryAfter) or (isinstance(exc, NetworkError) and not isinstance(exc, BadRequest))


def parse_failed(exc: BadRequest) -> bool:
    return "parse entities" in exc.message.lower()


class Sender:
    """Sends one Reply to one chat through a PTB bot (whose rate limiter keeps the pace)."""

    def __init__(self, bot: ExtBot):
        self.bot = bot

    async def deliver(
        self,
        chat_id: int,
        reply: Reply,
        *,
        edit_message_id: int | None = None,
        retries: int = 0,
        max_wait: float | None = None,
    ) -> str:
        """Returns the id of the last message; raises the TelegramError that ended the attempts."""
        try:
            return await self._deliver(chat_id, reply, edit_message_id, retries, max_wait)
        except ChatMigrated as exc:
            # A group became a supergroup; the message belongs in the new chat.
            return await self._deliver(exc.new_chat_id, reply, None, retries, max_wait)

    async def _deliver(
        self, chat_id: int, reply: Reply, edit_message_id: int | None, retries: int, max_wait: float | None
    ) -> str:
        text = telegram_html(reply.text) if reply.html else reply.text
        markup = keyboard(reply.buttons)
        if edit_message_id is not None and reply.file is None and text.strip() and len(text) <= TEXT_LIMIT:
            edited = await self._edit(chat_id, edit_message_id, text, reply.html, markup, retries, max_wait)
            if edited is not None:
                return edited
        parts = split_text(text)
        caption = None
        if reply.file is not None and len(parts) == 1 and len(parts[0]) <= CAPTION_LIMIT:
            caption = parts.pop()
        message_id = ""
        for index, part in enumerate(parts):
            last = index == len(parts) - 1 and reply.file is None
            tries, wait = (retries, max_wait) if index == 0 else (max(retries, RETRIES_AFTER_FIRST_PART), None)
            message_id = await self._text(chat_id, part, reply.html, markup if last else None, tries, wait)
        if reply.file is not None:
            tries, wait = (retries, max_wait) if not parts else (max(retries, RETRIES_AFTER_FIRST_PART), None)
            message_id = await self._document(chat_id, reply, caption, markup, tries, wait)
        return message_id

    async def _text(
        self, chat_id: int, text: str, html: bool, markup: InlineKeyboardMarkup | None, retries: int,
        max_wait: float | None,
    ) -> str:
        def send(body: str, mode: str | None) -> Call:
            return lambda rl: self.bot.send_message(
                chat_id, body, parse_mode=mode, reply_markup=markup, link_preview_options=NO_PREVIEW,
                rate_limit_args=rl,
            )

        try:
            message = await call(send(text, ParseMode.HTML if html else None), retries, max_wait)
        except BadRequest as exc:
            if not (html and parse_failed(exc)):
                raise
            log.warning("Telegram refused the HTML of a reply (%s); sending it as plain text", exc.message)
            message = await call(send(plain_text(text), None), retries, max_wait)
        return str(message.message_id)

    async def _document(
        self, chat_id: int, reply: Reply, caption: str | None, markup: InlineKeyboardMarkup | None, retries: int,
        max_wait: float | None,
    ) -> str:
        assert reply.file is not None
        file = reply.file

        def send(body: str | None, mode: str | None) -> Call:
            return lambda rl: self.bot.send_document(
                chat_id, document=file.data, filename=file.filename, caption=body, parse_mode=mode,
                reply_markup=markup, rate_limit_args=rl,
            )

        try:
            message = await call(send(caption, ParseMode.HTML if reply.html and caption else None), retries, max_wait)
        except BadRequest as exc:
            if not (reply.html and caption and parse_failed(exc)):
                raise
            message = await call(send(plain_text(caption), None), retries, max_wait)
        return str(message.message_id)

    async def _edit(
        self, chat_id: int, message_id: int, text: str, html: bool, markup: InlineKeyboardMarkup | None,
        retries: int, max_wait: float | None,
    ) -> str | None:
        """Replace the pressed message; None when it cannot be edited (a file, too old, gone)."""
        try:
            result = await call(
                lambda rl: self.bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML if html else None,
                    reply_markup=markup, link_preview_options=NO_PREVIEW, rate_limit_args=rl,
                ),
                retries, max_wait,
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return str(message_id)
            log.info("could not edit message (%s); sending a new one", exc.message)
            return None
        return str(result.message_id if isinstance(result, Message) else message_id)


async def call(make: Call, retries: int, max_wait: float | None) -> Any:
    """One Bot API call with up to `retries` more tries for failures that pass (429, network, 5xx)."""
    attempt = 0
    while True:
        try:
            return await make({"max_wait": max_wait} if max_wait is not None else None)
        except TelegramError as exc:
            if not is_transient(exc) or attempt >= retries:
                raise
            if not isinstance(exc, RetryAfter):
                # A 429 needs no sleep here: the flood limiter holds the next try back until retry_after.
                await asyncio.sleep(backoff(attempt))
        attempt += 1
