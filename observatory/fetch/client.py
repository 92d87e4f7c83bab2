"""The Fetcher: one HTTP client, the per-host pace and the robots.txt cache for a run."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

import httpx

from observatory.config import Settings
from observatory.errors import FetchError, PermanentFetchError, TransientFetchError
from observatory.fetch.body import drain, read_bounded
from observatory.fetch.challenge import bot_challenge
from observatory.fetch.clients import Clients
from observatory.fetch.guard import follow, host_key, is_blocked_address, parse_url
from observatory.fetch.retry import parse_retry_after
from observatory.fetch.robots import ROBOTS_MAX_BYTES, Policy, RobotsCache, RobotsStore

log = logging.getLogger("observatory.fetch")

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,application/pdf;q=0.9,*/*;q=0.8"
ACCEPT_ENCODING = "gzip, deflate"
# Content negotiation (the Publications Office's CELLAR serves an act per language) gets the
# English version, as a browser set to English would.
ACCEPT_LANGUAGE = "en, eng;q=0.9, *;q=0.5"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchResult:
    url: str  # final URL after redirects
    status: Literal["ok", "not_modified"]
    http_status: int
    body: bytes  # b"" when not_modified
    content_type: str
    etag: str | None
    last_modified: str | None
    elapsed: float  # seconds, all attempts included
    attempts: int


@dataclass
class _Reply:
    url: httpx.URL
    status: int
    headers: httpx.Headers
    body: bytes


class HostPace(Protocol):
    """A pace shared by many processes (the cluster's): one request in flight per host and
    ``delay`` seconds between two, on top of the Fetcher's own pace."""

    def turn(self, host: str, delay: float) -> contextlib.AbstractAsyncContextManager[None]: ...


@dataclass
class _Pace:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0


class Fetcher:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        pace: HostPace | None = None,
        robots: RobotsStore | None = None,
    ) -> None:
        self._settings = settings
        self._sleep = sleep  # retry waits only; the per-host pace always waits for real
        self._clients = Clients(
            transport,
            follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout),
            trust_env=False,
            headers={
                "User-Agent": settings.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
                "Accept-Language": ACCEPT_LANGUAGE,
            },
        )
        self._paces: dict[str, _Pace] = {}
        self._shared_pace = pace  # the cluster's pace, on top of this process's own
        self._robots = RobotsCache(settings.user_agent, robots)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._clients.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        source_id: str | None = None,
        conditional: bool = True,
    ) -> FetchResult:
        started = time.monotonic()
        headers: dict[str, str] = {}
        if conditional and etag:
            headers["If-None-Match"] = etag
        if conditional and last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            target = parse_url(url)
            attempt = 0
            while True:
                attempt += 1
                try:
                    result = await self._attempt(target, host_key(target.host), headers)
                except TransientFetchError as exc:
                    if attempt > self._settings.retries:
                        tries = f"{attempt} attempt{'s' if attempt > 1 else ''}"
                        raise TransientFetchError(
                            f"{exc.message} (gave up after {tries})",
                            url=exc.url,
                            status=exc.status,
                            retry_after=exc.retry_after,
                        ) from exc
                    wait = self._retry_wait(attempt, exc.retry_after)
                    log.info(
                        "source %s: %s; retry %d in %.1fs", source_id, exc.message, attempt, wait
                    )
                    await self._sleep(wait)
                    continue
                return replace(result, elapsed=time.monotonic() - started, attempts=attempt)
        except FetchError as exc:
            if exc.source_id is None:
                exc.source_id = source_id
            raise

    def _retry_wait(self, attempt: int, retry_after: float | None) -> float:
        cap = self._settings.retry_after_cap
        if retry_after is not None:
            return min(retry_after, cap)
        backoff = self._settings.retry_backoff * 2 ** (attempt - 1)
        return min(backoff * (1 + 0.25 * random.random()), cap)

    async def _attempt(self, url: httpx.URL, home: str, headers: dict[str, str]) -> FetchResult:
        for hop in range(self._settings.max_redirects + 1):
            await self._check_target(url, home)
            if self._settings.respect_robots:
                await self._check_robots(url, home)
            reply = await self._exchange(url, headers, self._settings.max_bytes)
            status = reply.status
            if blocked := bot_challenge(status, reply.headers):
                raise PermanentFetchError(blocked, url=str(url), status=status)
            if status in REDIRECT_STATUSES and "location" in reply.headers:
                if hop == self._settings.max_redirects:
                    raise PermanentFetchError(
                        f"more than max_redirects={self._settings.max_redirects} redirects",
                        url=str(url),
                        status=status,
                    )
                url = follow(url, reply.headers["location"])
                continue
            if 200 <= status < 300 or (status == 304 and headers):
                return FetchResult(
                    url=str(url),
                    status="ok" if status != 304 else "not_modified",
                    http_status=status,
                    body=reply.body,
                    content_type=reply.headers.get("content-type", ""),
                    etag=reply.headers.get("etag")
                    or (headers.get("If-None-Match") if status == 304 else None),
                    last_modified=reply.headers.get("last-modified")
                    or (headers.get("If-Modified-Since") if status == 304 else None),
                    elapsed=0.0,
                    attempts=0,
                )
            if status == 429 or status >= 500:
                raise TransientFetchError(
                    f"HTTP {status}",
                    url=str(url),
                    status=status,
                    retry_after=parse_retry_after(reply.headers.get("retry-after")),
                )
            raise PermanentFetchError(f"HTTP {status}", url=str(url), status=status)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _check_target(self, url: httpx.URL, home: str) -> None:
        """Refuse a hop whose host resolves to a non-public address, unless it is configured."""
        if host_key(url.host) == home:
            return
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                url.raw_host.decode("ascii"), port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise TransientFetchError(f"cannot resolve {url.host}: {exc}", url=str(url)) from None
        for *_, sockaddr in infos:
            address = str(sockaddr[0])
            if is_blocked_address(address):
                raise PermanentFetchError(
                    f"blocked private address {address} (host {url.host})", url=str(url)
                )

    def _busy(self, host: str) -> bool:
        pace = self._paces.get(host)
        return pace is not None and pace.lock.locked()

    @contextlib.asynccontextmanager
    async def _turn(self, host: str) -> AsyncIterator[None]:
        """The host's turn: no overlap, and per_host_delay between request starts."""
        pace = self._paces.setdefault(host_key(host), _Pace())
        async with pace.lock:
            loop = asyncio.get_running_loop()
            while (wait := pace.next_start - loop.time()) > 0:  # sleep may wake a tick early
                await asyncio.sleep(wait)
            pace.next_start = loop.time() + self._settings.per_host_delay
            if self._shared_pace is None:
                yield
            else:
                async with self._shared_pace.turn(host_key(host), self._settings.per_host_delay):
                    yield

    async def _exchange(self, url: httpx.URL, headers: dict[str, str], limit: int) -> _Reply:
        """One GET under the host's turn and the deadline; the body is read for 2xx only."""
        timeout = self._settings.timeout
        async with self._turn(url.host):
            client = await self._clients.for_host(url.scheme, host_key(url.host), self._busy)
            try:
                async with asyncio.timeout(timeout):
                    async with client.stream("GET", url, headers=headers) as response:
                        if 200 <= response.status_code < 300:
                            body = await read_bounded(response, limit)
                        else:
                            body = b""
                            await drain(response)  # the connection stays open for the next
                        return _Reply(url, response.status_code, response.headers, body)
            except FetchError as exc:
                exc.url = exc.url or str(url)
                raise
            except TimeoutError:
                message = f"no complete response within the {timeout:g}s deadline"
            except httpx.TimeoutException as exc:
                message = f"timed out ({type(exc).__name__})"
            except httpx.RemoteProtocolError as exc:
                if "location header" in str(exc):  # httpx vets Location even when not following
                    raise PermanentFetchError(f"bad redirect: {exc}", url=str(url)) from None
                message = f"connection failed ({type(exc).__name__}: {exc})"
            except (httpx.NetworkError, httpx.ProtocolError) as exc:
                message = f"connection failed ({type(exc).__name__}: {exc})"
            except httpx.HTTPError as exc:
                raise PermanentFetchError(f"request failed: {exc}", url=str(url)) from None
            raise TransientFetchError(message, url=str(url))

    async def _check_robots(self, url: httpx.URL, home: str) -> None:
        origin = f"{url.scheme}://{host_key(url.host)}:{url.port or ''}"
        robots_url = url.copy_with(path="/robots.txt", query=None, fragment=None)
        if not await self._robots.allows(
            origin, str(url), functools.partial(self._load_robots, robots_url, home)
        ):
            raise PermanentFetchError("disallowed by robots.txt", url=str(url))

    async def _load_robots(self, url: httpx.URL, home: str) -> Policy:
        """robots.txt of one origin, following the module's policy."""
        limit = min(ROBOTS_MAX_BYTES, self._settings.max_bytes)
        try:
            for _ in range(self._settings.max_redirects + 1):
                await self._check_target(url, home)
                reply = await self._exchange(url, {}, limit)
                if reply.status not in REDIRECT_STATUSES or "location" not in reply.headers:
                    break
                url = follow(url, reply.headers["location"])
        except FetchError as exc:
            log.warning("robots.txt %s unavailable (%s): allowing all", url, exc.message)
            return Policy("allow")
        if reply.status in (401, 403):
            return Policy("deny")
        if 200 <= reply.status < 300:
            return Policy("rules", reply.body.decode("utf-8-sig", "replace"), str(url))
        if reply.status >= 500:
            log.warning("robots.txt %s answered HTTP %d: allowing all", url, reply.status)
        return Policy("allow")  # 404, 410 and other 4xx, 5xx, or redirects without end
