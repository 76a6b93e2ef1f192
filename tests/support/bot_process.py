"""The real bot as a child process (`python -m bot.cli run`), so a test can kill it with SIGKILL and start it again.

The config is written as TOML into the test's folder; the child's stderr (its log) goes to a file the test can read
and measure.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(path: Path, sections: dict[str, dict]) -> Path:
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in values.items())
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class BotProcess:
    def __init__(self, config: Path, log: Path):
        self.config = config
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        self.starts += 1
        with self.log.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", "--config", str(self.config),
                cwd=str(REPO), env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)

    def kill(self) -> None:
        """SIGKILL: no clean-up, no last words, as when the machine or the OOM killer ends the process."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def wait(self) -> int:
        assert self.process is not None
        return await self.process.wait()

    async def stop(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0


async def until(condition: Callable[[], bool], timeout: float = 60.0, step: float = 0.05) -> None:  # noqa: ASYNC109
    """Wait until `condition()` holds (for states of another process, which no event of ours signals)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(step)
