"""A person whose client excludes insecure devices, as Element does with MSC4153 ("invisible crypto").

Such a client shares room keys only with devices their owner has cross-signed (device signed by the owner's
self-signing key, which is signed by the owner's master key) and does not show messages from any other device.
With matrix-nio that is: mark every cross-signed device verified, blacklist the rest, send with
`ignore_unverified_devices=False`, and show only decrypted events nio marks as verified. The cross-signing chain
is checked here with `signedjson` against what `/keys/query` returns, independently of the bot's signing code.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import nio
from signedjson.key import decode_verify_key_bytes
from signedjson.sign import SignatureVerifyException, verify_signed_json
from unpaddedbase64 import decode_base64

from tests.support.matrix_client import MatrixTestUser


def _verify_key(public: str):
    return decode_verify_key_bytes(f"ed25519:{public}", decode_base64(public))


def _only_key(obj: dict | None, user_id: str, usage: str) -> str | None:
    if not obj or obj.get("user_id") != user_id or usage not in obj.get("usage", []):
        return None
    keys = list((obj.get("keys") or {}).values())
    return keys[0] if len(keys) == 1 else None


def cross_signed_devices(keys: dict, user_id: str) -> set[str]:
    """The device ids of `user_id` that the spec's rules call cross-signed, from a `/keys/query` answer."""
    master = _only_key((keys.get("master_keys") or {}).get(user_id), user_id, "master")
    ssk_obj = (keys.get("self_signing_keys") or {}).get(user_id)
    ssk = _only_key(ssk_obj, user_id, "self_signing")
    if master is None or ssk is None:
        return set()
    try:
        verify_signed_json(ssk_obj, user_id, _verify_key(master))
    except SignatureVerifyException:
        return set()
    signed = set()
    for device_id, device in ((keys.get("device_keys") or {}).get(user_id) or {}).items():
        own = (device.get("keys") or {}).get(f"ed25519:{device_id}")
        if device.get("device_id") != device_id or device.get("user_id") != user_id or not own:
            continue
        try:
            verify_signed_json(device, user_id, decode_verify_key_bytes(f"ed25519:{device_id}",
                                                                        decode_base64(own)))
            verify_signed_json(device, user_id, _verify_key(ssk))
        except SignatureVerifyException:
            continue
        signed.add(device_id)
    return signed


async def query_keys(server_url: str, token: str, user_id: str) -> dict:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server_url}/_matrix/client/v3/keys/query",
                             json={"device_keys": {user_id: []}},
                             headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200, await response.text()
            return await response.json()


class StrictTestUser(MatrixTestUser):
    """Element with "exclude insecure devices" on."""

    def __init__(self, *args: Any, **kwargs: Any):
        self.refused: list[dict[str, Any]] = []
        """Messages from devices their owner has not cross-signed: Element shows them as undecryptable."""
        super().__init__(*args, **kwargs)

    def _record(self, room_id: str, event: nio.RoomMessage) -> None:
        if getattr(event, "decrypted", False) and not getattr(event, "verified", False) \
                and event.sender != self.user_id:
            self.refused.append({"room_id": room_id, "sender": event.sender, "event_id": event.event_id,
                                 "body": event.source.get("content", {}).get("body", "")})
            return
        super()._record(room_id, event)

    async def trust_only_cross_signed(self, room: nio.MatrixRoom) -> dict[str, set[str]]:
        """Verify the cross-signed devices of the room's members, blacklist all others; what was trusted."""
        trusted: dict[str, set[str]] = {}
        for user_id in room.users:
            if user_id == self.user_id:
                continue
            keys = await query_keys(self.server.url, self.client.access_token, user_id)
            signed = trusted[user_id] = cross_signed_devices(keys, user_id)
            for device in self.client.device_store.active_user_devices(user_id):
                if device.id in signed:
                    self.client.verify_device(device)
                else:
                    self.client.blacklist_device(device)
        return trusted

    async def _send_message(self, room_id: str, content: dict[str, Any]) -> str:
        room = await self._wait_for_room(room_id, encrypted=False)
        if room.encrypted:
            await self._wait_for_member_devices(room)
            await self.trust_only_cross_signed(room)
        response = await self.client.room_send(room_id, "m.room.message", content,
                                               ignore_unverified_devices=False)
        if not isinstance(response, nio.RoomSendResponse):
            raise RuntimeError(f"{self.user_id} could not send to {room_id}: {response}")
        return response.event_id
