"""The core: turns an event into replies, and runs adapters and workers on one asyncio loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import http, language_guess, users
from bot.config import Config
from bot.core import buttons, dialogs, outbox, understood
from bot.core.context import Context, Text
from bot.core.features import Feature, Job
from bot.core.leases import Answer, Leases
from bot.core.outage import DatabaseUnavailable, Outage, is_outage
from bot.core.outbox import DeliveryWorker, QuietHours
from bot.core.ratelimit import UserLimits
from bot.core.router import Command, Router, parse_command
from bot.i18n import LANGUAGES, Translator
from bot.messages import ButtonPress, Event, IncomingMessage, Reply
from bot.metrics import Metrics
from bot.roles import Superadmins
from bot.storage.db import Database
from bot.storage.models import DialogState, SeenEvent, User
from bot.timeutil import now

if TYPE_CHECKING:
    from bot.core.features import Eraser, PrivacySection, Retention, Route
    from bot.platforms.base import Adapter
    from bot.services import Services

log = logging.getLogger(__name__)

BackgroundJob = Job

CANCEL_WORDS = frozenset({"abbrechen", "abbruch", "stopp", "stop", "cancel"})
"""Typed without the slash in the middle of a dialog, these still cancel it: the question asked is never one they
would answer."""

WAITING_LIMIT = 10_000

# How long a stop waits for the sends in flight; compose.yaml's stop_grace_period must leave more than this.
STOP_TIMEOUT_SECONDS = 10


class App:
    def __init__(
        self,
        config: Config,
        db: Database,
        router: Router,
        services: Services,
        *,
        superadmins: Superadmins | None = None,
        quiet_hours: QuietHours | None = None,
    ):
        self.config = config
        self.db = db
        self.router = router
        self.services = services
        self.superadmins = superadmins or superadmins_from(config)
        self.quiet_hours = quiet_hours
        """Holds back outbox rows queued with `quiet_hours=True` until the recipient's morning."""
        self.adapters: dict[str, Adapter] = {}
        self.workers: dict[str, DeliveryWorker] = {}
        self.in_flight = outbox.InFlight()
        """Outgoing messages not yet booked, per chat: a message from that chat waits for them."""
        self.metrics = Metrics()
        self.outage = Outage(self.metrics.database_down)
        """Whether the database is reachable, as the loops last found it (one log line per change)."""
        self.leases = Leases(self)
        self.jobs: list[BackgroundJob] = []
        self.on_start: list[BackgroundJob] = []
        """One-off tasks before the platforms start (e.g. loading the shipped directory on first start)."""
        self.routes: list[Route] = []
        self.privacy_sections: list[PrivacySection] = []
        self.erasers: list[Eraser] = []
        self.retention: list[Retention] = []
        """The features' privacy hooks, run by bot/privacy.py (export, /loeschen, the daily retention job)."""
        self._worker_tasks: list[asyncio.Task] = []
        self._job_tasks: list[asyncio.Task] = []
        self._lease_task: asyncio.Task | None = None
        self._waiting: set[tuple[str, str]] = set()
        """Events that met a database outage and will be tried again."""
        self.bot_usernames: dict[str, str] = {}
        self.limits = UserLimits(config.bot.user_messages_per_minute, config.bot.default_language,
                                 self.metrics.registry)
        db.after_commit.append(self._committed)

    def add_feature(self, feature: Feature) -> None:
        self.jobs.extend(feature.jobs)
        self.on_start.extend(feature.on_start)
        if feature.routes and not self.routes and self.config.bot.http_port:
            self.jobs.append(http.serve)
        self.routes.extend(feature.routes)
        self.privacy_sections.extend(feature.privacy_sections)
        self.erasers.extend(feature.erase)
        self.retention.extend(feature.retention)

    def _committed(self, info: dict) -> None:
        if info.pop(outbox.QUEUED, False):
            self.wake_workers()

    # --- what adapters may ask (bot.platforms.base.Core) ----------------------------------------------------
    @property
    def serial(self) -> bool:
        return self.db.is_sqlite

    def within_rate_limit(self, platform: str, sender_id: str) -> bool:
        return self.limits.windows["message"].hit((platform, sender_id)) == "ok"

    def commands(self) -> list[Command]:
        return list(self.router.ordered)

    def set_bot_username(self, platform: str, username: str) -> None:
        self.bot_usernames[platform] = username

    async def defer(self, platform: str, chat_id: str, replies: Sequence[Reply], *, delay: float, reason: str,
                    sender_id: str | None = None) -> None:
        async with self.db.session() as session:
            user = await users.find(session, platform, sender_id) if sender_id is not None else None
            for reply in replies:
                await outbox.enqueue(
                    session, platform=platform, chat_id=chat_id, reply=reply,
                    user_id=user.id if user is not None else None, kind="reply",
                    not_before=now() + timedelta(seconds=delay), deferred_by=reason,
                )
            await session.commit()

    async def language_of(self, platform: str, *, sender_id: str | None = None, chat_id: str | None = None,
                          fallback: str | None = None) -> str:
        default = fallback or self.config.bot.default_language
        try:
            async with self.db.session() as session:
                if sender_id is not None:
                    user = await users.find(session, platform, sender_id)
                    language = user.language if user is not None else None
                else:
                    language = await session.scalar(select(User.language).where(
                        User.platform == platform, User.dm_chat_id == chat_id).limit(1))
        except Exception as exc:
            if is_outage(exc):
                self.outage.failed("reading a language")
            else:
                log.exception("could not read the user's language")
            return default
        return language or default

    async def settle(self, platform: str, within: float) -> None:
        worker = self.workers.get(platform)
        if worker is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            async with self.db.session() as session:
                due = await outbox.due_count(session, platform)
            if not due:
                return
            worker.wake()
            await asyncio.sleep(0.05)

    # --- handling --------------------------------------------------------------------------------------------
    async def handle(self, event: Event) -> list[Reply]:
        """Handle one event in one transaction; the replies are for the chat the event came from."""
        try:
            return (await self._handle(event, lease=False)).replies
        except DatabaseUnavailable:
            t = Translator(self.config.bot.default_language)
            return [Reply(t("Sorry, something went wrong on my side. Nothing was changed. Please try again."))]

    async def answer(self, event: Event) -> Answer:
        """Handle one event in one transaction that also stores its replies as outbox rows leased to this
        process: once this returns, the event may be confirmed to its platform, since a crash before the replies
        are out only delays them. Raises `DatabaseUnavailable` when the database cannot be reached (nothing was
        stored: the event is to be handled again later)."""
        return await self._handle(event, lease=True)

    async def _handle(self, event: Event, *, lease: bool) -> Answer:
        kind = "button" if isinstance(event, ButtonPress) else "message"
        key = (event.platform, event.event_id)
        # An event tried again after an outage was counted against its sender's limit the first time.
        limited = None if event.event_id and key in self._waiting else self.limits.check(event)
        if limited is not None:
            return Answer(limited)
        if isinstance(event, IncomingMessage):
            await self.in_flight.settled(event.platform, event.chat_id)
        rows: list[int] = []
        first_language = self._first_language(event)
        async with self.db.session() as session:
            try:
                if event.event_id and not await self._first_time(session, event):
                    return Answer([])
                user = await users.get_or_create(
                    session,
                    event.platform,
                    event.sender_id,
                    language=event.language,
                    default_language=self.config.bot.default_language,
                    dm_chat_id=None if event.is_group else event.chat_id,
                    first_language=first_language,
                )
                ctx = Context(self, session, user, event)
                if isinstance(event, IncomingMessage):
                    token = None
                    adapter = self.adapters.get(event.platform)
                    numbered = not (adapter and adapter.native_buttons)
                    # A typed label is read as a tap only in private chats: in a group, "ja" is usually talk.
                    if event.text and event.attachment is None and (numbered or not event.is_group):
                        token = await buttons.menu_choice(session, event.platform, event.chat_id, event.text,
                                                          numbers=numbered, labels=not event.is_group)
                    if token is not None:
                        await self._dispatch_button(ctx, token)
                    elif numbered and await understood.menu_again(ctx, number_only=True):
                        pass  # a number that is not on the menu: the menu again, nothing else
                    else:
                        await self._dispatch_message(ctx)
                else:
                    await self._dispatch_button(ctx, event.token)
                await self._remember_menus(session, event, ctx.replies, keep=ctx.keeps_choices)
                if lease and ctx.replies:
                    rows = await outbox.lease_replies(session, event.platform, event.chat_id, ctx.replies)
                await session.commit()
            except Exception as exc:
                if is_outage(exc):
                    self.outage.failed("handling a message")
                    if event.event_id and len(self._waiting) < WAITING_LIMIT:
                        self._waiting.add(key)
                    raise DatabaseUnavailable() from exc
                await session.rollback()
                self.metrics.handled(event.platform, kind)
                self.metrics.handler_errors.inc()
                # The message text is personal data: log only what kind of event failed where.
                log.exception("handler failed for a %s on %s", kind, event.platform)
                t = Translator(await self.language_of(event.platform, sender_id=event.sender_id))
                return Answer([Reply(t("Sorry, something went wrong on my side. Nothing was changed. "
                                       "Please try again."))])
        self.outage.ok()
        self._waiting.discard(key)
        self.metrics.handled(event.platform, kind)
        self.metrics.replied(event.platform, len(ctx.replies))
        self.leases.hold(rows)
        return Answer(ctx.replies, rows, self)

    async def _first_time(self, session: AsyncSession, event: Event) -> bool:
        session.add(SeenEvent(platform=event.platform, event_id=event.event_id))
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            return False
        return True

    async def _dispatch_message(self, ctx: Context) -> None:
        _ = ctx._
        event = ctx.event
        text = event.text.strip()
        limit = self.config.bot.max_text_length
        if len(text) > limit:
            ctx.reply(_("That message is too long for me (at most {limit} characters). Please send it shorter.",
                        limit=limit))
            return
        state = await self._open_dialog(ctx, this_chat_only=True)
        ctx.dialog = state
        parsed = parse_command(text, self.bot_usernames.get(event.platform, ""))
        if parsed is None and state is not None and text.casefold().strip(" .!") in CANCEL_WORDS:
            parsed = ("abbrechen", "")
        if parsed is not None:
            name, args = parsed
            command = self.router.find_command(name)
            if command is None:
                ctx.reply(_("I don't know the command /{name}. Send /help for what I can do.", name=name))
                return
            suspended = None
            if state is not None and not command.keeps_dialog:
                suspended = understood.Suspended.of(state)  # runs beside it, then offers to go on with it
                ctx.dialog = None
            if command.private_only and ctx.is_group:
                await self.point_to_private(ctx)
                return
            ctx.args = args
            await command.fn(ctx, args)
            if suspended is not None:
                await understood.offer_to_continue(ctx, suspended)
            return
        if state is not None:
            handler = self.router.dialogs.get(state.name)
            if handler is not None:
                await handler(ctx)
                return
            await dialogs.end(ctx.session, ctx.user)
            ctx.dialog = None
        if not text and event.attachment is not None:
            ctx.reply(_("Thanks for the file. I only need files inside a dialog, e.g. for a travel-cost claim "
                        "(/claim)."))
            return
        if not text:
            return
        for intent in self.router.intents:
            if await intent.fn(ctx):
                return
        if not ctx.is_group and await understood.dispatch(ctx, self.router.understood):
            return
        if ctx.is_group or await understood.menu_again(ctx):
            return
        ctx.reply(_("Sorry, I did not understand that. Send /help to see what I can do."))

    async def _dispatch_button(self, ctx: Context, token: str) -> None:
        _ = ctx._
        found = await buttons.resolve(ctx.session, token, ctx.user)
        if found.status is buttons.Lookup.UNKNOWN:
            ctx.reply(_("This button is not valid (any more). Nothing was done. Send /help to start again."))
            return
        if found.status is buttons.Lookup.NOT_YOURS:
            ctx.reply(_("This button belongs to someone else. Nothing was done."))
            return
        if found.status in (buttons.Lookup.EXPIRED, buttons.Lookup.USED):
            ctx.reply(_("This button has expired or was already used. Nothing was done."))
            return
        row = found.token
        handler = self.router.buttons.get(row.action)
        if handler is None:
            ctx.reply(_("This button is not valid (any more). Nothing was done. Send /help to start again."))
            return
        ctx.dialog = await self._open_dialog(ctx, this_chat_only=False)
        await handler(ctx, dict(row.payload))

    async def _open_dialog(self, ctx: Context, *, this_chat_only: bool) -> DialogState | None:
        """The person's open dialog. One that has expired is closed and they are told so, whether they typed an
        answer or pressed one of its buttons: a stale answer never moves it on or brings it back silently."""
        state = await dialogs.current(ctx.session, ctx.user)
        if state is None:
            return None
        if this_chat_only and not dialogs.started_in(state, ctx.event.chat_id, ctx.event.is_group):
            return None  # it waits in its own chat; here the message is handled as if there were none
        if dialogs.expired(state):
            await dialogs.end(ctx.session, ctx.user)
            ctx.reply(ctx._("Your previous dialog had expired, so I closed it."))
            return None
        return state

    async def point_to_private(self, ctx: Context) -> None:
        """In a group, personal matters move to the private chat; the group never sees them."""
        from bot.messages import Button

        adapter = self.adapters.get(ctx.platform)
        link = adapter.private_link() if adapter is not None else None
        text = ctx._("Let's talk about this in a private chat, so nothing personal lands in the group.")
        ctx.reply(text, buttons=[[Button(label=ctx._("Open private chat"), url=link)]] if link else None)

    async def _remember_menus(
        self, session: AsyncSession, event: Event, replies: list[Reply], *, keep: bool = False
    ) -> None:
        """A typed number or label answers what the chat shows last: its choices, or nothing once a question came
        without them.

        Otherwise "2" typed as the answer to "How many kilometres?" would press the second button of the menu
        before. A file without choices asks nothing (its text is a caption, like "Receipt for claim #3" after the
        reviewer's choices), so it leaves the menu alone. All these replies go to the event's chat; a push to
        another chat sets that chat's menu when the outbox delivers it.
        """
        adapter = self.adapters.get(event.platform)
        if adapter is not None and adapter.native_buttons and event.is_group:
            return  # buttons are tapped there, and typed labels are not read in groups
        shown = [reply for reply in replies if buttons.menu_choices(reply) or (reply.text and reply.file is None)]
        if not shown:
            return
        if buttons.menu_choices(shown[-1]):
            # every menu of the answer stays answerable, numbered on from one menu to the next
            choices: list[tuple[str, str]] = []
            for reply in replies:
                reply.number_from = len(choices) + 1
                choices += buttons.menu_choices(reply)
            await buttons.remember_menu(session, event.platform, event.chat_id, choices)
        elif not keep:
            await buttons.forget_menu(session, event.platform, event.chat_id)

    async def remember_menu(self, platform: str, chat_id: str, reply: Reply) -> None:
        async with self.db.session() as session:
            await buttons.remember_menu(session, platform, chat_id, buttons.menu_choices(reply))
            await session.commit()

    # --- pushes ----------------------------------------------------------------------------------------------
    async def notify(self, session: AsyncSession, recipient: User, text: Text, **options: Any) -> bool:
        """`Notifier.notify` for services that hold the app (the options are the notifier's)."""
        return await self.services.notifier.notify(session, recipient, text, **options)

    def wake_workers(self) -> None:
        for worker in self.workers.values():
            worker.wake()

    async def users_with_role(self, session: AsyncSession, role: str, place_id: str | None) -> list[User]:
        """Everyone who holds `role` for `place_id` (admins included), for notifications."""
        from bot.roles import covers
        from bot.storage.models import RoleGrant

        rows = await session.execute(
            select(User, RoleGrant).join(RoleGrant, RoleGrant.user_id == User.id).where(RoleGrant.role.in_((role, "admin")))
        )
        found: dict[int, User] = {}
        for user, grant in rows:
            if grant.role == "admin" or covers(grant.scope, place_id):
                found[user.id] = user
        return list(found.values())

    # --- lifecycle -------------------------------------------------------------------------------------------
    def _first_language(self, event: Event) -> str | None:
        """The language of a message on platforms that do not tell it (used only if the sender is new); guessed
        before the transaction starts, so the database is never held up by it."""
        adapter = self.adapters.get(event.platform)
        if isinstance(event, IncomingMessage) and event.text and getattr(adapter, "guesses_language", False):
            return language_guess.guess(event.text, LANGUAGES)
        return None

    def add_adapter(self, adapter: Adapter) -> None:
        self.adapters[adapter.name] = adapter

    async def start(self, *, workers: bool = True) -> None:
        """Start adapters, one delivery worker per adapter and the background jobs, all on this loop."""
        for hook in self.on_start:
            await hook(self)
        for adapter in self.adapters.values():
            await adapter.start(self)
        if workers:
            for name in self.adapters:
                worker = DeliveryWorker(self, name)
                self.workers[name] = worker
                self._worker_tasks.append(asyncio.create_task(worker.run(), name=f"outbox-{name}"))
        self._lease_task = asyncio.create_task(self.leases.run(), name="outbox-leases")
        for job in self.jobs:
            self._job_tasks.append(asyncio.create_task(self._guard(job), name=getattr(job, "__name__", "job")))

    async def _guard(self, job: BackgroundJob) -> None:
        attempt = 0
        while True:
            try:
                await job(self)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_outage(exc):
                    # No traceback per attempt while the database is away: the outage is logged once.
                    self.outage.failed(f"the background job {getattr(job, '__name__', job)}")
                    attempt += 1
                    await asyncio.sleep(max(5.0, self.outage.wait_seconds(attempt)))
                    continue
                log.exception("background job %s failed; restarting it in 5 s", getattr(job, "__name__", job))
                await asyncio.sleep(5)

    async def stop(self) -> None:
        """Stop taking work, let the workers put back what they hold, then close the platforms."""
        for task in self._job_tasks:
            task.cancel()
        await asyncio.gather(*self._job_tasks, return_exceptions=True)

        for worker in self.workers.values():
            worker.stop()
        if self._worker_tasks:
            _done, pending = await asyncio.wait(self._worker_tasks, timeout=STOP_TIMEOUT_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._job_tasks.clear()
        self._worker_tasks.clear()
        self.workers.clear()
        for adapter in list(self.adapters.values()):
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %s did not stop cleanly", adapter.name)
        if self._lease_task is not None:
            self._lease_task.cancel()
            await asyncio.gather(self._lease_task, return_exceptions=True)
            self._lease_task = None
        await self.leases.drain()


def superadmins_from(config: Config) -> Superadmins:
    ids = {("telegram", str(i)) for i in config.admins.telegram} | {("matrix", u) for u in config.admins.matrix}
    return Superadmins(frozenset(ids))
