"""Files people send the bot on Matrix (receipts as photos or PDFs), encrypted or not.

In an encrypted room the homeserver only holds ciphertext; the key, IV and hash travel inside the encrypted
event, so the bot downloads the ciphertext and decrypts it itself. Nothing is downloaded until a handler asks for
the bytes, and not at all when the declared size is already above `matrix.max_file_mb`; a file without a declared
size is streamed and abandoned as soon as it passes the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlparse

import nio
from nio.crypto import decrypt_attachment

from bot.messages import Attachment, AttachmentTooLarge
from bot.platforms.base import DeliveryError


def attachment(content: dict, limit: int, client: Callable[[], nio.AsyncClient | None]) -> Attachment | None:
    """The core's view of an m.image / m.file content; `client` gives the connected client at fetch time."""
    info = content.get("info") if isinstance(content.get("info"), dict) else {}
    size = info.get("size") if isinstance(info.get("size"), int) else None
    encrypted = content.get("file") if isinstance(content.get("file"), dict) else None
    url = (encrypted or content).get("url")
    if not isinstance(url, str) or not url.startswith("mxc://"):
        return None
    mime = info.get("mimetype") or (encrypted or {}).get("mimetype")
    filename = content.get("filename") or content.get("body") or None

    async def fetch() -> bytes:
        if size is not None and size > limit:
            raise AttachmentTooLarge(limit, size)
        data = await download(client(), url, limit)
        if encrypted is None:
            return data
        return decrypt_attachment(data, encrypted["key"]["k"], encrypted["hashes"]["sha256"], encrypted["iv"])

    return Attachment(filename=filename, mime_type=mime, size=size, fetch=fetch, file_ref=url)


async def download(client: nio.AsyncClient | None, mxc: str, limit: int) -> bytes:
    """An authenticated media download, streamed, stopping as soon as the file exceeds `limit` bytes."""
    if client is None:
        raise DeliveryError("Matrix is not connected")
    parsed = urlparse(mxc)
    path = (f"/_matrix/client/v1/media/download/{quote(parsed.netloc, safe='')}/"
            f"{quote(parsed.path.lstrip('/'), safe='')}?allow_remote=true")
    response = await client.send("GET", path, headers={"Authorization": f"Bearer {client.access_token}"},
                                 timeout=120)
    try:
        if response.status != 200:
            raise DeliveryError(f"downloading {mxc} failed with HTTP {response.status}")
        if response.content_length is not None and response.content_length > limit:
            raise AttachmentTooLarge(limit, response.content_length)
        data = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            data += chunk
            if len(data) > limit:
                raise AttachmentTooLarge(limit)
        return bytes(data)
    finally:
        response.release()
