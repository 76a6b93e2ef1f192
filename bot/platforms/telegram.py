"""The Telegram adapter, on python-telegram-bot, sharing the bot's one asyncio loop.

PTB's Application is driven by hand (initialize, start, and back) instead of `run_polling`, which would own the
loop. Updates come in through the bot's own getUpdates loop (`telegram_polling`) or webhook listener
(`telegram_webhook`) rather than PTB's updater: both confirm an update to Telegram only once it is handled and its
replies are stored, so a crash loses no message. It keeps no state of its own: no persistence, no JobQueue, no conversation handlers; dialogs,
buttons and pushes live in the database, so a restart in the middle of a conversation loses nothing.

Replies to an update are sent at once, retried for a while on 429, network errors and 5xx, and handed to the
outbox if they still cannot go out, so that no answer is dropped. Pushes come from the outbox worker through
`send`, which reports failures as the outbox's errors instead of retrying by itself.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeDefault,
    CallbackQuery,
    Update,
)
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.config import Config
from bot.i18n import LANGUAGES, Translator, normalise_language
from bot.messages import ButtonPress, Event, Reply
from bot.platforms import telegram_inbound as inbound
from bot.platforms.base import DatabaseUnavailable, DeliveryError
from bot.platforms.telegram_flood import FloodControl, retry_seconds
from bot.platforms.telegram_polling import Poller
from bot.platforms.telegram_send import Sender, as_delivery_error, is_transient
from bot.platforms.telegram_webhook import WebhookServer

if TYPE_CHECKING:
    from bot.core.leases import Answer
    from bot.platforms.base import Core

log = logging.getLogger(__name__)

CONCURRENT_CHATS = 16
"""Chats handled at the same time; each holds a database connection while its handler runs."""
REPLY_RETRIES = 4
REPLY_MAX_WAIT = 10.0
"""A reply that would wait longer than this for its turn (a flooded group) goes through the outbox instead."""
PUSH_MAX_WAIT = 2.0
"""The outbox worker sends one row after another; it does not wait long for one, it reschedules it."""
START_ATTEMPTS = 5
UPDATES = ["message", "callback_query"]
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


class TelegramAdapter:
    name = inbound.PLATFORM
    native_buttons = True

    def __init__(self, config: Config):
        self.config = config
        self.settings = config.telegram
        self.rate_per_second = self.settings.rate_per_second
        self.username = self.settings.bot_username
        self.bot_id = 0
        self.max_file_bytes = self.settings.max_file_mb * 1024 * 1024
        self.flood = FloodControl(self.settings.rate_per_second, self.settings.group_rate_per_minute)
        self.app: Core | None = None
        self.application: Application | None = None
        self.sender: Sender | None = None
        self._handling: asyncio.Semaphore | None = None
        self.processor = inbound.ChatOrderedProcessor(CONCURRENT_CHATS)
        self.poller: Poller | None = None
        self._poll_task: asyncio.Task | None = None
        self.webhook: WebhookServer | None = None
        self._told_to_wait: set[int] = set()
        """Chats told during this database outage that their answer comes a little later."""

    # --- lifecycle -------------------------------------------------------------------------------------------
    def build(self) -> Application:
        s = self.settings
        builder = (
            ApplicationBuilder()
            .token(s.token)
            .rate_limiter(self.flood)
            .concurrent_updates(self.processor)
            .job_queue(None)
            .connect_timeout(10)
            .read_timeout(15)
            .write_timeout(15)
            .pool_timeout(10)
        )
        if s.api_base_url:
            builder = builder.base_url(s.api_base_url)
            file_url = s.file_base_url or re.sub(r"/bot$", "/file/bot", s.api_base_url.rstrip("/"))
            builder = builder.base_file_url(file_url)
        elif s.file_base_url:
            builder = builder.base_file_url(s.file_base_url)
        application = builder.build()
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        return application

    async def start(self, app: Core) -> None:
        self.app = app
        self.application = application = self.build()
        await self._initialize(application)
        bot = application.bot
        self.username = bot.username or self.username
        self.bot_id = bot.id
        self.sender = Sender(bot)
        # SQLite admits one writer at a time and makes the others retry with growing sleeps; one update at a
        # time through the core is faster there than many contending (sending still overlaps).
        self._handling = asyncio.Semaphore(1 if app.serial else CONCURRENT_CHATS)
        app.set_bot_username(self.name, self.username)
        await self.publish_commands()
        await application.start()
        s = self.settings
        if s.mode == "webhook":
            # Our own listener: PTB's answers 200 before the update is handled.
            self.webhook = WebhookServer(bot, self._process_once, self.processor, listen=s.webhook_listen,
                                         port=s.webhook_port, path=s.webhook_path, secret=s.webhook_secret)
            await self.webhook.start()
            await bot.set_webhook(s.webhook_url, secret_token=s.webhook_secret, allowed_updates=UPDATES)
        else:
            # Our own getUpdates loop: PTB's updater would confirm updates before they are handled.
            await bot.delete_webhook()
            self.poller = Poller(bot, self._process, self.processor, allowed_updates=UPDATES)
            self._poll_task = asyncio.create_task(self.poller.run(), name="telegram-polling")
        log.info("Telegram: @%s is listening (%s)", self.username, s.mode)

    async def _initialize(self, application: Application) -> None:
        """getMe with a few retries: a bot starting while the network comes up should not give up at once."""
        for attempt in range(START_ATTEMPTS):
            try:
                await application.initialize()
                return
            except InvalidToken:
                raise
            except NetworkError as exc:
                if attempt == START_ATTEMPTS - 1:
                    raise
                log.warning("Telegram is not reachable (%s); trying again", exc.message)
                await asyncio.sleep(2**attempt)

    async def stop(self) -> None:
        """Stop fetching, finish the updates already fetched (their replies go out), then close."""
        application = self.application
        if application is None:
            return
        if self._poll_task is not None and self.poller is not None:
            self._poll_task.cancel()
            await asyncio.gather(self._poll_task, return_exceptions=True)
            await self.poller.stop()
            self._poll_task = self.poller = None
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        self.application = None
        self.sender = None

    def private_link(self, payload: str = "") -> str | None:
        if not self.username:
            return None
        link = f"https://t.me/{self.username}"
        return f"{link}?start={quote(payload, safe='')}" if payload else link

    # --- the command menu ------------------------------------------------------------------------------------
    def menu(self, language: str, *, groups: bool = False) -> list[BotCommand]:
        """The menu in German (German command names) or English (English aliases); in groups without the
        commands that only answer in a private chat."""
        assert self.app is not None
        t = Translator(language)
        found = []
        for command in self.app.commands():
            if not command.in_menu or not command.description or (groups and command.private_only):
                continue
            name = command.name if language == "de" else command.english
            if COMMAND_NAME.fullmatch(name):
                found.append(BotCommand(name, t(command.description)[:256]))
        return found[:100]

    async def publish_commands(self) -> None:
        assert self.application is not None
        bot = self.application.bot
        try:
            for scope, groups in ((BotCommandScopeDefault(), False), (BotCommandScopeAllGroupChats(), True)):
                await bot.set_my_commands(self.menu("de", groups=groups), scope=scope)
                # Command names stay Latin (Telegram allows only a-z, 0-9 and _); the descriptions speak the
                # language of the person's Telegram app.
                for language in LANGUAGES:
                    await bot.set_my_commands(self.menu(language, groups=groups), scope=scope,
                                              language_code=language)
        except TelegramError as exc:
            # The menu is a convenience; the bot answers typed commands without it.
            log.warning("could not set the Telegram command menu: %s", exc.message)

    # --- incoming --------------------------------------------------------------------------------------------
    async def _process(self, update: Update) -> None:
        """Handle one update until it is handled: while the database is away it waits (unconfirmed, its chat's
        later updates behind it) and is tried again; the person is told once that the answer comes shortly."""
        attempt = 0
        while True:
            try:
                await self._on_update(update, None)  # type: ignore[arg-type]
            except DatabaseUnavailable:
                attempt += 1
                if attempt == 1:
                    await self._tell_to_wait(update)
                await asyncio.sleep(min(5.0, 0.25 * 2 ** min(attempt, 10)))
                continue
            if update.effective_chat is not None:
                self._told_to_wait.discard(update.effective_chat.id)
            return

    async def _process_once(self, update: Update) -> None:
        """For the webhook: while the database is away the update is refused (Telegram sends it again later),
        and the person is told once that the answer comes shortly."""
        try:
            await self._on_update(update, None)  # type: ignore[arg-type]
        except DatabaseUnavailable:
            await self._tell_to_wait(update)
            raise
        if update.effective_chat is not None:
            self._told_to_wait.discard(update.effective_chat.id)

    async def _tell_to_wait(self, update: Update) -> None:
        chat, person = update.effective_chat, update.effective_user
        if chat is None or person is None or chat.id in self._told_to_wait:
            return
        self._told_to_wait.add(chat.id)
        _ = Translator(normalise_language(person.language_code, self.config.bot.default_language)).gettext
        text = _("I can't be reached for a moment; I'll answer you shortly.")
        assert self.sender is not None
        try:
            await self.sender.deliver(chat.id, Reply(text), retries=1, max_wait=REPLY_MAX_WAIT)
        except TelegramError as exc:
            log.info("could not send the waiting notice: %s", exc.message)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await self._on_press(update, update.callback_query)
        elif update.message is not None:
            await self._on_message(update)

    async def _on_message(self, update: Update) -> None:
        assert self.app is not None and self.application is not None
        message = update.message
        assert message is not None
        sender = message.from_user
        if sender is None or sender.is_bot:
            return
        group = inbound.is_group(message)
        if group and not inbound.addressed_to_bot(message, self.bot_id, self.username):
            return
        attachment = None if group else inbound.attachment_of(message, self.application.bot, self.max_file_bytes)
        if not (message.text or message.caption) and attachment is None:
            if not group and inbound.unreadable(message):
                await self._cannot_read(message.chat.id, str(sender.id), sender.language_code)
            return
        event = inbound.message_event(update, message, attachment)
        await self.respond(event, await self.take(event))

    async def _on_press(self, update: Update, query: CallbackQuery) -> None:
        assert self.app is not None
        # Answering stops the spinner on the button; it runs alongside the handler, and always happens.
        answered = asyncio.create_task(self._answer(query))
        try:
            event = inbound.press_event(update)
            if event is not None:
                await self.respond(event, await self.take(event))
        finally:
            await answered

    async def handle(self, event: Event) -> list[Reply]:
        assert self.app is not None and self._handling is not None
        async with self._handling:
            return await self.app.handle(event)

    async def take(self, event: Event) -> Answer:
        """Handle an event, its replies stored (leased to this process) in the same transaction."""
        assert self.app is not None and self._handling is not None
        async with self._handling:
            return await self.app.answer(event)

    async def _answer(self, query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as exc:
            log.info("could not answer a button press: %s", exc.message)

    async def _cannot_read(self, chat_id: int, sender_id: str, language_code: str | None) -> None:
        assert self.app is not None
        language = await self.app.language_of(
            self.name, sender_id=sender_id, fallback=normalise_language(language_code, self.config.bot.default_language))
        _ = Translator(language).gettext
        text = _("I can read text, photos and documents (such as PDF), but not this kind of message. "
                 "Please write your question, or send /help.")
        await self.respond_to(chat_id, [Reply(text)], sender_id=sender_id)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The update itself holds personal data: log only that and where it failed.
        log.error("handling a Telegram update failed", exc_info=context.error)

    # --- replies ---------------------------------------------------------------------------------------------
    async def respond(self, event: Event, answer: Answer) -> None:
        edit_of = int(event.message_id) if isinstance(event, ButtonPress) and event.message_id else None
        await self.respond_to(int(event.chat_id), answer.replies, sender_id=event.sender_id, edit_of=edit_of,
                              private=not event.is_group, answer=answer)

    async def respond_to(
        self, chat_id: int, replies: list[Reply], *, sender_id: str, edit_of: int | None = None,
        private: bool = True, answer: Answer | None = None,
    ) -> None:
        """Send replies in order; what cannot go out now goes to the outbox, so it is delivered later.

        With an `answer` the replies are outbox rows already (leased to this process): each is marked as it goes
        out, and what cannot go out is handed to the outbox worker; a crash before that leaves them to the
        worker too, once their lease runs out."""
        assert self.sender is not None and self.app is not None
        leased = answer is not None and len(answer.rows) == len(replies)
        for index, reply in enumerate(replies):
            target = edit_of if reply.edit else None
            try:
                await self.sender.deliver(chat_id, reply, edit_message_id=target, retries=REPLY_RETRIES,
                                          max_wait=REPLY_MAX_WAIT)
            except Forbidden:
                log.info("a Telegram user has blocked the bot; the reply was not sent")
                if leased:
                    await answer.failed(index, "Forbidden", rest=True)
                return
            except TelegramError as exc:
                if not is_transient(exc):
                    log.error("Telegram refused a reply: %s", exc.message)
                    if leased:
                        await answer.failed(index, type(exc).__name__)
                    continue
                self.app.metrics.platform_error(self.name, "queued_reply")
                delay = retry_seconds(exc) if isinstance(exc, RetryAfter) else 1.0
                if leased:
                    log.warning("Telegram is not taking replies right now; %d left to the outbox",
                                len(replies) - index)
                    await answer.defer(index, delay=delay, reason="RetryAfter")
                else:
                    await self._to_outbox(chat_id, replies[index:], sender_id, delay, private)
                return
            if leased:
                await answer.sent(index)
            if target is not None:
                edit_of = None

    async def _to_outbox(
        self, chat_id: int, replies: list[Reply], sender_id: str, delay: float, private: bool
    ) -> None:
        assert self.app is not None
        log.warning("Telegram is not taking replies right now; %d queued in the outbox", len(replies))
        await self.app.defer(self.name, str(chat_id), replies, delay=delay, reason="RetryAfter",
                             sender_id=sender_id if private else None)

    async def send(self, chat_id: str, reply: Reply, *, idempotency_key: str | None = None) -> str:
        """For the outbox worker. Telegram has no idempotency key: a timeout after Telegram took the message
        can lead to the message arriving twice, which beats it never arriving."""
        if self.sender is None:
            raise DeliveryError("Telegram is not running")
        try:
            return await self.sender.deliver(int(chat_id), reply, retries=0, max_wait=PUSH_MAX_WAIT)
        except TelegramError as exc:
            raise as_delivery_error(exc) from exc
