"""Pushes to other people: written in the recipient's language and queued in the outbox, in the transaction of
the change that causes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import buttons, outbox
from bot.i18n import Translator
from bot.messages import Button, OutgoingFile, Reply
from bot.storage.models import User

Text = str | Callable[[Translator], str]
ButtonSpec = tuple[Text, str, dict[str, Any]]


async def render_for(session: AsyncSession, recipient: User, text: Text,
                     buttons_spec: list[list[ButtonSpec]] | None) -> Reply:
    t = Translator(recipient.language)
    body = text(t) if callable(text) else text
    rows = []
    for row in buttons_spec or []:
        out = []
        for label, action, payload in row:
            token = await buttons.create(session, recipient, action, payload)
            out.append(Button(label=label(t) if callable(label) else label, token=token))
        rows.append(out)
    return Reply(text=body, buttons=rows)


class Notifier:
    async def notify(
        self,
        session: AsyncSession,
        recipient: User,
        text: Text,
        *,
        buttons_spec: list[list[ButtonSpec]] | None = None,
        html: bool = False,
        file: OutgoingFile | None = None,
        kind: str = "message",
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
        quiet_hours: bool = False,
    ) -> bool:
        """Queue a message to another user in their own language; False if they have no reachable chat."""
        if not recipient.dm_chat_id:
            return False
        reply = await render_for(session, recipient, text, buttons_spec)
        reply.html, reply.file = html, file
        await outbox.enqueue(
            session, platform=recipient.platform, chat_id=recipient.dm_chat_id, reply=reply, user_id=recipient.id,
            kind=kind, dedupe_key=dedupe_key, not_before=not_before, quiet_hours=quiet_hours,
        )
        return True
