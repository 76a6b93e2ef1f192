"""Matrix (Element) with end-to-end encryption, on matrix-nio.

German public bodies and many welfare organisations use Matrix, and Element encrypts direct chats by default: a
bot that cannot decrypt would be useless there. So the bot is an ordinary encrypting Matrix device.

Device and keys. The bot logs in once (password) or uses a configured access token, and keeps its device id, Olm
account and Megolm sessions in `matrix.store_dir` (see `matrix_store`). A restart resumes the same device; nobody
has to re-verify anything, and messages encrypted while the bot was down are still readable.

Trust policy. The bot encrypts its replies for every device the homeserver lists for the members of a room,
verified or not (`ignore_unverified_devices=True`), and it reads messages from unverified devices. A device's
signing key is pinned the first time the bot sees it (trust on first use: a device id that later shows up with a
different key is not accepted). The bot's own device is cross-signed by the account's identity (see
`matrix_crosssigning`), so Element trusts it without anyone verifying the bot; the bot itself does not verify
anyone. The trade-off: verification would need an interactive ceremony per volunteer that most of them cannot do,
and a bot that refused unverified devices would simply stop answering; in exchange, whoever controls the
homeserver could add a device to a member's account and receive the bot's replies to that member. Run the bot on a homeserver you trust, as you would for the members' own accounts.

Where the bot answers. In a direct chat (at most two members and no room name, which is how Element creates one)
every message is for the bot. In other rooms only what is addressed to it: one of its commands ("!hilfe" or
"/hilfe"), a mention (Element's pill, its user id, display name or localpart), or a reply to one of its messages.
Choices (the core's buttons) become a numbered list; in a room, the number is sent as a reply to the bot's message.
Edits of earlier messages and notices from other bots are ignored. A reply meant to replace the message whose
button was pressed (`Reply.edit`) is sent as a new message: with numbered choices nothing was pressed.

Robustness. Sync runs in one task and only queues events; each room has its own worker (so a room's messages are
answered in order) and at most `concurrency` handlers run at once, so a slow handler never stalls the sync. Sync
errors back off exponentially. M_LIMIT_EXCEEDED is waited out as long as the homeserver asks: short waits inside
the adapter, so a chat's messages keep their order, longer ones by the outbox (`RetryLater`). The sync position is
saved only after the events before it are handled, and the core drops events it has seen before (by event id), so
after a crash events are read again but never answered twice. On the very first start (no saved position) events
older than the start are not answered; after a pause, missed messages up to a day old are. A message whose room
key has not arrived is retried when keys arrive (a key request goes to the sender); if the key never comes, the
sender of a direct chat is told to send the message again. Undecryptable events count against their sender's rate
limit like messages, and invitations are answered only a few per inviter and hour, so neither can be used to
make the bot send key requests or join rooms without end. A direct chat that gains a third member is replaced by
a new one for personal pushes (see `matrix_private`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import aiohttp
import nio

from bot.config import Config
from bot.core.ratelimit import SlidingWindow
from bot.i18n import Translator, normalise_language
from bot.messages import IncomingMessage, OutgoingFile, Reply
from bot.platforms import matrix_crosssigning as crosssigning
from bot.platforms import matrix_media as media
from bot.platforms import matrix_private as private
from bot.platforms import matrix_text as mtext
from bot.platforms.base import DatabaseUnavailable, DeliveryError, PermanentDeliveryError, RetryLater
from bot.platforms.matrix_rooms import Job, RoomWorkers
from bot.platforms.matrix_store import Batch, LoginFailed, SyncPosition, open_client, prepare_dir

if TYPE_CHECKING:
    from bot.core.leases import Answer
    from bot.platforms.base import Core

log = logging.getLogger(__name__)

SYNC_TIMEOUT_MS = 30_000
SYNC_FILTER = {"room": {"timeline": {"limit": 50}}}
START_MARGIN_MS = 30_000
"""On the first start without a saved sync position, events older than the start minus this are history."""
MAX_AGE_MS = 24 * 3600 * 1000
"""Messages older than this when the bot gets to them are not answered any more."""
JOIN_GRACE_MS = 10 * 60 * 1000
"""In a room the bot just joined, history older than the join minus this is not answered."""
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 60.0
KEY_WAIT = 60.0
"""Seconds an undecryptable message waits for its room key before the sender is asked to send it again."""
STOP_GRACE = 10.0
SENT_MEMORY = 2000
MAX_RATE_WAIT = 10.0
"""Rate-limit waits up to this long happen inside the adapter; longer ones are handed to the outbox."""

MAX_LOCKED = 1000
"""Undecryptable events held at most while waiting for their keys (all senders together)."""
INVITES_PER_HOUR = 5
"""Invitations answered per inviter and hour; more are ignored (neither joined nor declined)."""

MESSAGES = (nio.RoomMessageText, nio.RoomMessageImage, nio.RoomMessageFile, nio.RoomEncryptedImage,
            nio.RoomEncryptedFile)


class _SlowDown(Exception):
    def __init__(self, seconds: float):
        super().__init__(f"rate limited for {seconds:.1f} s")
        self.seconds = seconds


def _now_ms() -> int:
    return int(time.time() * 1000)


def backoff(failures: int) -> float:
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(failures - 1, 0)) * (0.8 + random.random() * 0.4)


def transaction_id(key: str | None, room_id: str, reply: Reply, part: str) -> str | None:
    """A transaction id the homeserver dedupes retries by; it also covers room and content, so a reused key (a
    database restored from a backup, outbox ids counting from 1 again) can never swallow a different message."""
    if key is None:
        return None
    digest = hashlib.sha256(json.dumps([key, room_id, reply.to_payload(), part], sort_keys=True).encode()).hexdigest()
    return f"hb{digest[:32]}{part}"


def delivery_error(response: nio.ErrorResponse) -> DeliveryError:
    """M_LIMIT_EXCEEDED -> wait as asked; other client errors (forbidden, not in the room) -> give up; else retry."""
    transport = getattr(response, "transport_response", None)
    status = transport.status if transport is not None else None
    if response.status_code == "M_LIMIT_EXCEEDED" or status == 429:
        return RetryLater((response.retry_after_ms or 5000) / 1000, str(response))
    if status is not None and 400 <= status < 500 and status not in (401, 408) \
            and response.status_code != "M_UNKNOWN_TOKEN":
        return PermanentDeliveryError(str(response))
    return DeliveryError(str(response))


class MatrixAdapter:
    name = "matrix"
    native_buttons = False
    guesses_language = True
    """Matrix says nothing about a user's language: the core guesses it from the first message."""

    def __init__(self, config: Config, *, concurrency: int = 4, startup_wait: float = 20.0,
                 key_wait: float = KEY_WAIT):
        self.config = config
        self.settings = config.matrix
        # Not every configuration has this key yet; five messages a second stays under Synapse's default limits.
        self.rate_per_second = float(getattr(config.matrix, "rate_per_second", 5.0))
        self.store_dir = config.matrix_store_dir
        self.max_file_bytes = config.matrix.max_file_mb * 1024 * 1024
        self.startup_wait = startup_wait
        self.key_wait = key_wait
        self.client: nio.AsyncClient | None = None
        self.app: Core | None = None
        self.ready = asyncio.Event()
        """Set once the first sync is processed: rooms and members are known."""
        self.position = SyncPosition(self.store_dir)
        self.concurrency = concurrency
        self.rooms = RoomWorkers(concurrency)
        self._tasks: set[asyncio.Task] = set()
        self._sync_task: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self._current: Batch | None = None
        self._not_before_ms = 0
        self._joined_at: dict[str, int] = {}
        self._joining: set[str] = set()
        self._sent: OrderedDict[str, None] = OrderedDict()
        self._locked: dict[str, list[tuple[str, nio.MegolmEvent, float]]] = {}
        self._locked_timer: asyncio.Task | None = None
        self._inviters = SlidingWindow(INVITES_PER_HOUR, 3600.0)
        self.private = private.PrivateChats(self.store_dir)
        self._moving: set[str] = set()
        self._told: set[str] = set()
        self._told_to_wait: set[str] = set()
        """Rooms told during this database outage that their answer comes a little later."""
        self._display_name = ""
        self._limited_until = 0.0
        self.cross_signing: crosssigning.Outcome | None = None
        """What became of the bot's cross-signing identity on this connection (None: not settled yet)."""
        self._cross_signing_next = 0.0

    # --- identity --------------------------------------------------------------------------------------------
    @property
    def user_id(self) -> str:
        return self.client.user_id if self.client is not None else self.settings.user_id

    @property
    def device_id(self) -> str | None:
        return self.client.device_id if self.client is not None else None

    def private_link(self, payload: str = "") -> str | None:
        # matrix.to cannot carry a start parameter: with a payload the core shows "/start <token>" instead.
        return None if payload else f"https://matrix.to/#/{self.user_id}"

    # --- lifecycle -------------------------------------------------------------------------------------------
    async def start(self, app: Core) -> None:
        """Connect in the background; wait a little for the first sync so the bot starts answering at once."""
        self.app = app
        self._stopping.clear()
        self.rooms = RoomWorkers(self.concurrency)
        prepare_dir(self.store_dir)
        self.private.load()
        saved = self.position.load()
        self._not_before_ms = 0 if saved else _now_ms() - START_MARGIN_MS
        if self.settings.join_policy == "servers" and not self.settings.allowed_servers:
            log.warning("matrix.join_policy is \"servers\" but matrix.allowed_servers is empty: no invitation will "
                        "be accepted")
        self._sync_task = asyncio.create_task(self._run(), name="matrix-sync")
        try:
            await asyncio.wait_for(self.ready.wait(), self.startup_wait)
        except TimeoutError:
            log.warning("Matrix homeserver %s not reached yet; still trying in the background",
                        self.settings.homeserver)

    async def stop(self) -> None:
        """Stop syncing, let handlers that already have an event finish, save the position, close the client."""
        self._stopping.set()
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
            self._sync_task = None
        await self.rooms.close(STOP_GRACE)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.position.settle()
        if self.client is not None:
            await self.client.close()
            self.client = None
        self.ready.clear()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _spawn(self, coro: Awaitable, name: str) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- sync ------------------------------------------------------------------------------------------------
    async def _run(self) -> None:
        """The sync loop: never ends on an error, only on stop()."""
        failures = 0
        while not self._stopping.is_set():
            try:
                if self.client is None:
                    await self._connect()
                await self._sync_once()
                failures = 0
                continue
            except asyncio.CancelledError:
                raise
            except _SlowDown as exc:
                delay = exc.seconds
                log.warning("Matrix homeserver asked the bot to slow down; next sync in %.1f s", delay)
            except LoginFailed as exc:
                failures += 1
                delay = BACKOFF_MAX if exc.permanent else backoff(failures)
                log.error("Matrix login failed: %s", exc)
            except Exception as exc:  # network, homeserver, or a bug: the loop must go on
                failures += 1
                delay = backoff(failures)
                log.warning("Matrix sync failed (%s: %s); retrying in %.1f s", type(exc).__name__, exc, delay)
            await self._pause(delay)

    async def _connect(self) -> None:
        client = await open_client(self.settings, self.store_dir)
        client.add_event_callback(self._on_invite, nio.InviteMemberEvent)
        client.add_event_callback(self._on_message, MESSAGES)
        client.add_event_callback(self._on_locked, nio.MegolmEvent)
        client.add_event_callback(self._on_member, nio.RoomMemberEvent)
        self.client = client
        log.info("Matrix: %s on device %s", client.user_id, client.device_id)
        # Before the first sync, so people who write at once can already encrypt for this device.
        await self._keep_keys()
        self.cross_signing, self._cross_signing_next = None, 0.0
        await self._keep_cross_signing()

    async def _sync_once(self) -> None:
        client = self.client
        assert client is not None
        first = not self.ready.is_set()
        batch = self._current = self.position.open()
        token = None
        try:
            response = await client.sync(
                timeout=0 if first else SYNC_TIMEOUT_MS,
                sync_filter=SYNC_FILTER,
                since=self.position.saved if first else None,
                full_state=True if first else None,
            )
            if isinstance(response, nio.SyncResponse):
                token = response.next_batch
        finally:
            self._current = None
            self.position.close(batch, token)
        if isinstance(response, nio.SyncError):
            transport = response.transport_response
            if first and self.position.saved and transport is not None and transport.status == 400:
                log.warning("the homeserver does not know the saved sync position (%s); starting afresh, "
                            "without answering older messages", response)
                self.position.forget()
                self._not_before_ms = _now_ms() - START_MARGIN_MS
                raise RuntimeError(str(response))
            if response.status_code == "M_LIMIT_EXCEEDED":
                raise _SlowDown((response.retry_after_ms or 5000) / 1000)
            if response.status_code == "M_UNKNOWN_TOKEN":
                log.error("the homeserver no longer accepts the bot's access token (device deleted or logged "
                          "out?); configure a new one, or with a password remove %s to log in as a new device",
                          self.store_dir / "credentials.json")
            raise RuntimeError(str(response))
        if first:
            self.ready.set()
            await self._load_display_name()
        await self._keep_keys()
        await self._keep_cross_signing()
        self._retry_locked()

    async def _keep_keys(self) -> None:
        """The key traffic nio's sync_forever would do: own keys, other devices' keys, one-time keys."""
        client = self.client
        assert client is not None
        try:
            if client.outgoing_to_device_messages:
                await client.send_to_device_messages()
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                await client.keys_query()
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
        except (aiohttp.ClientError, TimeoutError, nio.LocalProtocolError) as exc:
            log.warning("Matrix key exchange failed (%s); trying again after the next sync", type(exc).__name__)

    async def _keep_cross_signing(self) -> None:
        """Sign this device with the account's cross-signing identity (creating it the first time); after a
        failure try again with a later sync, so a homeserver hiccup never stops the bot."""
        client = self.client
        assert client is not None
        if self.cross_signing is not None or time.monotonic() < self._cross_signing_next:
            return
        try:
            self.cross_signing = await crosssigning.ensure_identity(
                homeserver=self.settings.homeserver, access_token=client.access_token, user_id=client.user_id,
                device_id=client.device_id, password=self.settings.password, store_dir=self.store_dir,
                reset=self.settings.reset_cross_signing, recovery_key=self.settings.recovery_key)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError, crosssigning.CrossSigningError) as exc:
            self._cross_signing_next = time.monotonic() + 60
            log.warning("Matrix cross-signing not done yet (%s: %s); trying again in a minute",
                        type(exc).__name__, exc)

    async def _load_display_name(self) -> None:
        assert self.client is not None
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            response = await self.client.get_displayname()
            if isinstance(response, nio.ProfileGetDisplayNameResponse):
                self._display_name = response.displayname or ""

    # --- events in -------------------------------------------------------------------------------------------
    def _fresh(self, room_id: str, timestamp: int) -> bool:
        if timestamp < self._not_before_ms or timestamp < _now_ms() - MAX_AGE_MS:
            return False
        joined = self._joined_at.get(room_id)
        return not (joined and timestamp < joined - JOIN_GRACE_MS)

    async def _on_message(self, room: nio.MatrixRoom, event: nio.RoomMessage) -> None:
        if event.sender == self.user_id or not self._fresh(room.room_id, event.server_timestamp):
            return
        self._enqueue(room.room_id, lambda: self._handle(room.room_id, event))

    async def _on_locked(self, room: nio.MatrixRoom, event: nio.MegolmEvent) -> None:
        """A message the bot has no room key for (yet): keep it, ask the sender's devices for the key."""
        if event.sender == self.user_id or not self._fresh(room.room_id, event.server_timestamp):
            return
        waiting = self._locked.get(event.session_id, [])
        if any(e.event_id == event.event_id for _, e, _ in waiting):
            return
        if not self._locked_allowed(event.sender):
            return
        self._locked[event.session_id] = waiting
        first_of_session = not waiting
        waiting.append((room.room_id, event, time.monotonic()))
        if first_of_session:
            self._spawn(self._request_key(event), "matrix-key-request")
        if self._locked_timer is None or self._locked_timer.done():
            self._locked_timer = self._spawn(self._check_locked_later(), "matrix-key-wait")

    def _locked_allowed(self, sender: str) -> bool:
        """An undecryptable event costs key requests and memory, so it counts against its sender's rate limit
        like a message (a flood of them is dropped without a key request); the number held is capped too."""
        if self.app is not None and not self.app.within_rate_limit(self.name, sender):
            log.info("dropping an undecryptable event: its sender is over the rate limit")
            return False
        if sum(len(w) for w in self._locked.values()) >= MAX_LOCKED:
            log.warning("%d undecryptable events are waiting for keys already; dropping another", MAX_LOCKED)
            return False
        return True

    async def _check_locked_later(self) -> None:
        """Keys usually arrive with a later sync; this makes sure a message is given up even if none comes.
        One such task for all waiting events: it sleeps until the oldest one is due."""
        while self._locked and not self._stopping.is_set():
            oldest = min(since for waiting in self._locked.values() for _, _, since in waiting)
            await self._pause(max(oldest + self.key_wait - time.monotonic(), 0) + 0.1)
            self._retry_locked()

    async def _request_key(self, event: nio.MegolmEvent) -> None:
        client = self.client
        if client is None:
            return
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, nio.LocalProtocolError):
            # nio accepts forwarded keys only for sessions it has asked for, and asks the bot's own devices ...
            await client.request_room_key(event)
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            # ... while the key is with the sender's devices.
            await client.to_device(event.as_key_request(event.sender, client.device_id))

    def _retry_locked(self) -> None:
        client = self.client
        if client is None:
            return
        for session_id, waiting in list(self._locked.items()):
            still, lost = [], []
            for room_id, event, since in waiting:
                try:
                    decrypted = client.decrypt_event(event)
                except nio.EncryptionError:
                    if time.monotonic() - since < self.key_wait:
                        still.append((room_id, event, since))
                    else:
                        lost.append((room_id, event))
                    continue
                if isinstance(decrypted, MESSAGES) and decrypted.sender != self.user_id:
                    self._enqueue(room_id, lambda r=room_id, e=decrypted: self._handle(r, e))
            if lost and session_id not in self._told:
                self._told.add(session_id)
                self._give_up(*lost[-1], count=len(lost))
            if still:
                self._locked[session_id] = still
            else:
                del self._locked[session_id]

    def _give_up(self, room_id: str, event: nio.MegolmEvent, *, count: int) -> None:
        """Once per missing key: in a direct chat the sender hears of it, elsewhere only the log does."""
        log.warning("no room key arrived for %d event(s) in %s, last %s", count, room_id, event.event_id)
        assert self.client is not None
        room = self.client.rooms.get(room_id)
        if room is not None and self.is_direct(room):
            self._enqueue(room_id, lambda: self._tell_undecryptable(room_id, event))

    async def _tell_undecryptable(self, room_id: str, event: nio.MegolmEvent) -> None:
        _ = Translator(await self._language_of_user(event.sender)).gettext
        reply = Reply(_("I could not read your last message: its encryption key did not reach me. "
                        "Please send it again."))
        try:
            await self._deliver(room_id, reply, key=f"locked:{event.event_id}")
        except PermanentDeliveryError:
            return
        except DeliveryError as exc:
            await self._defer(room_id, [reply], exc)

    async def _on_invite(self, room: nio.MatrixRoom, event: nio.InviteMemberEvent) -> None:
        if event.state_key != self.user_id or event.membership != "invite" or room.room_id in self._joining:
            return
        if self._inviters.hit((self.name, event.sender)) != "ok":
            log.info("ignoring an invitation to %s: the inviter sent more than %d in an hour", room.room_id,
                     INVITES_PER_HOUR)
            return
        self._joining.add(room.room_id)
        self._spawn(self._answer_invite(room.room_id, event.sender), "matrix-invite")

    async def _answer_invite(self, room_id: str, inviter: str) -> None:
        client = self.client
        assert client is not None
        try:
            if not mtext.may_join(inviter, self.settings.join_policy, self.settings.allowed_servers):
                log.info("declining the invitation to %s from a user of %s (matrix.join_policy)", room_id,
                         mtext.server_of(inviter))
                await client.room_leave(room_id)
                return
            self._joined_at[room_id] = _now_ms()
            for attempt in range(1, 6):
                response = await client.join(room_id)
                if isinstance(response, nio.JoinResponse):
                    log.info("joined %s", room_id)
                    return
                error = delivery_error(response)
                if isinstance(error, PermanentDeliveryError):
                    log.warning("could not join %s: %s", room_id, response)
                    return
                await self._pause(error.seconds if isinstance(error, RetryLater) else backoff(attempt))
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("answering the invitation to %s failed (%s); it is retried on the next start",
                        room_id, type(exc).__name__)
        finally:
            self._joining.discard(room_id)

    async def _on_member(self, room: nio.MatrixRoom, event: nio.RoomMemberEvent) -> None:
        """Leave rooms everyone else has left, so pushes do not go into an empty room; move a direct chat that
        gained a third member to a new one (see `matrix_private`)."""
        person = self.private.partner(room.room_id)
        if private.breaks_privacy(partner=person, bot=self.user_id, newcomer=event.state_key,
                                  membership=event.membership) and room.room_id not in self._moving:
            self._moving.add(room.room_id)
            self._spawn(self._move_private(room.room_id, person), "matrix-move-private")
        if event.membership in ("leave", "ban") and event.state_key != self.user_id and room.member_count <= 1 \
                and self.user_id in room.users:
            self._spawn(self._leave(room.room_id), "matrix-leave")

    async def _move_private(self, old_room: str, person: str) -> None:
        """Open a new encrypted direct chat with `person` and say in the old room why."""
        client = self.client
        assert client is not None
        try:
            response = await client.room_create(
                is_direct=True, invite=[person], preset=nio.RoomPreset.trusted_private_chat,
                initial_state=[{"type": "m.room.encryption", "state_key": "",
                                "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
            if not isinstance(response, nio.RoomCreateResponse):
                log.warning("could not open a new direct chat after %s lost its privacy: %s", old_room, response)
                return
            self.private.move(old_room, response.room_id)
            log.info("%s is no longer private; personal messages go to %s", old_room, response.room_id)
            _ = Translator(await self._language_of_user(person)).gettext
            notice = Reply(_("Someone else has joined this chat, so it is no longer private. I will send you "
                             "personal messages (claims, reviews, invitations) in a new direct chat that I have "
                             "just opened with you."))
            with contextlib.suppress(DeliveryError):
                await self._deliver(old_room, notice, key=f"moved:{old_room}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not open a new direct chat after %s lost its privacy (%s)", old_room,
                        type(exc).__name__)
        finally:
            self._moving.discard(old_room)

    async def _leave(self, room_id: str) -> None:
        assert self.client is not None
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            await self.client.room_leave(room_id)

    # --- handling -------------------------------------------------------------------------------------------
    def _enqueue(self, room_id: str, job: Job) -> None:
        """Queue a job behind the room's earlier ones; the sync position waits for it if it came from a sync."""
        batch = self._current
        if batch is None:
            self.rooms.enqueue(room_id, job)
            return
        batch.pending += 1
        self.rooms.enqueue(room_id, job, lambda: self.position.done(batch))

    async def _handle(self, room_id: str, event: nio.RoomMessage) -> None:
        assert self.client is not None and self.app is not None
        room = self.client.rooms.get(room_id)
        if room is None:
            return
        translated = await self._translate(room, event)
        if translated is None:
            return
        incoming, relation = translated
        attempt = 0
        while True:
            try:
                answer = await self.app.answer(incoming)
                break
            except DatabaseUnavailable:
                # Not stored: the event waits (its room's later ones behind it) and the sync position with it.
                if self._stopping.is_set():
                    self.position.frozen = True
                    return
                attempt += 1
                if attempt == 1 and room_id not in self._told_to_wait:
                    self._told_to_wait.add(room_id)
                    await self._tell_to_wait(room_id, incoming)
                await self._pause(min(5.0, 0.25 * 2 ** min(attempt, 10)))
        self._told_to_wait.discard(room_id)
        await self._answer(room_id, incoming, answer.replies, relation, answer)

    async def _tell_to_wait(self, room_id: str, incoming: IncomingMessage) -> None:
        """Once per room and outage: the answer comes a little later, no need to send the message again."""
        language = normalise_language(incoming.language, self.config.bot.default_language)
        text = Translator(language)("I can't be reached for a moment; I'll answer you shortly.")
        try:
            await self._deliver(room_id, Reply(text), key=f"wait:{incoming.event_id}")
        except DeliveryError as exc:
            log.info("could not send the waiting notice: %s", exc)

    def is_direct(self, room: nio.MatrixRoom) -> bool:
        return room.member_count <= 2 and not room.is_named

    async def _translate(self, room: nio.MatrixRoom, event: nio.RoomMessage) -> tuple[IncomingMessage, dict | None] | None:
        assert self.app is not None
        content = event.source.get("content", {})
        relates = content.get("m.relates_to")
        relates = relates if isinstance(relates, dict) else {}
        if relates.get("rel_type") == "m.replace":
            return None
        in_reply_to = relates.get("m.in_reply_to")
        reply_to = in_reply_to.get("event_id") if isinstance(in_reply_to, dict) else None
        direct = self.is_direct(room)
        if direct:
            self.private.note_direct(room.room_id, event.sender)
        attachment = None
        if isinstance(event, nio.RoomMessageText):
            text = mtext.strip_reply_fallback(event.body) if reply_to else event.body
        else:
            # Since Matrix 1.10 a file's body is a caption when a separate filename is given.
            filename = content.get("filename")
            text = event.body if filename and filename != event.body else ""
            attachment = media.attachment(content, self.max_file_bytes, lambda: self.client)
            if attachment is None:
                return None

        def known(name: str) -> bool:
            return name.lower() in self._commands()

        command = mtext.command_text(text, known)
        if command is not None:
            text = command
        else:
            names = [self._display_name, room.user_name(self.user_id) or "", self.user_id[1:].split(":")[0]]
            addressed = mtext.mention_free(text, content, self.user_id, names)
            if addressed is not None:
                text = mtext.command_text(addressed, known) or addressed
            elif not direct and not (reply_to and await self._is_own(room.room_id, reply_to)):
                return None
        incoming = IncomingMessage(
            platform=self.name, chat_id=room.room_id, sender_id=event.sender, text=text, language=None,
            is_group=not direct, attachment=attachment, message_id=event.event_id, event_id=event.event_id,
        )
        if relates.get("rel_type") == "m.thread" and relates.get("event_id"):
            relation = {"rel_type": "m.thread", "event_id": relates["event_id"], "is_falling_back": True,
                        "m.in_reply_to": {"event_id": event.event_id}}
        elif not direct:
            relation = {"m.in_reply_to": {"event_id": event.event_id}}
        else:
            relation = None
        return incoming, relation

    async def _is_own(self, room_id: str, event_id: str) -> bool:
        if event_id in self._sent:
            return True
        assert self.client is not None
        try:
            response = await self.client.room_get_event(room_id, event_id)
        except (aiohttp.ClientError, TimeoutError):
            return False
        return isinstance(response, nio.RoomGetEventResponse) and response.event.sender == self.user_id

    # --- replies out -----------------------------------------------------------------------------------------
    async def _answer(self, room_id: str, incoming: IncomingMessage, replies: list[Reply],
                      relation: dict | None, answer: Answer | None = None) -> None:
        """Answer at once; what cannot be sent now goes to the outbox, which retries and honours rate limits.

        With an `answer` the replies are outbox rows already, leased to this process: each is marked as it goes
        out, and what cannot go out now is left to the outbox worker (as after a crash, when the lease ends)."""
        leased = answer is not None and len(answer.rows) == len(replies)
        mentions = {"user_ids": [incoming.sender_id]} if incoming.is_group else None
        in_thread = relation is not None and relation.get("rel_type") == "m.thread"
        for index, reply in enumerate(replies):
            first = index == 0
            try:
                await self._deliver(room_id, reply, key=f"reply:{incoming.event_id}:{index}",
                                    relation=relation if first or in_thread else None,
                                    mentions=mentions if first else None)
            except PermanentDeliveryError as exc:
                log.warning("cannot answer in %s: %s", room_id, exc)
                if leased:
                    await answer.failed(index, type(exc).__name__, rest=True)
                return
            except DeliveryError as exc:
                if leased:
                    delay = exc.seconds if isinstance(exc, RetryLater) else 1.0
                    await answer.defer(index, delay=delay, reason=type(exc).__name__)
                else:
                    await self._defer(room_id, replies[index:], exc)
                return
            if leased:
                await answer.sent(index)

    async def _defer(self, room_id: str, replies: list[Reply], error: DeliveryError) -> None:
        assert self.app is not None
        delay = error.seconds if isinstance(error, RetryLater) else 1.0
        await self.app.defer(self.name, room_id, replies, delay=delay, reason=type(error).__name__)

    async def send(self, chat_id: str, reply: Reply, *, idempotency_key: str | None = None) -> str:
        """Pushes from the outbox; one meant for a direct chat that is no longer private goes to its successor."""
        chat_id = self.private.target(chat_id)
        person = self.private.partner(chat_id)
        room = self.client.rooms.get(chat_id) if self.client is not None else None
        if person is not None and room is not None and room.member_count > 2:
            if chat_id not in self._moving:
                self._moving.add(chat_id)
                self._spawn(self._move_private(chat_id, person), "matrix-move-private")
            raise DeliveryError("this direct chat is no longer private; opening a new one")
        return await self._deliver(chat_id, reply, key=idempotency_key)

    async def _deliver(self, room_id: str, reply: Reply, *, key: str | None, relation: dict | None = None,
                       mentions: dict | None = None) -> str:
        client = self.client
        if client is None:
            raise DeliveryError("Matrix is not connected")
        room = client.rooms.get(room_id)
        if room is None:
            if self.ready.is_set():
                raise PermanentDeliveryError("the bot is not in this room")
            raise DeliveryError("rooms are not known yet")
        if room.member_count <= 1:
            raise PermanentDeliveryError("nobody else is in this room")
        event_id = ""
        if reply.text or reply.buttons:
            content = mtext.text_content(reply, hint=await self._hint(room, reply), commands=self._commands())
            content["m.mentions"] = mentions or {}
            if relation:
                content["m.relates_to"] = relation
                relation = None
            event_id = await self._room_send(room, content, transaction_id(key, room_id, reply, "t"))
        if reply.file is not None:
            content = await self._file_content(room, reply.file)
            if relation:
                content["m.relates_to"] = relation
            event_id = await self._room_send(room, content, transaction_id(key, room_id, reply, "f"))
        return event_id

    async def _within_limits(self, request: Callable[[], Awaitable[nio.Response]]) -> nio.Response:
        """Send through the account's rate limit, waiting as long as the homeserver asks when that is short.

        Waiting here rather than handing every refusal to the outbox keeps a chat's messages in order and spends
        no delivery attempts; a long wait becomes `RetryLater` and the outbox takes over.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 3 * MAX_RATE_WAIT
        while True:
            remaining = self._limited_until - loop.time()
            if remaining > MAX_RATE_WAIT or loop.time() + max(remaining, 0) > deadline:
                raise RetryLater(max(remaining, 1.0))
            if remaining > 0:
                await asyncio.sleep(remaining)
            try:
                response = await request()
            except (aiohttp.ClientError, TimeoutError, OSError, nio.SendRetryError, nio.LocalProtocolError) as exc:
                raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
            if not isinstance(response, nio.ErrorResponse):
                return response
            error = delivery_error(response)
            if not isinstance(error, RetryLater):
                raise error
            if self.app is not None:
                self.app.metrics.platform_error(self.name, "rate_limited")
            self._limited_until = max(self._limited_until, loop.time() + error.seconds)

    async def _room_send(self, room: nio.MatrixRoom, content: dict, tx_id: str | None) -> str:
        assert self.client is not None
        client = self.client
        response = await self._within_limits(lambda: client.room_send(
            room.room_id, "m.room.message", content, tx_id=tx_id, ignore_unverified_devices=True))
        if not isinstance(response, nio.RoomSendResponse):
            raise DeliveryError(f"unexpected answer {type(response).__name__}")
        self._sent[response.event_id] = None
        while len(self._sent) > SENT_MEMORY:
            self._sent.popitem(last=False)
        return response.event_id

    async def _file_content(self, room: nio.MatrixRoom, file: OutgoingFile) -> dict:
        """Upload, encrypted for encrypted rooms (the server then only ever sees ciphertext)."""
        assert self.client is not None
        client = self.client
        keys: dict | None = None

        async def upload() -> nio.Response:
            nonlocal keys
            response, keys = await client.upload(
                lambda _limited, _timeouts: file.data, content_type=file.mime_type, filename=file.filename,
                encrypt=room.encrypted, filesize=len(file.data),
            )
            return response

        response = await self._within_limits(upload)
        if not isinstance(response, nio.UploadResponse):
            raise DeliveryError(f"unexpected answer {type(response).__name__}")
        content: dict = {
            "msgtype": "m.image" if file.mime_type.startswith("image/") else "m.file",
            "body": file.filename,
            "filename": file.filename,
            "info": {"mimetype": file.mime_type, "size": len(file.data)},
            "m.mentions": {},
        }
        if keys is not None:
            content["file"] = {"url": response.content_uri, "mimetype": file.mime_type, **{
                k: keys[k] for k in ("v", "key", "iv", "hashes")}}
        else:
            content["url"] = response.content_uri
        return content

    def _commands(self) -> list[str]:
        return [n for c in self.app.commands() for n in c.names] if self.app is not None else []

    async def _hint(self, room: nio.MatrixRoom, reply: Reply) -> str | None:
        if not mtext.numbered(reply):
            return None
        direct = self.is_direct(room)
        language = await self._language_of_chat(room.room_id) if direct else self.config.bot.default_language
        _ = Translator(language).gettext
        if direct:
            return _("Reply with the number of your choice.")
        return _("Reply to this message with the number of your choice.")

    async def _language_of_chat(self, room_id: str) -> str:
        if self.app is None:
            return self.config.bot.default_language
        return await self.app.language_of(self.name, chat_id=room_id)

    async def _language_of_user(self, user_id: str) -> str:
        if self.app is None:
            return self.config.bot.default_language
        return await self.app.language_of(self.name, sender_id=user_id)
