"""A personal calendar feed: one secret link per person that calendar apps poll for their events.

The link holds a random token rather than the user id, so it cannot be guessed from another link, and a new
link replaces the old one at once (a forwarded link can be taken back). It shows the upcoming events of the
person's subscribed places and those they said yes or maybe to, without the ones they declined.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.meetings import ics, scope, service
from bot.storage.models import User
from bot.storage.models_meetings import Meeting, MeetingUserSettings, Rsvp
from bot.timeutil import now

if TYPE_CHECKING:
    from bot.core.app import App

ROUTE = "/calendar/{token}.ics"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
PAST = timedelta(days=30)
"""How long past and cancelled events stay in the feed, so calendars that synced them see the change."""


async def token_for(session: AsyncSession, user: User, *, renew: bool = False) -> str:
    row = await session.get(MeetingUserSettings, user.id)
    if row is None:
        row = MeetingUserSettings(user_id=user.id, quiet_enabled=True, updated_at=now())
        session.add(row)
    if row.feed_token is None or renew:
        row.feed_token = secrets.token_urlsafe(24)
        row.updated_at = now()
    await session.flush()
    return row.feed_token


def url_for(app: App, token: str) -> str | None:
    """The link, or None when this bot serves no HTTP (`bot.http_port` = 0)."""
    cfg = app.config.bot
    if not cfg.http_port:
        return None
    base = cfg.public_url.rstrip("/") if cfg.public_url else f"http://{cfg.http_listen}:{cfg.http_port}"
    return base + ROUTE.replace("{token}", token)


async def events_for(session: AsyncSession, user: User) -> list[Meeting]:
    places = [s.place_id for s in await scope.subscriptions_of(session, user)]
    answers = dict((await session.execute(select(Rsvp.event_id, Rsvp.answer).where(Rsvp.user_id == user.id))).all())
    found = {e.id: e for e in await service.upcoming(session, places, limit=500, since=PAST, finished=True)}
    wanted = [i for i, a in answers.items() if a in ("yes", "maybe") and i not in found]
    if wanted:
        for event in await session.scalars(select(Meeting).where(Meeting.id.in_(wanted),
                                                               Meeting.starts_at >= now() - PAST)):
            found[event.id] = event
    return sorted((e for e in found.values() if answers.get(e.id) != "no"), key=lambda e: e.starts_at)


async def handle(app: App, request: web.Request) -> web.Response:
    token = request.match_info.get("token", "")
    if not _TOKEN.fullmatch(token):
        raise web.HTTPNotFound()
    async with app.db.session() as session:
        row = await session.scalar(select(MeetingUserSettings).where(MeetingUserSettings.feed_token == token))
        user = await session.get(User, row.user_id) if row is not None else None
        if user is None:
            raise web.HTTPNotFound()
        events = await events_for(session, user)
        from bot.meetings import series

        changes = {e.id: await series.changes_of(session, e.id) for e in events if e.rrule}
        body = ics.feed(((e, service.place_name(app, e.place_id)) for e in events), "helferbot – Termine", changes)
    return web.Response(body=body, content_type="text/calendar", charset="utf-8",
                        headers={"Cache-Control": "private, max-age=900"})
