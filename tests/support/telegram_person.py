"""A person on Telegram, as the platform end-to-end tests drive them through the Bot API emulator."""

from __future__ import annotations

from tests.support.telegram_emulator import SentMessage, TelegramEmulator

FAST = {"user_messages_per_minute": 0}
"""`[bot]` settings without the per-person rate limit, for tests that type faster than people do."""


class TelegramPerson:
    """Someone in a private chat with the bot, reading what arrives and pressing inline buttons."""

    def __init__(self, emu: TelegramEmulator, user_id: int):
        self.emu, self.id, self.seen = emu, user_id, []

    async def expect(self, contains: str) -> SentMessage:
        while True:
            [msg] = await self.emu.wait_for_sent(chat_id=self.id, timeout=15)
            self.seen.append(msg)
            if contains in (msg.visible_text or ""):
                return msg

    async def say(self, text: str, expect: str) -> SentMessage:
        self.emu.push_text(self.id, text)
        return await self.expect(expect)

    async def press(self, label: str, expect: str) -> SentMessage:
        for msg in reversed(self.seen):
            for row in msg.buttons:
                for button in row:
                    if label in button["text"]:
                        self.emu.push_callback(self.id, button["callback_data"], message_id=msg.message_id)
                        return await self.expect(expect)
        raise AssertionError(f"no button {label!r}")
