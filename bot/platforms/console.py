"""The console chat: the same handlers in a terminal, buttons shown as numbers.

When standard input is not a terminal it reads one message per line and prints the replies, so the bot can be
scripted (`printf '/hilfe\\n' | helferbot console`).
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
from pathlib import Path
from typing import TextIO

from bot.messages import IncomingMessage, Reply
from bot.platforms.base import Core

CHAT_ID = "console"
USER_ID = "local"
TAG = re.compile(r"<[^>]+>")


def plain(reply: Reply) -> str:
    if not reply.html:
        return reply.text
    text = re.sub(r'<a href="([^"]+)">([^<]*)</a>', lambda m: m.group(2) if m.group(1).endswith(m.group(2))
                  else f"{m.group(2)} ({m.group(1)})", reply.text)
    return html.unescape(TAG.sub("", text))


class ConsoleAdapter:
    name = "console"
    native_buttons = False
    rate_per_second = 1000.0

    def __init__(self, out: TextIO = sys.stdout, files_dir: Path | None = None):
        self.out = out
        self.files_dir = files_dir
        self._counter = 0

    async def start(self, app: Core) -> None:
        self.app = app

    async def stop(self) -> None:
        return None

    def private_link(self, payload: str = "") -> str | None:
        return None

    async def send(self, chat_id: str, reply: Reply, *, idempotency_key: str | None = None) -> str:
        self.show(reply)
        self._counter += 1
        return str(self._counter)

    def show(self, reply: Reply) -> None:
        lines = [plain(reply)]
        number = reply.number_from - 1
        for row in reply.buttons:
            for button in row:
                if button.url:
                    lines.append(f"  → {button.label}: {button.url}")
                else:
                    number += 1
                    lines.append(f"  [{number}] {button.label}")
        if reply.file is not None:
            lines.append(f"  📎 {self.save(reply)}")
        self.out.write("\n".join(lines) + "\n\n")
        self.out.flush()

    def save(self, reply: Reply) -> str:
        assert reply.file is not None
        if self.files_dir is None:
            return f"{reply.file.filename} ({len(reply.file.data)} bytes)"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        safe = Path(reply.file.filename).name or "file"
        path = self.files_dir / safe
        path.write_bytes(reply.file.data)
        return str(path)


async def run_console(app: Core, adapter: ConsoleAdapter, stdin: TextIO = sys.stdin) -> int:
    """Chat until the input ends; returns how many messages were handled."""
    interactive = stdin.isatty()
    if interactive:
        adapter.out.write(
            "helferbot – Konsole / console. /hilfe zeigt, was ich kann; Strg-D beendet. "
            "/help shows what I can do; Ctrl-D quits.\n\n"
        )
    counter = 0
    while True:
        if interactive:
            try:
                line = await asyncio.to_thread(input, "> ")
            except EOFError:
                break
        else:
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
        line = line.rstrip("\n")
        if not line.strip():
            continue
        counter += 1
        if not interactive:
            adapter.out.write(f"> {line}\n")
        event = IncomingMessage(
            platform="console", chat_id=CHAT_ID, sender_id=USER_ID, text=line, message_id=str(counter)
        )
        for reply in await app.handle(event):
            adapter.show(reply)
        await drain(app)
    return counter


async def drain(app: Core, within: float = 2.0) -> None:
    """Let pushes to the console user that are due now appear before the next prompt."""
    await app.settle("console", within)
