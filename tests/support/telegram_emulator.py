"""A local stand-in for the Telegram Bot API, spoken to over real HTTP.

Telegram offers no server a test suite could run, yet the bot's adapter must be tested through the
real python-telegram-bot stack: its HTTP client, its JSON and multipart encoding, its error mapping
(``RetryAfter``, ``BadRequest``, ``NetworkError``) and its polling and webhook machinery.  So this
module answers the Bot API methods that stack uses, with the same objects, status codes and error
descriptions as api.telegram.org, and lets a test play the users on the other side.

Where Telegram's behaviour decides whether the bot works for a person, it is reproduced rather
than simplified: message ids count up per chat, an edit without ``reply_markup`` drops the inline
keyboard, an unchanged edit is rejected as "message is not modified", malformed HTML (the only parse mode the bot uses)
is refused with Telegram's "can't parse entities" errors, ``callback_data`` longer than 64 bytes is
refused, files above 20 MB cannot be fetched with getFile, group privacy mode hides plain group
messages, and webhook updates of one chat are delivered one after the other.

Deliberate differences: webhook URLs may use plain ``http`` but must point at this machine's
loopback addresses, since the emulator really POSTs to them; file URLs are never fetched (a send
with a URL answers "wrong file identifier/HTTP URL specified"); inline mode is not emulated.

Test-side use::

    async with TelegramEmulator() as emu:
        app = ApplicationBuilder().token(emu.token).base_url(emu.base_url) \
            .base_file_url(emu.base_file_url).build()
        ...
        emu.push_text(42, "/start")
        [reply] = await emu.wait_for_sent(chat_id=42)
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import ipaddress
import itertools
import json
import math
import mimetypes
import re
import secrets
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

__all__ = ["SentMessage", "TelegramEmulator", "UploadedFile", "WebhookDelivery"]

# Limits documented at core.telegram.org/bots/api and enforced by the real server.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024

_METHODS = (
    "getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "sendMessage",
    "editMessageText", "editMessageReplyMarkup", "editMessageCaption", "deleteMessage",
    "answerCallbackQuery", "sendDocument", "sendPhoto", "getFile", "setMyCommands", "getMyCommands",
    "deleteMyCommands", "sendChatAction", "close", "logOut",
)
_CANONICAL = {name.lower(): name for name in _METHODS}
_FLOOD_COUNTED = {"sendMessage", "sendDocument", "sendPhoto", "editMessageText",
                  "editMessageReplyMarkup", "editMessageCaption"}

_ALL_UPDATE_TYPES = (
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "message_reaction",
    "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query",
    "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
    "my_chat_member", "chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
)
# Without an explicit list Telegram leaves out these three.
_DEFAULT_UPDATE_TYPES = frozenset(_ALL_UPDATE_TYPES) - {"chat_member", "message_reaction",
                                                         "message_reaction_count"}

_CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice",
                 "upload_voice", "upload_document", "choose_sticker", "find_location",
                 "record_video_note", "upload_video_note"}

# Form and query parameters arrive as strings; these tables say how Telegram reads them.
_JSON_FIELDS = {"reply_markup", "reply_parameters", "link_preview_options", "entities",
                "caption_entities", "commands", "scope", "allowed_updates", "media"}
_INT_FIELDS = {"message_id", "offset", "limit", "timeout", "reply_to_message_id", "max_connections",
               "cache_time", "message_thread_id", "user_id", "from_chat_id"}
_BOOL_FIELDS = {"disable_notification", "protect_content", "show_alert", "drop_pending_updates",
                "disable_web_page_preview", "allow_sending_without_reply", "show_caption_above_media",
                "has_spoiler", "disable_content_type_detection"}

_NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                 "markup are exactly the same as a current content and reply markup of the message")
_NGINX_PAGE = ("<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n<center><h1>{code} "
               "{phrase}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n")


class BotApiError(Exception):
    """An error answer of the Bot API: HTTP status, description and optional retry_after."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _bad(description: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {description}")


@dataclass
class UploadedFile:
    """A file part of a multipart request, as the bot uploaded it."""

    content: bytes
    filename: str | None
    content_type: str | None

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.content)} bytes, {self.content_type!r})"


@dataclass
class SentMessage:
    """One message the bot sent or edited, as a person in that chat would receive it.

    ``text`` is what the bot passed (text or caption, markup included); ``visible_text`` is what
    Telegram shows after parsing ``parse_mode``; ``message`` is the Message object the bot got
    back; ``time`` is ``time.monotonic()`` when the server accepted it; ``deleted`` turns true when
    the bot deletes the message.
    """

    method: str
    chat_id: int
    message_id: int
    text: str | None
    visible_text: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    time: float
    params: dict[str, Any]
    message: dict[str, Any]
    document: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    photo: bytes | None = None
    deleted: bool = False
    _taken: bool = field(default=False, repr=False, compare=False)

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """Rows of the inline keyboard, empty when there is none."""
        if not self.reply_markup:
            return []
        return self.reply_markup.get("inline_keyboard", [])

    def button_data(self) -> list[str]:
        """Every ``callback_data`` on the inline keyboard, row by row."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]


@dataclass
class WebhookDelivery:
    """The outcome of one POST of an update to the bot's webhook."""

    update_id: int
    status: int | None
    error: str | None
    time: float


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    remaining: int
    hang: float | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_size: int


# ---------------------------------------------------------------------------------------------
# Text formatting: Telegram turns parse_mode markup into plain text plus entities whose offsets
# count UTF-16 code units.  Bots fail in production on exactly these rules, so they are checked.
# ---------------------------------------------------------------------------------------------


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Builder:
    """Collects parsed text while tracking its length in UTF-16 code units."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.length += _u16(chunk)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.length > start:
            self.entities.append({"type": kind, "offset": start, "length": self.length - start, **extra})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode())


_HTML_TAGS = {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
              "tg-emoji", "span", "pre", "code", "blockquote"}
_HTML_KINDS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
               "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
               "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler", "code": "code"}
_HTML_ENTITY_RE = re.compile(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot);")


def _parse_html(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML subset, with the error texts of its parser."""
    out = _Builder()
    stack: list[dict[str, Any]] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "&":
            m = _HTML_ENTITY_RE.match(src, i)
            out.add(html.unescape(m.group(0)) if m else "&")
            i = m.end() if m else i + 1
            continue
        if c != "<":
            j = i
            while j < n and src[j] not in "<&":
                j += 1
            out.add(src[i:j])
            i = j
            continue
        begin = i
        i += 1
        if i < n and src[i] == "/":
            end = src.find(">", i)
            if end < 0:
                raise ValueError(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
            name = src[i + 1:end].strip().lower()
            if not stack:
                raise ValueError(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
            top = stack.pop()
            if name != top["tag"]:
                raise ValueError(f'Unmatched end tag at byte offset {_byte_offset(src, begin)}, '
                                 f'expected "</{top["tag"]}>", found "</{name}>"')
            _close_html_tag(out, top, stack)
            i = end + 1
            continue
        j = i
        while j < n and not src[j].isspace() and src[j] != ">":
            j += 1
        if j >= n:
            raise ValueError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        tag = src[i:j].lower()
        if tag not in _HTML_TAGS:
            raise ValueError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
        attrs: dict[str, str] = {}
        i = j
        while True:
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise ValueError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            if src[i] == ">":
                i += 1
                break
            k = i
            while k < n and (src[k].isalnum() or src[k] in "-_"):
                k += 1
            if k == i:
                raise ValueError(f'Empty attribute name in the tag "{tag}" at byte offset '
                                 f"{_byte_offset(src, begin)}")
            attr = src[i:k].lower()
            i = k
            while i < n and src[i].isspace():
                i += 1
            if i >= n or src[i] != "=":
                attrs[attr] = ""
                continue
            i += 1
            while i < n and src[i].isspace():
                i += 1
            if i < n and src[i] in "\"'":
                close = src.find(src[i], i + 1)
                if close < 0:
                    raise ValueError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
                value, i = src[i + 1:close], close + 1
            else:
                k = i
                while k < n and not src[k].isspace() and src[k] != ">":
                    k += 1
                value, i = src[i:k], k
            attrs[attr] = html.unescape(value)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise ValueError('Tag "span" must have class "tg-spoiler" at byte offset '
                             f"{_byte_offset(src, begin)}")
        stack.append({"tag": tag, "attrs": attrs, "start": out.length})
    if stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{stack[-1]["tag"]}"')
    return out.result()


def _close_html_tag(out: _Builder, top: dict[str, Any], stack: list[dict[str, Any]]) -> None:
    tag, attrs, start = top["tag"], top["attrs"], top["start"]
    if tag == "a":
        href = attrs.get("href", "")
        if href:
            out.entity("text_link", start, url=href)
    elif tag == "pre":
        language = top.get("language")
        out.entity("pre", start, **({"language": language} if language else {}))
    elif tag == "code" and stack and stack[-1]["tag"] == "pre" \
            and attrs.get("class", "").startswith("language-"):
        stack[-1]["language"] = attrs["class"][len("language-"):]
    elif tag == "blockquote":
        out.entity("expandable_blockquote" if "expandable" in attrs else "blockquote", start)
    elif tag == "tg-emoji":
        out.entity("custom_emoji", start, custom_emoji_id=attrs.get("emoji-id", ""))
    else:
        out.entity(_HTML_KINDS[tag], start)


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline",
               "strikethrough": "Strikethrough", "spoiler": "Spoiler", "text_link": "TextUrl",
               "code": "Code", "pre": "Pre", "custom_emoji": "CustomEmoji"}


_PARSERS: dict[str, Callable[[str], tuple[str, list[dict[str, Any]]]]] = {
    "html": _parse_html,
}
"""The bot sends HTML only; another parse mode is refused, so a change to one would be noticed."""

_AUTO_ENTITY_RE = re.compile(
    r"(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<email>(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{5,32}\b)"
    r"|(?P<url>\bhttps?://[^\s<>\"]+|\bwww\.[^\s<>\"]+)"
    r"|(?P<hashtag>(?<![\w#])#\w*[^\W\d]\w*)"
)


def _auto_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram's clients detect in what a person types."""
    found = []
    for m in _AUTO_ENTITY_RE.finditer(text):
        kind = m.lastgroup or ""
        value = m.group(0)
        if kind == "url":
            value = value.rstrip(".,;:!?)'")
        found.append({"type": kind, "offset": _u16(text[:m.start()]), "length": _u16(value)})
    return found


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WebP image, or None when it is none of them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return (0, 0)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (length,) = struct.unpack(">H", data[i + 2:i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + length
        return (0, 0)
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# Webhook delivery: like Telegram's server, up to max_connections requests run at once, but the
# updates of one chat go out strictly one after the other, each retried until the bot takes it.
# ---------------------------------------------------------------------------------------------


class _Webhook:
    def __init__(self, emulator: TelegramEmulator, url: str, secret_token: str | None,
                 max_connections: int, has_certificate: bool, ip_address: str | None) -> None:
        self.emulator = emulator
        self.url = url
        self.secret_token = secret_token
        self.max_connections = max_connections
        self.has_certificate = has_certificate
        self.ip_address = ip_address
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.by_chat: dict[int, deque[dict[str, Any]]] = {}
        self.ready: deque[int] = deque()
        self.busy: set[int] = set()
        self.pending = 0
        self.wake = asyncio.Event()
        self.idle = asyncio.Event()
        self.idle.set()
        self.workers: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.workers = [asyncio.create_task(self._work()) for _ in range(self.max_connections)]

    async def stop(self) -> list[dict[str, Any]]:
        for task in self.workers:
            task.cancel()
        for task in self.workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        left = [u for queue in self.by_chat.values() for u in queue]
        return sorted(left, key=lambda u: u["update_id"])

    def add(self, update: dict[str, Any]) -> None:
        key = _queue_key(update)
        queue = self.by_chat.setdefault(key, deque())
        queue.append(update)
        self.pending += 1
        self.idle.clear()
        if len(queue) == 1 and key not in self.busy:
            self.ready.append(key)
            self.wake.set()

    async def _work(self) -> None:
        while True:
            while not self.ready:
                self.wake.clear()
                await self.wake.wait()
            key = self.ready.popleft()
            self.busy.add(key)
            queue = self.by_chat[key]
            update = queue[0]
            delay = 0.05
            while True:
                status = await self.emulator._post_update(self, update, self.secret_token)
                if status is not None and 200 <= status < 300:
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            queue.popleft()
            self.pending -= 1
            self.busy.discard(key)
            if queue:
                self.ready.append(key)
                self.wake.set()
            else:
                del self.by_chat[key]
            if not self.pending:
                self.idle.set()


def _queue_key(update: dict[str, Any]) -> int:
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if chat:
                return int(chat["id"])
            if "from" in value:
                return int(value["from"]["id"])
    return 0


def _update_type(update: dict[str, Any]) -> str:
    return next((k for k in update if k != "update_id"), "")


class TelegramEmulator:
    """The Bot API for one bot token, served on 127.0.0.1, plus the users who talk to that bot.

    Start it (``await emu.start()`` or ``async with``), point python-telegram-bot at
    ``base_url`` / ``base_file_url``, push what people type with ``push_*``, and read what the bot
    answered from ``sent`` or ``await wait_for_sent(...)``.  ``calls`` records every request.

    Chats must be known before the bot may write to them, as on Telegram: a user or group becomes
    known when it pushes an update or is registered with ``user``, ``private_chat`` or
    ``group_chat``; sending elsewhere answers 400 "chat not found".  With ``group_privacy`` (the
    default, as for a new bot) group messages reach the bot only when they are commands, replies
    to the bot or mention it.
    """

    def __init__(self, token: str = "123456:TEST", *, rate_limit_per_s: float | None = None,
                 group_rate_per_min: float | None = None, bot_username: str = "helfer_test_bot",
                 group_privacy: bool = True) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.rate_limit_per_s = rate_limit_per_s
        self.group_rate_per_min = group_rate_per_min
        self.group_privacy = group_privacy
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id, "is_bot": True, "first_name": "Helferbot", "username": bot_username,
            "can_join_groups": True, "can_read_all_group_messages": not group_privacy,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.host = "127.0.0.1"
        self.port = 0
        self.base_url = ""
        self.base_file_url = ""

        self.sent: list[SentMessage] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.fetches: list[list[int]] = []
        """The update ids each getUpdates call returned, in call order (a test can kill the bot right after)."""
        self._fetched_event = asyncio.Event()
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.count_429 = 0
        self.count_5xx = 0
        self.dropped_updates = 0

        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._last_message_id: dict[int, int] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._commands: dict[tuple[tuple[Any, ...], str], list[dict[str, Any]]] = {}
        self._open_callbacks: dict[str, dict[str, Any]] = {}
        self._callback_counter = itertools.count(4_182_370_000_000_000_001)
        self._update_counter = itertools.count(730_000_001)
        self._pending: deque[dict[str, Any]] = deque()
        self._allowed_updates: frozenset[str] = _DEFAULT_UPDATE_TYPES
        self._new_update = asyncio.Event()
        self._poll_generation = 0
        self._webhook: _Webhook | None = None
        self._faults: dict[str, deque[_Fault]] = {}
        self._sends: deque[float] = deque()
        self._group_sends: dict[int, deque[float]] = {}
        self._sent_event = asyncio.Event()
        self._first_untaken = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    # ----------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1 and fill in ``base_url`` and ``base_file_url``."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("POST", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://{self.host}:{self.port}/bot"
        self.base_file_url = f"http://{self.host}:{self.port}/file/bot"
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self._closing = False

    async def stop(self) -> None:
        """Stop webhook delivery, release waiting long polls and close the server."""
        self._closing = True
        self._wake_pollers()
        self._pending.extend(await self._take_pending(drop=False))
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------------------- people and chats

    def user(self, user_id: int, first_name: str = "Anna", language_code: str | None = "de",
             username: str | None = None, last_name: str | None = None) -> dict[str, Any]:
        """Register (or re-register) a person and return their Telegram ``User`` object."""
        person: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            person["last_name"] = last_name
        if username:
            person["username"] = username
        if language_code:
            person["language_code"] = language_code
        self._users[user_id] = person
        return dict(person)

    def private_chat(self, user_id: int) -> dict[str, Any]:
        """The private chat between the bot and this person (registering them if needed)."""
        person = self._users.get(user_id) or self.user(user_id)
        chat = {"id": user_id, "type": "private", "first_name": person["first_name"]}
        for key in ("last_name", "username"):
            if key in person:
                chat[key] = person[key]
        self._chats[user_id] = chat
        return dict(chat)

    def group_chat(self, chat_id: int, title: str = "Runder Tisch") -> dict[str, Any]:
        """A group the bot is a member of; ids below -10**12 are supergroups, as on Telegram."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = "supergroup" if chat_id < -1_000_000_000_000 else "group"
        chat = {"id": chat_id, "type": kind, "title": title}
        if kind == "group":
            chat["all_members_are_administrators"] = False
        self._chats[chat_id] = chat
        return dict(chat)

    def block_user(self, user_id: int) -> None:
        """The person blocks the bot: sends to them answer 403 from now on."""
        self._blocked.add(user_id)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The current state of a message (after edits), or None when it does not exist (any more)."""
        found = self._messages.get(chat_id, {}).get(message_id)
        return copy.deepcopy(found) if found else None

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, Any]]:
        """The command list the bot set for this scope and language, as getMyCommands returns it."""
        return copy.deepcopy(self._commands.get((self._scope_key(scope), language_code), []))

    def _person(self, user_id: int, language_code: str | None) -> dict[str, Any]:
        person = self._users.get(user_id) or self.user(user_id, language_code=language_code or "de")
        if language_code and person.get("language_code") != language_code:
            person["language_code"] = language_code
        return dict(person)

    def _chat_for(self, user_id: int, chat: dict[str, Any] | None) -> dict[str, Any]:
        if chat is None:
            return self._chats.get(user_id) or self.private_chat(user_id)
        self._chats.setdefault(int(chat["id"]), dict(chat))
        return dict(self._chats[int(chat["id"])])

    def _next_message_id(self, chat_id: int) -> int:
        mid = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = mid
        return mid

    def _store_message(self, chat: dict[str, Any], sender: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(chat["id"])
        msg = {"message_id": self._next_message_id(chat_id), "from": sender, "chat": dict(chat),
               "date": int(time.time()), **{k: v for k, v in content.items() if v is not None}}
        self._messages.setdefault(chat_id, {})[msg["message_id"]] = msg
        return msg

    def _quoted(self, chat_id: int, message_id: int) -> dict[str, Any]:
        target = self._messages.get(chat_id, {}).get(message_id)
        if target is None:
            raise ValueError(f"chat {chat_id} has no message {message_id}")
        quoted = copy.deepcopy(target)
        quoted.pop("reply_to_message", None)
        return quoted

    # ----------------------------------------------------------------------------- building updates

    def text_update(self, user_id: int, text: str, *, chat: dict[str, Any] | None = None,
                    language_code: str | None = None, reply_to_bot_message_id: int | None = None,
                    entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A text message update, stored in the chat but not queued (see ``push_text``)."""
        room = self._chat_for(user_id, chat)
        reply = self._quoted(room["id"], reply_to_bot_message_id) if reply_to_bot_message_id else None
        found = _auto_entities(text) if entities is None else entities
        msg = self._store_message(room, self._person(user_id, language_code), text=text,
                                  entities=found or None, reply_to_message=reply)
        return {"update_id": next(self._update_counter), "message": copy.deepcopy(msg)}

    def callback_update(self, user_id: int, data: str, *, message_id: int | None = None,
                        chat: dict[str, Any] | None = None) -> dict[str, Any]:
        """A button press.  Without ``message_id`` the newest bot message carrying a button with
        this ``callback_data`` is pressed (ValueError if there is none); with an id that no
        longer exists the query carries an inaccessible message, as Telegram sends for old ones."""
        room = self._chat_for(user_id, chat)
        chat_id = int(room["id"])
        messages = self._messages.get(chat_id, {})
        if message_id is None:
            for candidate in reversed(messages.values()):
                rows = (candidate.get("reply_markup") or {}).get("inline_keyboard", [])
                if candidate["from"]["id"] == self.bot_id and any(
                        b.get("callback_data") == data for row in rows for b in row):
                    message_id = candidate["message_id"]
                    break
            else:
                raise ValueError(f"no bot message in chat {chat_id} has a button with data {data!r}")
        pressed = messages.get(message_id)
        shown = copy.deepcopy(pressed) if pressed else {"chat": room, "message_id": message_id, "date": 0}
        query_id = str(next(self._callback_counter))
        query = {"id": query_id, "from": self._person(user_id, None), "message": shown,
                 "chat_instance": str(abs(hash((self.bot_id, chat_id))) % 10**19), "data": data}
        self._open_callbacks[query_id] = query
        return {"update_id": next(self._update_counter), "callback_query": query}

    def photo_update(self, user_id: int, content: bytes, *, caption: str | None = None,
                     chat: dict[str, Any] | None = None) -> dict[str, Any]:
        """A photo message; the bytes are kept and served through getFile."""
        room = self._chat_for(user_id, chat)
        stored = self._store_file("photos", content, ".jpg", len(content))
        width, height = _image_size(content) or (0, 0)
        size = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": stored.file_size, "width": width, "height": height}
        msg = self._store_message(room, self._person(user_id, None), photo=[size], caption=caption)
        return {"update_id": next(self._update_counter), "message": copy.deepcopy(msg)}

    def document_update(self, user_id: int, content: bytes, file_name: str, mime_type: str, *,
                        chat: dict[str, Any] | None = None, declared_size: int | None = None,
                        caption: str | None = None) -> dict[str, Any]:
        """A document message; ``declared_size`` lets a test claim a larger file than it ships."""
        room = self._chat_for(user_id, chat)
        suffix = "." + file_name.rsplit(".", 1)[1] if "." in file_name else ""
        stored = self._store_file("documents", content, suffix, declared_size or len(content))
        document = {"file_name": file_name, "mime_type": mime_type, "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id, "file_size": stored.file_size}
        msg = self._store_message(room, self._person(user_id, None), document=document, caption=caption)
        return {"update_id": next(self._update_counter), "message": copy.deepcopy(msg)}

    # ----------------------------------------------------------------------------- pushing updates

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates, or hand it to webhook delivery when a webhook is set.

        Updates the bot would not get from Telegram (type outside ``allowed_updates``, or a plain
        group message under group privacy) are dropped and counted in ``dropped_updates``.
        """
        update.setdefault("update_id", next(self._update_counter))
        if _update_type(update) not in self._allowed_updates or self._hidden_by_privacy(update):
            self.dropped_updates += 1
            return update
        if self._webhook is not None:
            self._webhook.add(update)
        else:
            self._pending.append(update)
            self._wake_pollers()
        return update

    def push_text(self, user_id: int, text: str, *, chat: dict[str, Any] | None = None,
                  language_code: str | None = None, reply_to_bot_message_id: int | None = None,
                  entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A person writes ``text``; commands, mentions, links and e-mail addresses get entities.

        ``language_code`` changes the person's app language (it stays as registered, "de" by
        default, when omitted)."""
        return self.push_update(self.text_update(
            user_id, text, chat=chat, language_code=language_code,
            reply_to_bot_message_id=reply_to_bot_message_id, entities=entities))

    def push_callback(self, user_id: int, data: str, *, message_id: int | None = None,
                      chat: dict[str, Any] | None = None) -> dict[str, Any]:
        """A person presses an inline button (see ``callback_update``)."""
        return self.push_update(self.callback_update(user_id, data, message_id=message_id, chat=chat))

    def push_photo(self, user_id: int, content: bytes, *, caption: str | None = None,
                   chat: dict[str, Any] | None = None) -> dict[str, Any]:
        """A person sends a photo."""
        return self.push_update(self.photo_update(user_id, content, caption=caption, chat=chat))

    def push_document(self, user_id: int, content: bytes, file_name: str, mime_type: str, *,
                      chat: dict[str, Any] | None = None, declared_size: int | None = None,
                      caption: str | None = None) -> dict[str, Any]:
        """A person sends a file."""
        return self.push_update(self.document_update(
            user_id, content, file_name, mime_type, chat=chat, declared_size=declared_size,
            caption=caption))

    def _hidden_by_privacy(self, update: dict[str, Any]) -> bool:
        msg = update.get("message")
        if not self.group_privacy or not msg or msg["chat"]["type"] not in ("group", "supergroup"):
            return False
        text = msg.get("text") or msg.get("caption") or ""
        username = "@" + self.bot_user["username"]
        first = next(iter(msg.get("entities") or []), None)
        if first and first["type"] == "bot_command" and first["offset"] == 0:
            command = text[:first["length"]]
            return "@" in command and command.split("@", 1)[1].lower() != username[1:].lower()
        replied = msg.get("reply_to_message") or {}
        if replied.get("from", {}).get("id") == self.bot_id:
            return False
        return username.lower() not in text.lower()

    def _wake_pollers(self) -> None:
        event, self._new_update = self._new_update, asyncio.Event()
        event.set()

    async def post_to_webhook(self, update: dict[str, Any], *, secret_token: str | None) -> int | None:
        """POST one update straight to the current webhook with the given secret header (None:
        no header) and return the HTTP status, bypassing the queue.  For testing that the bot
        refuses requests that did not come from Telegram."""
        if self._webhook is None:
            raise RuntimeError("no webhook is set")
        return await self._post_update(self._webhook, update, secret_token)

    async def wait_for_webhook_idle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until every queued update was accepted by the webhook."""
        if self._webhook is not None:
            await asyncio.wait_for(self._webhook.idle.wait(), timeout)

    async def _post_update(self, hook: _Webhook, update: dict[str, Any], secret: str | None) -> int | None:
        assert self._client is not None
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        status: int | None = None
        error: str | None = None
        try:
            async with self._client.post(hook.url, data=json.dumps(update), headers=headers) as resp:
                await resp.read()
                status = resp.status
                if not 200 <= status < 300:
                    error = f"Wrong response from the webhook: {status} {resp.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = "Connection refused" if isinstance(exc, aiohttp.ClientConnectorError) else str(exc)
        if error:
            hook.last_error_date, hook.last_error_message = int(time.time()), error
        self.webhook_deliveries.append(WebhookDelivery(update["update_id"], status, error, time.monotonic()))
        return status

    # ----------------------------------------------------------------------------- what the bot sent

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        """Everything the bot sent or edited in this chat, oldest first."""
        return [m for m in self.sent if m.chat_id == chat_id]

    async def wait_for_sent(self, count: int = 1, *, chat_id: int | None = None,
                            timeout: float = 10.0) -> list[SentMessage]:  # noqa: ASYNC109
        """Wait for ``count`` sent or edited messages not returned by an earlier call.

        Each message is handed out once, so ``push_text(...); await wait_for_sent()`` returns the
        answer to that push even when earlier answers were never awaited.  Raises TimeoutError
        naming what did arrive.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._first_untaken < len(self.sent) and self.sent[self._first_untaken]._taken:
            self._first_untaken += 1
        position, found = self._first_untaken, []
        while True:
            for msg in self.sent[position:]:
                if not msg._taken and (chat_id is None or msg.chat_id == chat_id):
                    found.append(msg)
            position = len(self.sent)
            if len(found) >= count:
                found = [m for m in found if not m._taken]  # another waiter may have taken some
                if len(found) >= count:
                    for msg in found[:count]:
                        msg._taken = True
                    return found[:count]
            remaining = deadline - loop.time()
            if remaining <= 0:
                where = f" to chat {chat_id}" if chat_id is not None else ""
                raise TimeoutError(
                    f"expected {count} message(s){where} within {timeout}s, got {len(found)}: "
                    f"{[m.visible_text for m in found]}; dropped updates: {self.dropped_updates}; "
                    f"last calls: {[name for name, _ in self.calls[-5:]]}")
            event = self._sent_event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _record(self, sent: SentMessage) -> None:
        self.sent.append(sent)
        event, self._sent_event = self._sent_event, asyncio.Event()
        event.set()

    # ----------------------------------------------------------------------------- faults

    def fail_next(self, method: str, *, status: int = 429, retry_after: int | None = 1, times: int = 1,
                  hang: float | None = None) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        status 429 answers "Too Many Requests" with ``parameters.retry_after`` (omitted when
        retry_after is None); 502 and 504 answer nginx's HTML page like Telegram's front end;
        any other status answers Telegram's JSON error.  With ``hang`` the call instead sleeps that
        many seconds and then succeeds, which makes a client with a shorter timeout give up
        although the action took place.
        """
        name = _CANONICAL.get(method.lower(), method)
        self._faults.setdefault(name, deque()).append(_Fault(status, retry_after, times, hang))

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault

    def _check_flood(self, chat_id: int) -> None:
        now = time.monotonic()
        checks: list[tuple[deque[float], float, int]] = []
        if self.rate_limit_per_s:
            window = max(1.0, 1.0 / self.rate_limit_per_s)
            checks.append((self._sends, window, max(1, math.floor(self.rate_limit_per_s * window))))
        if self.group_rate_per_min and chat_id < 0:
            window = max(60.0, 60.0 / self.group_rate_per_min)
            sends = self._group_sends.setdefault(chat_id, deque())
            checks.append((sends, window, max(1, math.floor(self.group_rate_per_min * window / 60))))
        for sends, window, capacity in checks:
            while sends and sends[0] <= now - window:
                sends.popleft()
            if len(sends) >= capacity:
                wait = max(1, math.ceil(sends[0] + window - now))
                raise BotApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        for sends, _, _ in checks:
            sends.append(now)

    # ----------------------------------------------------------------------------- HTTP plumbing

    def _answer(self, error: BotApiError) -> web.Response:
        if error.status == 429:
            self.count_429 += 1
        elif error.status >= 500:
            self.count_5xx += 1
        body: dict[str, Any] = {"ok": False, "error_code": error.status, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.status)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._answer(BotApiError(401, "Unauthorized"))
        requested = request.match_info["method"]
        method = _CANONICAL.get(requested.lower())
        try:
            params = await self._read_params(request)
        except BotApiError as error:
            self.calls.append((method or requested, {}))
            return self._answer(error)
        self.calls.append((method or requested, params))
        if method is None:
            return self._answer(BotApiError(404, "Not Found: method not found"))
        fault = self._take_fault(method)
        if fault is not None:
            if fault.hang is not None:
                await asyncio.sleep(fault.hang)
            elif fault.status in (502, 504):
                self.count_5xx += 1
                phrase = "Bad Gateway" if fault.status == 502 else "Gateway Time-out"
                return web.Response(status=fault.status, content_type="text/html",
                                    text=_NGINX_PAGE.format(code=fault.status, phrase=phrase))
            elif fault.status == 429:
                wait = fault.retry_after
                text = f"Too Many Requests: retry after {wait}" if wait else "Too Many Requests"
                return self._answer(BotApiError(429, text, retry_after=wait))
            else:
                phrase = {500: "Internal Server Error", 400: "Bad Request", 403: "Forbidden",
                          409: "Conflict", 401: "Unauthorized"}.get(fault.status, "Error")
                return self._answer(BotApiError(fault.status, phrase))
        handler = getattr(self, f"_api_{method}")
        try:
            result = await handler(params)
        except BotApiError as error:
            return self._answer(error)
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            try:
                if request.content_type == "application/json":
                    body = await request.json()
                    if isinstance(body, dict):
                        raw.update(body)
                elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                    for key, value in (await request.post()).items():
                        if isinstance(value, web.FileField):
                            raw[key] = UploadedFile(value.file.read(), value.filename, value.content_type)
                        else:
                            raw[key] = value
            except web.HTTPRequestEntityTooLarge as exc:
                raise BotApiError(413, "Request Entity Too Large") from exc
            except ValueError as exc:
                raise _bad("can't parse JSON encoded request parameters") from exc
        return {key: self._convert(key, value) for key, value in raw.items()}

    @staticmethod
    def _convert(key: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            if key in _JSON_FIELDS:
                return json.loads(value)
            if key in _INT_FIELDS:
                return int(float(value))
            if key == "chat_id" and re.fullmatch(r"-?\d+", value):
                return int(value)
        except ValueError as exc:
            if key == "reply_markup":
                raise _bad("can't parse reply keyboard markup JSON object") from exc
            raise _bad(f"can't parse {key}") from exc
        if key in _BOOL_FIELDS:
            return value.lower() in ("true", "1")
        return value

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored.content, content_type="application/octet-stream")

    # ----------------------------------------------------------------------------- helpers for methods

    def _target_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise _bad("chat not found")
        if chat_id in self._blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        return self._chats[chat_id]

    def _format(self, text: str, params: dict[str, Any], entities_key: str) -> tuple[str, list[dict[str, Any]]]:
        parse_mode = params.get("parse_mode")
        if parse_mode:
            parser = _PARSERS.get(str(parse_mode).lower())
            if parser is None:
                raise _bad(f"unsupported parse_mode {parse_mode}")
            try:
                return parser(text)
            except ValueError as exc:
                raise _bad(f"can't parse entities: {exc}") from exc
        entities = params.get(entities_key) or []
        if not isinstance(entities, list):
            raise _bad(f"can't parse {entities_key} JSON object")
        return text, entities

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
                raise _bad("can't parse reply keyboard markup JSON object")
            return markup
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad("field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays")
        for row in rows:
            for button in row:
                if not button.get("text"):
                    raise _bad("can't parse inline keyboard button: Text buttons are unallowed in the "
                               "inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad("BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not re.match(r"^(https?|tg)://\S+$", str(url)):
                    raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
                if not any(k in button for k in ("callback_data", "url", "web_app", "login_url",
                                                 "switch_inline_query", "switch_inline_query_current_chat",
                                                 "switch_inline_query_chosen_chat", "copy_text",
                                                 "callback_game", "pay")):
                    raise _bad("can't parse inline keyboard button: Text buttons are unallowed in the "
                               "inline keyboard")
        return markup

    def _reply_target(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            target_id = reply.get("message_id")
            lenient = bool(reply.get("allow_sending_without_reply"))
            chat_id = reply.get("chat_id", chat_id)
        else:
            target_id = params.get("reply_to_message_id")
            lenient = bool(params.get("allow_sending_without_reply"))
        if not target_id:
            return None
        if target_id not in self._messages.get(chat_id, {}):
            if lenient:
                return None
            raise _bad("message to be replied not found")
        return self._quoted(chat_id, target_id)

    def _message_for_edit(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat = self._target_chat(params)
        msg = self._messages.get(chat["id"], {}).get(params.get("message_id"))  # type: ignore[arg-type]
        if msg is None:
            raise _bad("message to edit not found")
        if msg["from"]["id"] != self.bot_id:
            raise _bad("message can't be edited")
        return msg

    def _store_file(self, folder: str, content: bytes, suffix: str, size: int) -> _StoredFile:
        number = next(self._file_counter)
        prefix = "AgAC" if folder == "photos" else "BQAC"
        stored = _StoredFile(
            file_id=f"{prefix}AgIAAxkBAAI{number:06d}" + secrets.token_urlsafe(24),
            file_unique_id=f"AQAD{number:04d}" + secrets.token_urlsafe(6),
            file_path=f"{folder}/file_{number}{suffix.lower()}", content=content, file_size=size)
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _uploaded(self, params: dict[str, Any], key: str) -> tuple[UploadedFile | _StoredFile, str | None]:
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://"):])
        if isinstance(value, UploadedFile):
            if not value.content:
                raise _bad("file must be non-empty")
            if len(value.content) > MAX_UPLOAD_BYTES:
                raise BotApiError(413, "Request Entity Too Large")
            return value, value.filename
        if isinstance(value, str) and value in self._files:
            return self._files[value], None
        if value is None or value == "":
            raise _bad(f"there is no {key} in the request")
        raise _bad("wrong file identifier/HTTP URL specified")

    def _caption(self, params: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
        caption = params.get("caption")
        if not caption:
            return None, []
        shown, entities = self._format(caption, params, "caption_entities")
        if len(shown) > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        return shown, entities

    def _sent(self, method: str, params: dict[str, Any], msg: dict[str, Any], text: str | None,
              shown: str | None, markup: dict[str, Any] | None, **files: Any) -> None:
        self._record(SentMessage(
            method=method, chat_id=msg["chat"]["id"], message_id=msg["message_id"], text=text,
            visible_text=shown, parse_mode=params.get("parse_mode"), reply_markup=markup,
            time=time.monotonic(), params=params, message=copy.deepcopy(msg), **files))

    # ----------------------------------------------------------------------------- Bot API methods

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    async def _api_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_logOut(self, params: dict[str, Any]) -> Any:
        return True

    def _set_allowed(self, allowed: Any) -> None:
        if allowed is None:
            return
        if not isinstance(allowed, list):
            raise _bad("can't parse allowed updates")
        self._allowed_updates = frozenset(allowed) if allowed else _DEFAULT_UPDATE_TYPES

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        if self._webhook is not None:
            raise BotApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                   "use deleteWebhook to delete the webhook first")
        self._set_allowed(params.get("allowed_updates"))
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(int(params.get("timeout") or 0), 0)
        if offset:
            if offset < 0:
                while len(self._pending) > -offset:
                    self._pending.popleft()
            else:
                while self._pending and self._pending[0]["update_id"] < offset:
                    self._pending.popleft()
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._pending and not self._closing and self._webhook is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            event = self._new_update
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            if generation != self._poll_generation:
                raise BotApiError(409, "Conflict: terminated by other getUpdates request; make sure "
                                       "that only one bot instance is running")
        result = list(itertools.islice(self._pending, limit))
        self.fetches.append([u["update_id"] for u in result])
        event, self._fetched_event = self._fetched_event, asyncio.Event()
        event.set()
        return result

    async def wait_fetched(self, update_id: int, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until a getUpdates call has handed out the update (it may still be unconfirmed)."""
        async with asyncio.timeout(timeout):
            while not any(update_id in ids for ids in self.fetches):
                await self._fetched_event.wait()

    @property
    def unconfirmed(self) -> list[int]:
        """Update ids kept for getUpdates because no call has yet confirmed them with a higher offset."""
        return [u["update_id"] for u in self._pending]

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        url = params.get("url") or ""
        if not url:
            return await self._api_deleteWebhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        if not _is_loopback(parts.hostname):
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        secret = params.get("secret_token") or None
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("secret token contains unallowed characters")
        max_connections = int(params.get("max_connections") or 40)
        if not 1 <= max_connections <= 100:
            raise _bad("bad webhook: max_connections must be between 1 and 100")
        self._set_allowed(params.get("allowed_updates"))
        left = await self._take_pending(bool(params.get("drop_pending_updates")))
        self._webhook = _Webhook(self, url, secret, max_connections, "certificate" in params,
                                 params.get("ip_address"))
        self._webhook.start()
        for update in left:
            self._webhook.add(update)
        self._wake_pollers()
        return True

    async def _take_pending(self, drop: bool) -> list[dict[str, Any]]:
        left = list(self._pending)
        self._pending.clear()
        if self._webhook is not None:
            left = sorted(left + await self._webhook.stop(), key=lambda u: u["update_id"])
            self._webhook = None
        return [] if drop else left

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self._pending.extend(await self._take_pending(bool(params.get("drop_pending_updates"))))
        self._wake_pollers()
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        hook = self._webhook
        if hook is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._pending)}
        info: dict[str, Any] = {
            "url": hook.url, "has_custom_certificate": hook.has_certificate,
            "pending_update_count": hook.pending, "max_connections": hook.max_connections,
            "allowed_updates": sorted(self._allowed_updates),
        }
        if hook.ip_address:
            info["ip_address"] = hook.ip_address
        if hook.last_error_date:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        return info

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        shown, entities = self._format(text, params, "entities")
        if not shown.strip():
            raise _bad("message text is empty")
        if len(shown) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        markup = self._check_markup(params.get("reply_markup"))
        reply = self._reply_target(chat["id"], params)
        preview = params.get("link_preview_options")
        if preview is None and params.get("disable_web_page_preview"):
            preview = {"is_disabled": True}
        self._check_flood(chat["id"])
        msg = self._store_message(
            chat, self.bot_user_short, text=shown, entities=entities or None, reply_to_message=reply,
            link_preview_options=preview or None,
            reply_markup=markup if markup and "inline_keyboard" in markup else None)
        self._sent("sendMessage", params, msg, text, shown, markup)
        return msg

    @property
    def bot_user_short(self) -> dict[str, Any]:
        """The bot as it appears in the ``from`` field of its own messages."""
        return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}

    async def _send_file(self, method: str, key: str, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        upload, filename = self._uploaded(params, key)
        caption, caption_entities = self._caption(params)
        markup = self._check_markup(params.get("reply_markup"))
        reply = self._reply_target(chat["id"], params)
        content = upload.content
        if isinstance(upload, _StoredFile):
            stored = upload
        elif key == "photo":
            if _image_size(content) is None:
                raise _bad("IMAGE_PROCESS_FAILED")
            if len(content) > MAX_PHOTO_BYTES:
                raise _bad("PHOTO_INVALID_DIMENSIONS")
            stored = self._store_file("photos", content, ".jpg", len(content))
        else:
            suffix = "." + filename.rsplit(".", 1)[1] if filename and "." in filename else ""
            stored = self._store_file("documents", content, suffix, len(content))
        self._check_flood(chat["id"])
        if key == "photo":
            width, height = _image_size(stored.content) or (0, 0)
            media: Any = [{"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                           "file_size": stored.file_size, "width": width, "height": height}]
            files: dict[str, Any] = {"photo": content}
        else:
            mime = (upload.content_type if isinstance(upload, UploadedFile) else None) or \
                (mimetypes.guess_type(filename or "")[0]) or "application/octet-stream"
            media = {"file_name": filename or stored.file_path.rsplit("/", 1)[1], "mime_type": mime,
                     "file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                     "file_size": stored.file_size}
            files = {"document": content, "filename": media["file_name"], "mime_type": mime}
        msg = self._store_message(
            chat, self.bot_user_short, **{key: media}, caption=caption,
            caption_entities=caption_entities or None, reply_to_message=reply,
            reply_markup=markup if markup and "inline_keyboard" in markup else None)
        self._sent(method, params, msg, params.get("caption"), caption, markup, **files)
        return msg

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        return await self._send_file("sendDocument", "document", params)

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        return await self._send_file("sendPhoto", "photo", params)

    def _finish_edit(self, method: str, params: dict[str, Any], msg: dict[str, Any],
                     changes: dict[str, Any], markup: dict[str, Any] | None, text: str | None) -> Any:
        inline = markup if markup and "inline_keyboard" in markup else None
        before = {k: msg.get(k) for k in changes} | {"reply_markup": msg.get("reply_markup")}
        after = {k: v or None for k, v in changes.items()} | {"reply_markup": inline}
        if before == after:
            raise _bad(_NOT_MODIFIED[len("Bad Request: "):])
        self._check_flood(msg["chat"]["id"])
        for key, value in after.items():
            if value is None:
                msg.pop(key, None)
            else:
                msg[key] = value
        msg["edit_date"] = int(time.time())
        shown = msg.get("text", msg.get("caption"))
        self._sent(method, params, msg, text, shown, markup)
        return msg

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        msg = self._message_for_edit(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        if "text" not in msg:
            raise _bad("there is no text in the message to edit")
        shown, entities = self._format(text, params, "entities")
        if len(shown) > MAX_TEXT_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        markup = self._check_markup(params.get("reply_markup"))
        return self._finish_edit("editMessageText", params, msg, {"text": shown, "entities": entities},
                                 markup, text)

    async def _api_editMessageCaption(self, params: dict[str, Any]) -> Any:
        msg = self._message_for_edit(params)
        if "text" in msg:
            raise _bad("there is no caption in the message to edit")
        caption, entities = self._caption(params)
        markup = self._check_markup(params.get("reply_markup"))
        return self._finish_edit("editMessageCaption", params, msg,
                                 {"caption": caption, "caption_entities": entities}, markup,
                                 params.get("caption"))

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        msg = self._message_for_edit(params)
        markup = self._check_markup(params.get("reply_markup"))
        return self._finish_edit("editMessageReplyMarkup", params, msg, {}, markup, None)

    async def _api_deleteMessage(self, params: dict[str, Any]) -> Any:
        chat = self._target_chat(params)
        message_id = params.get("message_id")
        if self._messages.get(chat["id"], {}).pop(message_id, None) is None:  # type: ignore[arg-type]
            raise _bad("message to delete not found")
        for sent in self.sent:
            if sent.chat_id == chat["id"] and sent.message_id == message_id:
                sent.deleted = True
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(params.get("text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        del self._open_callbacks[query_id]
        self.callback_answers[query_id] = params
        return True

    async def _api_getFile(self, params: dict[str, Any]) -> Any:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_BYTES:
            raise _bad("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": stored.file_size, "file_path": stored.file_path}

    @staticmethod
    def _scope_key(scope: Any) -> tuple[Any, ...]:
        if scope in (None, ""):
            return ("default",)
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (kind,)
        if kind in ("chat", "chat_administrators"):
            if scope.get("chat_id") in (None, ""):
                raise _bad("chat not found")
            return (kind, int(scope["chat_id"]))
        if kind == "chat_member":
            if scope.get("chat_id") in (None, "") or scope.get("user_id") in (None, ""):
                raise _bad("user not found")
            return (kind, int(scope["chat_id"]), int(scope["user_id"]))
        raise _bad("wrong BotCommandScope type specified")

    @staticmethod
    def _language(params: dict[str, Any]) -> str:
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad("invalid language code specified")
        return language

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        for command in commands:
            if not isinstance(command, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command"))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "")) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(params.get("scope")), self._language(params))
        if commands:
            self._commands[key] = [{"command": c["command"], "description": c["description"]}
                                   for c in commands]
        else:
            self._commands.pop(key, None)
        return True

    async def _api_getMyCommands(self, params: dict[str, Any]) -> Any:
        return self._commands.get((self._scope_key(params.get("scope")), self._language(params)), [])

    async def _api_deleteMyCommands(self, params: dict[str, Any]) -> Any:
        self._commands.pop((self._scope_key(params.get("scope")), self._language(params)), None)
        return True

    async def _api_sendChatAction(self, params: dict[str, Any]) -> Any:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True
