"""One HTTP client per host, so that a request never looks through other hosts' connections.

The Fetcher sends one request at a time per host (politeness), so each host needs at most one
kept connection. With one shared client, httpcore checks every pooled connection of every host
(a system call each) at the start and end of every request: with 16 hosts that was a tenth of
the CPU of polling an unchanged page. Here each host (and scheme) has its own small client, the
https ones sharing one TLS context, made when the first is (loading the CA bundle costs 25 ms);
at most ``MAX_CLIENTS`` are kept, the least recently used idle one closed first.
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
        self._by_host: OrderedDict[tuple[str, str], httpx.AsyncClient] = OrderedDict()
        self._tls: ssl.SSLContext | None = None

    async def for_host(
        self, scheme: str, host: str, busy: Callable[[str], bool]
    ) -> httpx.AsyncClient:
        """The client of *host* (a host key) for *scheme*; *busy* says whether a host has a
        request in flight (its clients are never closed then)."""
        if self._shared is not None:
            return self._shared
        key = (scheme, host)
        client = self._by_host.get(key)
        if client is None:
            client = httpx.AsyncClient(verify=self._context(scheme), **self._options)
            self._by_host[key] = client
            await self._trim(busy)
        self._by_host.move_to_end(key)
        return client

    def _context(self, scheme: str) -> ssl.SSLContext:
        """The shared TLS context for https; for http one that trusts no certificate at all
        (http never uses it, and were it ever used, it would refuse, not accept)."""
        if scheme != "https":
            return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if self._tls is None:
            self._tls = httpx.create_ssl_context()  # loading the CA bundle: once
        return self._tls

    async def _trim(self, busy: Callable[[str], bool]) -> None:
        idle = [key for key in self._by_host if not busy(key[1])]
        for key in idle[: max(0, len(self._by_host) - MAX_CLIENTS)]:
            await self._by_host.pop(key).aclose()

    async def aclose(self) -> None:
        clients = [self._shared] if self._shared is not None else []
        clients += list(self._by_host.values())
        self._by_host.clear()
        for client in clients:
            await client.aclose()
