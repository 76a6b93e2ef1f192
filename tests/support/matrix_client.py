"""A person using Element, played by a matrix-nio client with a real encryption store.

Element encrypts direct chats by default, so the person the bot talks to in tests must encrypt and
decrypt for real: an Olm account and Megolm sessions kept in a store directory, keys uploaded and
claimed through Synapse, room keys shared to every device in the room. The person trusts every
device it sees, like someone who never verifies sessions, so sending never stops at an unverified
device.

Sending into an encrypted room waits until the devices of everyone in the room are known. A
message sent before that would be encrypted for nobody but the sender, and the test would then
fail far away from the cause.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nio
from nio.crypto import decrypt_attachment

from tests.support.synapse import RegistrationError, SynapseServer

_MEGOLM = "m.megolm.v1.aes-sha2"
_CREDENTIALS_FILE = "credentials.json"
_POLL = 0.05


class MatrixTestUser:
    """One Matrix account with one device, syncing in the background once started."""

    def __init__(self, server: SynapseServer, client: nio.AsyncClient, *, auto_join: bool = True):
        self.server = server
        self.client = client
        self.user_id: str = client.user_id
        self.auto_join = auto_join
        self.received: list[dict[str, Any]] = []
        self.undecryptable: list[tuple[str, nio.MegolmEvent]] = []
        self._seen: set[str] = set()
        self._handed_out: set[str] = set()
        self._joining: set[str] = set()
        self._sync_task: asyncio.Task | None = None
        self._syncs = 0
        client.add_event_callback(self._on_message, nio.RoomMessage)
        client.add_event_callback(self._on_undecryptable, nio.MegolmEvent)
        client.add_event_callback(self._on_invite, nio.InviteMemberEvent)
        client.add_response_callback(self._on_sync, nio.SyncResponse)

    # -- account -------------------------------------------------------------------------------

    @classmethod
    async def create(
        cls,
        server: SynapseServer,
        localpart: str,
        store_dir: Path,
        *,
        password: str | None = None,
        auto_join: bool = True,
    ) -> MatrixTestUser:
        """Registers and logs in a new device, or, if ``store_dir`` holds one, resumes that device.

        Resuming keeps the device id and the Olm account, as reopening Element on the same machine
        does: no new login, no new device in the account's device list.
        """
        store_dir = Path(store_dir)
        store_dir.mkdir(parents=True, exist_ok=True)
        credentials_path = store_dir / _CREDENTIALS_FILE
        password = password or f"{localpart}-secret"
        config = nio.AsyncClientConfig(
            encryption_enabled=True,
            store_sync_tokens=True,
            max_timeout_retry_wait_time=1.0,
            request_timeout=30,
        )

        if credentials_path.exists():
            saved = json.loads(credentials_path.read_text())
            client = nio.AsyncClient(
                server.url,
                saved["user_id"],
                device_id=saved["device_id"],
                store_path=str(store_dir),
                config=config,
            )
            client.restore_login(saved["user_id"], saved["device_id"], saved["access_token"])
            return cls(server, client, auto_join=auto_join)

        try:
            await server.register(localpart, password)
        except RegistrationError as error:
            if error.errcode != "M_USER_IN_USE":
                raise
        user_id = f"@{localpart}:{server.server_name}"
        client = nio.AsyncClient(server.url, user_id, store_path=str(store_dir), config=config)
        response = await client.login(password, device_name=f"Element ({localpart})")
        if not isinstance(response, nio.LoginResponse):
            await client.close()
            raise RuntimeError(f"login of {user_id} failed: {response}")
        credentials_path.write_text(
            json.dumps(
                {
                    "user_id": response.user_id,
                    "device_id": response.device_id,
                    "access_token": response.access_token,
                }
            )
        )
        return cls(server, client, auto_join=auto_join)

    @property
    def device_id(self) -> str:
        return self.client.device_id

    # -- sync loop -----------------------------------------------------------------------------

    async def start(self, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Uploads the device keys and starts syncing; returns once the first sync is processed."""
        if self._sync_task is not None:
            return
        if self.client.should_upload_keys:
            response = await self.client.keys_upload()
            if not isinstance(response, nio.KeysUploadResponse):
                raise RuntimeError(f"key upload for {self.user_id} failed: {response}")
        syncs_before = self._syncs
        self._sync_task = asyncio.create_task(
            self.client.sync_forever(timeout=5_000, full_state=True), name=f"sync {self.user_id}"
        )
        await self._wait_until(lambda: self._syncs > syncs_before, timeout, "the first sync")

    async def stop(self) -> None:
        task, self._sync_task = self._sync_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.client.close()

    async def wait_for_sync(self, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Returns after one more sync response has been processed."""
        syncs_before = self._syncs
        await self._wait_until(lambda: self._syncs > syncs_before, timeout, "a sync")

    async def _wait_until(self, condition: Callable[[], object], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            self._check_sync_loop(what)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.user_id} waited {seconds:.0f} s for {what}")
            await asyncio.sleep(_POLL)

    def _check_sync_loop(self, what: str) -> None:
        task = self._sync_task
        if task is not None and task.done():
            error = task.exception() if not task.cancelled() else None
            raise RuntimeError(f"sync loop of {self.user_id} stopped while waiting for {what}") from error

    # -- callbacks -----------------------------------------------------------------------------

    async def _on_sync(self, _response: nio.SyncResponse) -> None:
        self._syncs += 1

    async def _on_message(self, room: nio.MatrixRoom, event: nio.RoomMessage) -> None:
        self._record(room.room_id, event)

    def _record(self, room_id: str, event: nio.RoomMessage) -> None:
        if event.event_id in self._seen:
            return
        self._seen.add(event.event_id)
        content = event.source.get("content", {})
        self.received.append(
            {
                "room_id": room_id,
                "event_id": event.event_id,
                "sender": event.sender,
                "body": content.get("body", ""),
                "msgtype": content.get("msgtype"),
                "content": content,
                "encrypted": bool(getattr(event, "decrypted", False)),
                "timestamp": event.server_timestamp,
                "event": event,
            }
        )

    async def _on_undecryptable(self, room: nio.MatrixRoom, event: nio.MegolmEvent) -> None:
        self.undecryptable.append((room.room_id, event))

    async def _on_invite(self, room: nio.MatrixRoom, event: nio.InviteMemberEvent) -> None:
        if not self.auto_join or event.state_key != self.user_id or event.membership != "invite":
            return
        if room.room_id in self._joining:
            return
        self._joining.add(room.room_id)
        if not isinstance(await self.client.join(room.room_id), nio.JoinResponse):
            self._joining.discard(room.room_id)  # the invite shows up again in the next sync

    def _retry_undecryptable(self) -> None:
        """Room keys can arrive after the message they unlock; try those messages again."""
        still_locked = []
        for room_id, event in self.undecryptable:
            try:
                decrypted = self.client.decrypt_event(event)
            except nio.EncryptionError:
                still_locked.append((room_id, event))
                continue
            if isinstance(decrypted, nio.RoomMessage):
                self._record(room_id, decrypted)
        self.undecryptable = still_locked

    # -- rooms ---------------------------------------------------------------------------------

    async def create_dm(self, other_user_id: str, encrypted: bool = True) -> str:
        """Starts a direct chat the way Element does: is_direct invite, m.direct account data."""
        response = await self.client.room_create(
            is_direct=True,
            invite=[other_user_id],
            preset=nio.RoomPreset.trusted_private_chat,
            initial_state=[_encryption_state()] if encrypted else [],
        )
        if not isinstance(response, nio.RoomCreateResponse):
            raise RuntimeError(f"{self.user_id} could not create a DM with {other_user_id}: {response}")
        await self._mark_direct(other_user_id, response.room_id)
        await self._wait_for_room(response.room_id, encrypted)
        return response.room_id

    async def create_room(self, name: str, invite: list[str], encrypted: bool) -> str:
        response = await self.client.room_create(
            name=name,
            invite=invite,
            preset=nio.RoomPreset.private_chat,
            initial_state=[_encryption_state()] if encrypted else [],
        )
        if not isinstance(response, nio.RoomCreateResponse):
            raise RuntimeError(f"{self.user_id} could not create room {name!r}: {response}")
        await self._wait_for_room(response.room_id, encrypted)
        return response.room_id

    async def join(self, room_id: str, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        response = await self.client.join(room_id)
        if not isinstance(response, nio.JoinResponse):
            raise RuntimeError(f"{self.user_id} could not join {room_id}: {response}")
        await self._wait_until(
            lambda: self._is_member(room_id, self.user_id), timeout, f"its own join of {room_id}"
        )

    async def wait_for_join(self, room_id: str, user_id: str, timeout: float = 15) -> None:  # noqa: ASYNC109
        """Waits until this client's sync shows ``user_id`` joined to ``room_id``."""
        await self._wait_until(
            lambda: self._is_member(room_id, user_id), timeout, f"{user_id} to join {room_id}"
        )

    def _is_member(self, room_id: str, user_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return room is not None and user_id in room.users and user_id not in room.invited_users

    async def _wait_for_room(self, room_id: str, encrypted: bool, seconds: float = 15.0) -> nio.MatrixRoom:
        def ready() -> bool:
            room = self.client.rooms.get(room_id)
            return room is not None and (room.encrypted or not encrypted)

        await self._wait_until(ready, seconds, f"room {room_id} to appear in its sync")
        return self.client.rooms[room_id]

    async def _mark_direct(self, other_user_id: str, room_id: str) -> None:
        path = f"/_matrix/client/v3/user/{quote(self.user_id)}/account_data/m.direct"
        response = await self.client.list_direct_rooms()
        direct = dict(response.rooms) if isinstance(response, nio.DirectRoomsResponse) else {}
        direct[other_user_id] = [*direct.get(other_user_id, []), room_id]
        headers = {"Authorization": f"Bearer {self.client.access_token}", "Content-Type": "application/json"}
        reply = await self.client.send("PUT", path, json.dumps(direct), headers)
        try:
            if reply.status != 200:
                raise RuntimeError(f"setting m.direct for {self.user_id} failed: {await reply.text()}")
        finally:
            reply.release()

    # -- sending -------------------------------------------------------------------------------

    async def send_text(self, room_id: str, body: str) -> str:
        return await self._send_message(room_id, {"msgtype": "m.text", "body": body})

    async def send_image(self, room_id: str, data: bytes, filename: str, mimetype: str) -> str:
        """Uploads an image and posts it; encrypted rooms get an encrypted attachment as Element sends."""
        room = await self._wait_for_room(room_id, encrypted=False)
        upload, keys = await self.client.upload(
            lambda _got_429, _got_timeouts: data,
            content_type=mimetype,
            filename=filename,
            encrypt=room.encrypted,
            filesize=len(data),
        )
        if not isinstance(upload, nio.UploadResponse):
            raise RuntimeError(f"upload by {self.user_id} failed: {upload}")
        content: dict[str, Any] = {
            "msgtype": "m.image",
            "body": filename,
            "info": {"mimetype": mimetype, "size": len(data)},
        }
        if room.encrypted:
            assert keys is not None
            content["file"] = {
                "url": upload.content_uri,
                "mimetype": mimetype,
                "v": keys["v"],
                "key": keys["key"],
                "iv": keys["iv"],
                "hashes": keys["hashes"],
            }
        else:
            content["url"] = upload.content_uri
        return await self._send_message(room_id, content)

    async def _send_message(self, room_id: str, content: dict[str, Any]) -> str:
        room = await self._wait_for_room(room_id, encrypted=False)
        if room.encrypted:
            await self._wait_for_member_devices(room)
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        if not isinstance(response, nio.RoomSendResponse):
            raise RuntimeError(f"{self.user_id} could not send to {room_id}: {response}")
        return response.event_id

    async def _wait_for_member_devices(self, room: nio.MatrixRoom, seconds: float = 15.0) -> None:
        """Room keys go only to devices this client knows about, so wait until it knows everyone's."""

        def missing() -> list[str]:
            return [
                user_id
                for user_id in room.users
                if user_id != self.user_id
                and not any(True for _ in self.client.device_store.active_user_devices(user_id))
            ]

        await self._wait_until(
            lambda: not missing(), seconds, f"the devices of {missing()} in {room.room_id}"
        )

    # -- receiving -----------------------------------------------------------------------------

    async def wait_for_message(
        self,
        room_id: str,
        *,
        sender: str | None = None,
        contains: str | None = None,
        timeout: float = 15.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """The next message in ``room_id`` not handed out before that matches the filters.

        Without ``sender``, the user's own messages are skipped: a person waits for an answer,
        not for the echo of what they typed.
        """

        def matches(message: dict[str, Any]) -> bool:
            if message["room_id"] != room_id or message["event_id"] in self._handed_out:
                return False
            if sender is None and message["sender"] == self.user_id:
                return False
            if sender is not None and message["sender"] != sender:
                return False
            return contains is None or contains in message["body"]

        deadline = time.monotonic() + timeout
        while True:
            for message in self.received:
                if matches(message):
                    self._handed_out.add(message["event_id"])
                    return message
            if self.undecryptable:
                self._retry_undecryptable()
            if time.monotonic() > deadline:
                break
            self._check_sync_loop(f"a message in {room_id}")
            await asyncio.sleep(_POLL)

        seen = [f"{m['sender']}: {m['body']!r}" for m in self.received if m["room_id"] == room_id]
        locked = [event.event_id for rid, event in self.undecryptable if rid == room_id]
        raise AssertionError(
            f"{self.user_id} got no message in {room_id}"
            f"{f' from {sender}' if sender else ''}{f' containing {contains!r}' if contains else ''}"
            f" within {timeout:.0f} s. Received there: {seen or 'nothing'}."
            f"{f' Undecryptable events: {locked}.' if locked else ''}"
        )

    async def download_media(self, message: dict[str, Any]) -> bytes:
        """The bytes of an image or file message, decrypted if it came as an encrypted attachment."""
        content = message["content"]
        encrypted_file = content.get("file")
        mxc = encrypted_file["url"] if encrypted_file else content["url"]
        response = await self.client.download(mxc)
        if not isinstance(response, nio.DownloadResponse):
            raise RuntimeError(f"{self.user_id} could not download {mxc}: {response}")
        if not encrypted_file:
            return response.body
        return decrypt_attachment(
            response.body,
            encrypted_file["key"]["k"],
            encrypted_file["hashes"]["sha256"],
            encrypted_file["iv"],
        )


def _encryption_state() -> dict[str, Any]:
    return {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": _MEGOLM}}
