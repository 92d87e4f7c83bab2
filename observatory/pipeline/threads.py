"""Where a poll's short database calls run: on one thread of their own, or on the event loop.

A poll of an unchanged page is little more than two short database calls (the claim, and the
write that gives it back). Handed to whichever thread of the shared pool is free, they cost
about a third of the poll's CPU (thread wake-ups, the GIL passed between threads, SQLite's
write lock fought over by idle threads); on one database thread of their own, less; on the loop
itself, least, which is right only where nothing else waits on the loop and the database
answers at once: a one-shot ``observatory check`` on SQLite (``PollContext.database_inline``).
PostgreSQL gets a few threads (each call waits on a round trip and a commit's flush, which
overlap there; SQLite has one writer anyway). Polls that store a version (tagging, a snapshot)
run on the shared pool.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.engine import Engine

T = TypeVar("T")
THREADS = {"sqlite": 1}  # database threads per dialect; others: DEFAULT_THREADS
DEFAULT_THREADS = 4


@functools.cache
def _executor(dialect: str) -> ThreadPoolExecutor:
    workers = THREADS.get(dialect, DEFAULT_THREADS)
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"observatory-{dialect}")


async def on_database(
    inline: bool, engine: Engine, call: Callable[..., T], *args: object, **kwargs: object
) -> T:
    """``call(*args, **kwargs)`` on the database threads of *engine*'s dialect, or at once when
    *inline*."""
    if inline:
        return call(*args, **kwargs)
    loop = asyncio.get_running_loop()
    executor = _executor(engine.dialect.name)
    return await loop.run_in_executor(executor, functools.partial(call, *args, **kwargs))
