"""What a handler gets: the user, the event, a database session, translations and ways to answer."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import roles
from bot.core import buttons, dialogs
from bot.core.notifier import ButtonSpec, Text
from bot.i18n import Translator
from bot.messages import Button, Event, IncomingMessage, OutgoingFile, Reply
from bot.storage.models import DialogState, User

if TYPE_CHECKING:
    from bot.core.app import App
    from bot.services import Services

__all__ = ["ButtonSpec", "Context", "Text"]


class Context:
    def __init__(self, app: App, session: AsyncSession, user: User, event: Event):
        self.app = app
        self.session = session
        self.user = user
        self.event = event
        self.replies: list[Reply] = []
        self.t = Translator(user.language)
        self.dialog: DialogState | None = None
        self.args = ""
        self.keeps_choices = False
        """Set by `point_to_choices`: this answer asks nothing new, so the choices shown before stay typeable."""

    @property
    def services(self) -> Services:
        return self.app.services

    # --- the event -------------------------------------------------------------------------------------------
    @property
    def _(self):
        return self.t.gettext

    @property
    def ngettext(self):
        return self.t.ngettext

    @property
    def language(self) -> str:
        return self.t.language

    def set_language(self, language: str) -> None:
        self.user.language = language
        self.user.language_chosen = True
        self.t = Translator(language)

    @property
    def text(self) -> str:
        return self.event.text if isinstance(self.event, IncomingMessage) else ""

    @property
    def attachment(self):
        return self.event.attachment if isinstance(self.event, IncomingMessage) else None

    @property
    def is_group(self) -> bool:
        return self.event.is_group

    @property
    def platform(self) -> str:
        return self.event.platform

    # --- answering -------------------------------------------------------------------------------------------
    def point_to_choices(self, text: str) -> None:
        """Answer input that does not fit with a hint back to the choices on screen, which stay answerable by
        number or label (a plain reply would otherwise end them, as a new question without choices does)."""
        self.keeps_choices = True
        self.reply(text)

    def reply(
        self,
        text: str,
        *,
        buttons: list[list[Button]] | None = None,
        file: OutgoingFile | None = None,
        html: bool = False,
        edit: bool = False,
    ) -> Reply:
        reply = Reply(text=text, buttons=buttons or [], file=file, html=html, edit=edit)
        self.replies.append(reply)
        return reply

    async def button(
        self,
        label: str,
        action: str,
        payload: dict[str, Any] | None = None,
        *,
        single_use: bool = False,
        ttl: timedelta = buttons.DEFAULT_TTL,
        for_user: User | None = None,
    ) -> Button:
        """A button bound to this user (or `for_user`): pressed by anyone else it does nothing."""
        token = await buttons.create(
            self.session, for_user or self.user, action, payload, single_use=single_use, ttl=ttl
        )
        return Button(label=label, token=token)

    # --- permissions -----------------------------------------------------------------------------------------
    async def has_role(self, role: str, place_id: str | None = None, *, anywhere: bool = False) -> bool:
        return await roles.has_role(
            self.session, self.user, role, place_id, superadmins=self.app.superadmins, anywhere=anywhere
        )

    async def require(self, role: str, place_id: str | None = None, *, anywhere: bool = False) -> bool:
        """Check a role and, if missing, tell the user plainly; handlers return when this is False."""
        if await self.has_role(role, place_id, anywhere=anywhere):
            return True
        self.reply(self._("Sorry, you are not allowed to do that. If you think you should be, ask your coordinator."))
        return False

    async def scopes(self, role: str) -> list[str]:
        return await roles.scopes(self.session, self.user, role, superadmins=self.app.superadmins)

    # --- dialogs ---------------------------------------------------------------------------------------------
    @property
    def dialog_ttl(self) -> timedelta:
        return timedelta(hours=self.app.config.bot.dialog_ttl_hours)

    async def start_dialog(self, name: str, step: str, data: dict[str, Any] | None = None) -> DialogState:
        """Open a dialog in this chat; it replaces the one the user had open anywhere (see bot/core/dialogs.py)."""
        self.dialog = await dialogs.start(
            self.session, self.user, self.event.chat_id, name, step, data, self.dialog_ttl
        )
        return self.dialog

    async def update_dialog(self, step: str | None = None, **data: Any) -> DialogState:
        if self.dialog is None:
            self.dialog = await dialogs.current(self.session, self.user)
        if self.dialog is None:
            raise RuntimeError("no open dialog to update")
        return await dialogs.update(self.session, self.dialog, self.event.chat_id, self.dialog_ttl, step, **data)

    async def end_dialog(self) -> None:
        await dialogs.end(self.session, self.user)
        self.dialog = None

    # --- pushes to other people ------------------------------------------------------------------------------
    async def notify(self, recipient: User, text: Text, **options: Any) -> bool:
        """Queue a message to another user in their own language (`Notifier.notify`, in this transaction); False
        if they have no reachable chat."""
        return await self.services.notifier.notify(self.session, recipient, text, **options)
