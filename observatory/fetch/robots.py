"""robots.txt of each origin: read once, kept ``ROBOTS_TTL``, optionally shared by many processes.

A policy is one of ``allow`` (no usable file: 404, 5xx, a network error), ``deny`` (401/403) or
``rules`` (the file's text, parsed with the stdlib parser). The Fetcher keeps policies in memory;
with a ``RobotsStore`` (the cluster's database table) a policy read by one worker serves all of
them, so a host is asked for robots.txt once per TTL whatever the number of workers.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.robotparser import RobotFileParser

ROBOTS_MAX_BYTES = 512_000
ROBOTS_TTL = 24 * 3600.0

PolicyKind = Literal["allow", "deny", "rules"]


@dataclass(frozen=True)
class Policy:
    kind: PolicyKind
    body: str = ""  # the robots.txt text when kind is "rules"
    url: str = ""


class RobotsStore(Protocol):
    """Where policies are shared between processes (None from ``get``: unknown or too old)."""

    async def get(self, origin: str, max_age: float) -> Policy | None: ...

    async def put(self, origin: str, policy: Policy) -> None: ...


def predicate(policy: Policy, user_agent: str) -> Callable[[str], bool]:
    """The policy as a test on URLs."""
    if policy.kind == "allow":
        return _allow_all
    if policy.kind == "deny":
        return _disallow_all
    parser = RobotFileParser(policy.url)
    parser.parse(policy.body.splitlines())
    return functools.partial(parser.can_fetch, user_agent)


class RobotsCache:
    """Policies per origin: in memory, then the shared store, then one load (per origin at a
    time, so concurrent polls of one origin wait for a single request)."""

    def __init__(self, user_agent: str, store: RobotsStore | None = None) -> None:
        self._user_agent, self._store = user_agent, store
        self._known: dict[str, tuple[float, Callable[[str], bool]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allows(self, origin: str, url: str, load: Callable[[], Awaitable[Policy]]) -> bool:
        async with self._locks.setdefault(origin, asyncio.Lock()):
            cached = self._known.get(origin)
            if cached is None or time.monotonic() - cached[0] > ROBOTS_TTL:
                policy = await self._shared(origin)
                if policy is None:
                    policy = await load()
                    if self._store is not None:
                        await self._store.put(origin, policy)
                cached = (time.monotonic(), predicate(policy, self._user_agent))
                self._known[origin] = cached
        return cached[1](url)

    async def _shared(self, origin: str) -> Policy | None:
        return None if self._store is None else await self._store.get(origin, ROBOTS_TTL)


def _allow_all(url: str) -> bool:
    return True


def _disallow_all(url: str) -> bool:
    return False
