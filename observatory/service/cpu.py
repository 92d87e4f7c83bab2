"""The CPU-heavy steps of polls (extraction, parsing, diff) in worker processes.

Threads would keep the event loop busy: a regular expression over a 10 MB page, or the JSON of
a huge Document, runs in C for hundreds of milliseconds without releasing the interpreter lock,
and /healthz, the web views and the lease heartbeat wait that long. Worker processes hold their
own lock. Each worker is capped in memory (``MEMORY_LIMIT``, as address space); a worker that
dies (the cap, a crash) fails only the step it ran, as an error on that source, and the pool is
started again for the next one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from observatory.errors import ExtractError

MEMORY_LIMIT = 3 * 1024**3  # bytes of address space per worker
PRELOAD = ["observatory.pipeline.steps"]  # imported once by the fork server


def _cap_memory(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class CpuPool:
    """An ``offload`` for ``PollContext``: ``await pool.run(fn, *args)``."""

    def __init__(self, workers: int | None = None, memory_limit: int = MEMORY_LIMIT) -> None:
        self.workers = workers or max(1, min(2, os.cpu_count() or 1))
        self.memory_limit = memory_limit
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_cap_memory,
            initargs=(self.memory_limit,),
        )

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, fn, *args)
        except BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start()
            limit = self.memory_limit // 1024**2
            raise ExtractError(
                f"the worker reading this content died (over {limit} MB of memory, or a crash)"
            ) from None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
