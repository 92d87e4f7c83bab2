"""One HTTP client per host, so that a request never looks through other hosts' connections.

The Fetcher sends one request at a time per host (politeness), so each host needs at most one
kept connection. With one shared client, httpcore checks every pooled connection of every host
(a system call each) at the start and end of every request: with 16 hosts that was a tenth of
the CPU of polling an unchanged page. Here each host has its own small client, all sharing one
TLS context; at most ``MAX_CLIENTS`` are kept, the least recently used idle one closed first.
A transport given by a caller (tests) is shared by one client for every host, as before.
"""

from __future__ import annotations

import ssl
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx

MAX_CLIENTS = 64  # hosts whose connection is kept open between requests


class Clients:
    def __init__(self, transport: httpx.AsyncBaseTransport | None, **options: Any) -> None:
        self._options = options
        self._shared = httpx.AsyncClient(transport=transport, **options) if transport else None
        self._by_host: OrderedDict[str, httpx.AsyncClient] = OrderedDict()
        self._tls: ssl.SSLContext | None = None

    async def for_host(self, host: str, busy: Callable[[str], bool]) -> httpx.AsyncClient:
        """The client of *host* (a host key); *busy* says whether a host has a request in
        flight (its client is never closed then)."""
        if self._shared is not None:
            return self._shared
        client = self._by_host.get(host)
        if client is None:
            if self._tls is None:
                self._tls = httpx.create_ssl_context()  # loading the CA bundle: once
            client = self._by_host[host] = httpx.AsyncClient(verify=self._tls, **self._options)
            await self._trim(busy)
        self._by_host.move_to_end(host)
        return client

    async def _trim(self, busy: Callable[[str], bool]) -> None:
        idle = [h for h in self._by_host if not busy(h)]
        for host in idle[: max(0, len(self._by_host) - MAX_CLIENTS)]:
            await self._by_host.pop(host).aclose()

    async def aclose(self) -> None:
        clients = [self._shared] if self._shared is not None else []
        clients += list(self._by_host.values())
        self._by_host.clear()
        for client in clients:
            await client.aclose()
