"""The bot on a real platform stack, for end-to-end tests: a Telegram Bot API emulator, or a real Synapse with
people who each have an encrypted direct chat with the bot."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot import users
from bot.core.app import App
from bot.platforms.matrix import MatrixAdapter
from bot.platforms.telegram import TelegramAdapter
from bot.wiring import build_app
from tests.support.config import make_config
from tests.support.matrix_client import MatrixTestUser
from tests.support.telegram_emulator import TelegramEmulator


@dataclass
class Scene:
    app: App
    bot_id: str
    people: list[MatrixTestUser]
    rooms: list[str]
    """Each person's direct chat with the bot, in the order of `people`."""

    async def says(self, person: MatrixTestUser, contains: str) -> dict:
        """The next bot message in the person's direct chat that contains `contains`."""
        room = self.rooms[self.people.index(person)]
        return await person.wait_for_message(room, sender=self.bot_id, contains=contains, timeout=30)

    async def say(self, person: MatrixTestUser, text: str, expect: str) -> dict:
        await person.send_text(self.rooms[self.people.index(person)], text)
        return await self.says(person, expect)


@asynccontextmanager
async def matrix_bot(synapse, tmp_path, db_url, db, names: list[str], **sections) -> AsyncIterator[Scene]:
    localpart = f"helferbot_{uuid.uuid4().hex[:8]}"
    await synapse.register(localpart, "bot-password")
    bot_id = f"@{localpart}:{synapse.server_name}"
    cfg = make_config(tmp_path, db_url, **sections, matrix={
        "homeserver": synapse.url, "user_id": bot_id, "password": "bot-password", "store_dir": str(tmp_path / "s")})
    people = [await MatrixTestUser.create(synapse, f"{name}_{uuid.uuid4().hex[:6]}", tmp_path / name)
              for name in names]
    app = build_app(cfg, db=db)
    app.add_adapter(MatrixAdapter(cfg, startup_wait=30))
    await app.start()
    try:
        await asyncio.gather(*(person.start() for person in people))
        rooms = []
        for person in people:
            room_id = await person.create_dm(bot_id, encrypted=True)
            await person.wait_for_join(room_id, bot_id)
            rooms.append(room_id)
        yield Scene(app, bot_id, people, rooms)
    finally:
        await app.stop()
        await asyncio.gather(*(person.stop() for person in people))


@asynccontextmanager
async def telegram_bot(tmp_path, db_url, db, **sections) -> AsyncIterator[tuple[App, TelegramEmulator]]:
    async with TelegramEmulator(bot_username="helfer_test_bot") as emu:
        cfg = make_config(tmp_path, db_url, **sections, telegram={
            "token": emu.token, "api_base_url": emu.base_url, "file_base_url": emu.base_file_url})
        app = build_app(cfg, db=db)
        app.add_adapter(TelegramAdapter(cfg))
        await app.start()
        try:
            yield app, emu
        finally:
            await app.stop()


async def give_role(app: App, platform: str, user_id: str, chat_id: str, role: str, scope: str) -> None:
    """A person who already has a role when the scene starts (as if invited earlier)."""
    from bot import roles

    async with app.db.session() as session:
        user = await users.get_or_create(session, platform, user_id, language="de", default_language="de",
                                          dm_chat_id=chat_id)
        await roles.grant(session, user, role, scope, None)
        await session.commit()
