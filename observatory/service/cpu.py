"""The CPU-heavy steps of polls (extraction, parsing, diff) in worker processes.

Threads would keep the event loop busy: a regular expression over a 10 MB page, or the JSON of
a huge Document, runs in C for hundreds of milliseconds without releasing the interpreter lock,
and /healthz, the web views and the lease heartbeat wait that long. Worker processes hold their
own lock. Each worker is capped in memory (``MEMORY_LIMIT``, as address space); a worker that
dies (the cap, a crash) fails only the step it ran, as an error on that source, and the pool is
started again for the next one. Workers end by themselves when the process owning the pool is
killed, so a SIGKILL of ``observatory run`` or a worker leaves no process behind.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from observatory.errors import ExtractError
from observatory.store.claims import process_alive

MEMORY_LIMIT = 3 * 1024**3  # bytes of address space per worker
PRELOAD = ["observatory.pipeline.steps"]  # imported once by the fork server
OWNER_CHECK = 1.0  # seconds between two looks of a worker at the pool's owner
SHUTDOWN_WAIT = 3.0  # seconds ``shutdown`` waits for the workers before ending them


def _start_worker(limit: int, owner: int) -> None:
    """A worker's set-up: its memory cap, and a watch on the process that owns the pool."""
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    watch = threading.Thread(target=_exit_with, args=(owner,), name="owner-watch", daemon=True)
    watch.start()


def _exit_with(owner: int) -> None:
    """End this worker once the pool's owner is gone (SIGKILL, a crash). Nothing else would:
    a worker holds both ends of its own call queue, so it waits for work forever, and with it
    the fork server, whose "parent alive" pipe every child it forks holds open."""
    while process_alive(owner):
        time.sleep(OWNER_CHECK)
    os._exit(0)


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
            initializer=_start_worker,
            initargs=(self.memory_limit, os.getpid()),
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

    def shutdown(self, wait: float = SHUTDOWN_WAIT) -> None:
        """Stop the workers: queued steps are cancelled, a running one gets *wait* seconds,
        then its worker is ended. Waiting lets the pool release its queues' semaphores;
        without it, an exit right after printed "resource_tracker: There appear to be 5
        leaked semaphore objects" (harmless, but an operator reading the log wonders)."""
        pool = self._pool
        processes = list((getattr(pool, "_processes", None) or {}).values())
        done = threading.Thread(
            target=pool.shutdown, kwargs={"wait": True, "cancel_futures": True}, daemon=True
        )
        done.start()
        done.join(wait)
        if done.is_alive():  # a step still running: end its worker, the pool then closes
            for process in processes:
                process.kill()
            done.join(wait)
