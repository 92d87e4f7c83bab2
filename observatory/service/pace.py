"""The Fetcher's shared pace and robots.txt store for a cluster, on the database's tables.

``DatabasePace.turn(host, delay)`` waits for the host's row in ``host_turns`` (one request in
flight per host across every worker, ``delay`` seconds after the previous request ended) and gives
it back when the request is over; ``DatabaseRobots`` keeps each origin's robots.txt policy in
``robots_cache`` so that one worker's read serves all. Database calls run in threads (the engine
is synchronous); a turn whose holder died lapses after ``hold`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.engine import Engine

from observatory.fetch import Policy
from observatory.store.claims import HOLDER, dead_here
from observatory.store.models import utcnow
from observatory.store.turns import give_turn, read_robots, take_turn, write_robots


class DatabasePace:
    def __init__(self, engine: Engine, hold: float, holder: str = HOLDER) -> None:
        self._engine, self._hold, self._holder = engine, hold, holder

    @contextlib.asynccontextmanager
    async def turn(self, host: str, delay: float) -> AsyncIterator[None]:
        while (wait := await asyncio.to_thread(self._take, host)) > 0:
            await asyncio.sleep(wait)
        try:
            yield
        finally:
            # shielded: a cancelled request still gives the turn back (else it lapses by itself)
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    asyncio.to_thread(give_turn, self._engine, host, self._holder, delay)
                )

    def _take(self, host: str) -> float:
        return take_turn(self._engine, host, self._holder, self._hold, dead_here)


class DatabaseRobots:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def get(self, origin: str, max_age: float) -> Policy | None:
        row = await asyncio.to_thread(read_robots, self._engine, origin, max_age)
        if row is None or row[0] not in ("allow", "deny", "rules"):
            return None
        return Policy(row[0], row[1], origin + "/robots.txt")  # type: ignore[arg-type]

    async def put(self, origin: str, policy: Policy) -> None:
        await asyncio.to_thread(
            write_robots, self._engine, origin, policy.kind, policy.body, utcnow()
        )
