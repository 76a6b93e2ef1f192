"""The bot's own small vocabulary between platforms and handlers.

Adapters translate platform events into these and replies back; handlers never see a platform library. This is
what lets one handler set serve Telegram, Matrix, the console and the test backend alike.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


class AttachmentTooLarge(Exception):
    """The file is above a size limit, so it is not downloaded (any further).

    Every platform raises this one type from `Attachment.fetch`, so a handler answers "too large" the same way
    wherever the file came from. `limit` is in bytes; `size` is the file's size where it is known.
    """

    def __init__(self, limit: int, size: int | None = None):
        super().__init__(f"{size} bytes, at most {limit} accepted" if size is not None else f"more than {limit} bytes")
        self.limit = limit
        self.size = size

    @property
    def limit_mb(self) -> int:
        """The limit as people are told it; limits are configured in whole MB."""
        return self.limit // (1024 * 1024)


@dataclass(frozen=True)
class Attachment:
    """A file the user sent; the bytes are fetched only when a handler needs them."""

    filename: str | None
    mime_type: str | None
    size: int | None
    """As the platform declared it: may be missing or wrong, so check the fetched length too."""
    fetch: Callable[[], Awaitable[bytes]] = field(repr=False, compare=False)
    """Downloads the bytes; raises AttachmentTooLarge above the platform's limit, other errors when it fails."""
    file_ref: str = ""
    """A platform reference that is stable for the same file (Telegram file_unique_id, Matrix mxc URL)."""


@dataclass(frozen=True)
class IncomingMessage:
    platform: str
    chat_id: str
    sender_id: str
    text: str = ""
    language: str | None = None
    is_group: bool = False
    attachment: Attachment | None = None
    message_id: str | None = None
    event_id: str | None = None
    """A platform-wide unique id of the event, to recognise redeliveries after a restart."""


@dataclass(frozen=True)
class ButtonPress:
    platform: str
    chat_id: str
    sender_id: str
    token: str
    language: str | None = None
    is_group: bool = False
    message_id: str | None = None
    event_id: str | None = None


Event = IncomingMessage | ButtonPress


@dataclass(frozen=True)
class Button:
    label: str
    token: str = ""
    url: str = ""
    """A link button (calendar feed, deep link into a private chat) instead of an action."""


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    mime_type: str
    data: bytes = field(repr=False)


@dataclass
class Reply:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    file: OutgoingFile | None = None
    html: bool = False
    """The text uses the small HTML subset (b, i, a href, code) that Telegram and Matrix both render."""
    edit: bool = False
    """Replace the message whose button was pressed instead of sending a new one, where the platform can."""
    number_from: int = 1
    """Where numbered choices count from: the menus of one answer are numbered on, so each number is unique."""

    def to_payload(self) -> dict:
        """A JSON form for the outbox; small files (calendar entries) travel inline."""
        payload: dict = {
            "text": self.text,
            "html": self.html,
            "buttons": [[{"label": b.label, "token": b.token, "url": b.url} for b in row] for row in self.buttons],
        }
        if self.number_from != 1:
            payload["number_from"] = self.number_from
        if self.file is not None:
            payload["file"] = {
                "filename": self.file.filename,
                "mime_type": self.file.mime_type,
                "data": base64.b64encode(self.file.data).decode("ascii"),
            }
        return payload

    @classmethod
    def from_payload(cls, payload: dict) -> Reply:
        file = payload.get("file")
        return cls(
            text=payload.get("text", ""),
            html=payload.get("html", False),
            buttons=[[Button(**b) for b in row] for row in payload.get("buttons", [])],
            file=OutgoingFile(file["filename"], file["mime_type"], base64.b64decode(file["data"])) if file else None,
            number_from=int(payload.get("number_from", 1)),
        )
