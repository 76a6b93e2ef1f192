"""One worker per room, a bounded number of handlers at once.

The sync loop must never wait for a handler: a slow database or a long dialog step would otherwise delay every
other room and, with it, the key exchange that encryption depends on. So events are queued here and the sync
loop goes on. Each room keeps its own queue, so one person's messages are answered in the order they were sent;
a semaphore keeps the number of handlers running at once small (the machine may have two cores and SQLite).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
IDLE = 60.0
"""A room's worker ends after this long without events; the next event starts a new one."""
ATTEMPTS = 3


class RoomWorkers:
    def __init__(self, concurrency: int):
        self._slots = asyncio.Semaphore(concurrency)
        self._queues: dict[str, asyncio.Queue] = {}
        self._tasks: set[asyncio.Task] = set()
        self._outstanding = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = asyncio.Event()

    def enqueue(self, room_id: str, job: Job, done: Callable[[], None] | None = None) -> None:
        """Queue `job` behind the room's earlier ones; `done` is called when it has finished, however it ended."""
        self._outstanding += 1
        self._idle.clear()
        queue = self._queues.get(room_id)
        if queue is None:
            queue = self._queues[room_id] = asyncio.Queue()
            task = asyncio.create_task(self._work(room_id, queue), name=f"matrix-room-{room_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        queue.put_nowait((job, done))

    async def _work(self, room_id: str, queue: asyncio.Queue) -> None:
        while True:
            try:
                job, done = await asyncio.wait_for(queue.get(), IDLE)
            except TimeoutError:
                if queue.empty():
                    self._queues.pop(room_id, None)
                    return
                continue
            try:
                await self._run(room_id, job)
            finally:
                self._outstanding -= 1
                if self._outstanding == 0:
                    self._idle.set()
                if done is not None:
                    done()

    async def _run(self, room_id: str, job: Job) -> None:
        # The core handles an event in one transaction and drops repeats, so trying again after a failure is safe.
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self._slots:
                    await job()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("handling a Matrix event in %s failed (attempt %d of %d)", room_id, attempt, ATTEMPTS)
                if attempt < ATTEMPTS:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), 2**attempt)

    async def close(self, grace: float) -> None:
        """Let jobs already queued finish for up to `grace` seconds, then cancel what is left."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)
        self._closing.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._queues.clear()
