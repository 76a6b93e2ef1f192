"""Small helpers for tests against the real Synapse: test images, and events as the server stores them."""

from __future__ import annotations

import os
import struct
import zlib

import aiohttp

from tests.support.synapse import SynapseServer


def png(width: int = 4, height: int = 3) -> bytes:
    """A small valid PNG with noisy pixels, so no two test images are alike."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def raw_event(server: SynapseServer, token: str, room_id: str, event_id: str) -> dict:
    """The event as Synapse stores and serves it, before any client-side decryption."""
    url = f"{server.url}/_matrix/client/v3/rooms/{room_id}/event/{event_id}"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200, await response.text()
            return await response.json()
