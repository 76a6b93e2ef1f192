"""Receipt files: size checked before download, type checked by content, kept in the database with a sha256.

The size a platform declares is checked before a single byte is fetched, so a 50 MB upload costs nothing; the
downloaded length is checked again, because a declared size can be missing or wrong. The type is read from the
file's first bytes, not from the name or the MIME type the phone sent, so a renamed executable is not a "PDF".

Receipts live in the database (table claim_receipts) rather than in the data directory: they are then in every
database backup, shared between bot processes on PostgreSQL, and stored or rolled back together with the claim.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Attachment, AttachmentTooLarge
from bot.storage.models import User
from bot.storage.models_claims import Claim, Receipt
from bot.timeutil import now

log = logging.getLogger(__name__)

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic",
              "application/pdf": "pdf"}


class ReceiptRefused(Exception):
    """`code` is "empty", "wrong_type" or "download_failed"; a file too large is AttachmentTooLarge."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def sniff(data: bytes) -> str | None:
    """The MIME type of a receipt from its magic bytes, or None if it is none of the accepted kinds."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "image/heic"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


@dataclass(frozen=True)
class Checked:
    data: bytes
    mime_type: str
    sha256: str
    filename: str


async def fetch_checked(attachment: Attachment, max_bytes: int) -> Checked:
    """Raises AttachmentTooLarge with the lower of the receipt's and the platform's limits, or ReceiptRefused."""
    if attachment.size is not None and attachment.size > max_bytes:
        raise AttachmentTooLarge(max_bytes, attachment.size)
    try:
        data = await attachment.fetch()
    except AttachmentTooLarge as exc:
        raise AttachmentTooLarge(min(exc.limit, max_bytes), exc.size) from exc
    except Exception as exc:  # the network or the platform failed: the volunteer sends it again
        log.warning("a receipt could not be downloaded: %s", type(exc).__name__)
        raise ReceiptRefused("download_failed") from exc
    if len(data) > max_bytes:
        raise AttachmentTooLarge(max_bytes, len(data))
    if not data:
        raise ReceiptRefused("empty")
    mime = sniff(data)
    if mime is None:
        raise ReceiptRefused("wrong_type")
    stem = PurePath(attachment.filename or "").stem[:80] or "receipt"
    return Checked(data, mime, hashlib.sha256(data).hexdigest(), f"{stem}.{EXTENSIONS[mime]}")


async def store(session: AsyncSession, user: User, checked: Checked) -> Receipt:
    row = Receipt(user_id=user.id, sha256=checked.sha256, mime_type=checked.mime_type, filename=checked.filename,
                  size=len(checked.data), data=checked.data)
    session.add(row)
    await session.flush()
    return row


async def purge_unclaimed(session: AsyncSession, older_than: timedelta) -> int:
    """Remove receipts of claim dialogs that were never submitted."""
    used = select(Claim.receipt_id).where(Claim.receipt_id.is_not(None))
    result = await session.execute(
        delete(Receipt).where(Receipt.created_at < now() - older_than, Receipt.id.not_in(used))
    )
    return result.rowcount or 0
