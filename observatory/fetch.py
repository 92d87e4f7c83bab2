"""Polite, bounded, hostile-input-safe fetching of one URL.

Every response is treated as hostile. One ``Fetcher`` per run holds the HTTP client, the per-host
pace and the robots.txt cache; ``Fetcher.fetch`` returns a ``FetchResult`` or raises a
``TransientFetchError`` (retried here first) or a ``PermanentFetchError``.

Choices worth knowing:

- Pace: one request at a time per host name (port ignored) and at least ``per_host_delay`` seconds
  between the *starts* of two requests to it, robots.txt included. Different hosts run at once.
- Deadline: ``timeout`` bounds each HTTP request (connect, headers and whole body), measured from
  when the request may start (waiting for the host's turn is not counted). One attempt makes at
  most ``max_redirects + 1`` requests; ``retries`` adds attempts after timeouts, connection errors,
  429 and 5xx, waiting Retry-After (capped at ``retry_after_cap``) or an exponential back-off.
- Body: decompressed here, in bounded steps (gzip and deflate; brotli is not advertised), so a
  compression bomb is stopped at ``max_bytes`` without inflating more than 64 KiB past it.
- Redirects are followed by hand; every hop must be http(s) and pass the target guard: a host
  other than the configured URL's host may not resolve to a private, loopback, link-local,
  multicast, reserved or unspecified address. The configured host itself is trusted (the operator
  named it), so a configured loopback URL works.
- robots.txt is read once per origin per Fetcher (kept 24 h, as RFC 9309 suggests) through the same
  bounded path. 401/403 disallow all, other 4xx allow all (the stdlib convention). A network error,
  a 5xx or an oversized file allows all and is logged: an outage of robots.txt alone should not
  silence a regulator's page, and the page request itself stays paced and bounded.
- An empty 200 body is returned as is; the pipeline treats it as an error on the source.
- Proxies and .netrc from the environment are ignored (``trust_env=False``).

Known limit: the guard resolves a host, then httpx resolves it again to connect, so a DNS answer
that changes in between (rebinding) is not caught; pinning the vetted address needs a custom
httpcore network backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import ipaddress
import logging
import random
import socket
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal
from urllib.robotparser import RobotFileParser

import httpx

from observatory.config import Settings
from observatory.errors import FetchError, PermanentFetchError, TransientFetchError

log = logging.getLogger(__name__)

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,application/pdf;q=0.9,*/*;q=0.8"
ACCEPT_ENCODING = "gzip, deflate"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_MAX_BYTES = 512_000
ROBOTS_TTL = 24 * 3600.0
_STEP = 64 * 1024  # most bytes inflated from one call into zlib


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


@dataclass
class _Pace:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0


def is_blocked_address(address: str) -> bool:
    """True for an address a fetch may not reach unless the operator configured it."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or malformed."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _Inflater:
    """One content-coding undone incrementally, never more than ``_STEP`` bytes per step."""

    def __init__(self, coding: str) -> None:
        self._gzip = coding in ("gzip", "x-gzip")
        self._fallback = not self._gzip  # "deflate" is zlib-wrapped, or raw in the wild
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                out = self._obj.decompress(data, _STEP)
            except zlib.error:
                if not self._fallback:
                    raise
                self._fallback = False
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._fallback = False
            if out:
                yield out
            data = self._obj.unconsumed_tail
            if self._obj.eof:
                data = self._obj.unused_data
                if not (self._gzip and data):
                    return  # trailing bytes after a deflate stream are ignored
                self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)  # next gzip member
            elif not data and len(out) < _STEP:
                return


def _decoder(content_encoding: str) -> Callable[[bytes], Iterator[bytes]]:
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate")]
    if unknown:
        raise PermanentFetchError(f"unsupported content encoding {unknown[0]!r}")
    stages = [_Inflater(c).feed for c in reversed(codings)]

    def decode(data: bytes, depth: int = 0) -> Iterator[bytes]:
        if depth == len(stages):
            yield data
            return
        for piece in stages[depth](data):
            yield from decode(piece, depth + 1)

    return decode


async def _read_bounded(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PermanentFetchError(f"body of {declared} bytes exceeds max_bytes={limit}")
    decode = _decoder(response.headers.get("content-encoding", ""))
    parts: list[bytes] = []
    total = 0
    try:
        async for raw in response.aiter_raw():
            for piece in decode(raw):
                total += len(piece)
                if total > limit:
                    raise PermanentFetchError(f"decompressed body exceeds max_bytes={limit}")
                parts.append(piece)
    except zlib.error as exc:
        raise PermanentFetchError(f"corrupt compressed body: {exc}") from None
    return b"".join(parts)


def _host_key(host: str) -> str:
    return host.lower().rstrip(".")


def _parse_url(url: str | httpx.URL) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise PermanentFetchError(f"invalid URL: {exc}", url=str(url)) from None
    if parsed.scheme not in ("http", "https"):
        raise PermanentFetchError(
            f"unsupported URL scheme {parsed.scheme!r}: only http and https are fetched",
            url=str(url),
        )
    if not parsed.host:
        raise PermanentFetchError("URL has no host", url=str(url))
    return parsed


def _follow(url: httpx.URL, location: str) -> httpx.URL:
    try:
        return _parse_url(url.join(location))
    except httpx.InvalidURL as exc:
        raise PermanentFetchError(
            f"bad redirect Location {location!r}: {exc}", url=str(url)
        ) from None


class Fetcher:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._sleep = sleep  # retry waits only; the per-host pace always waits for real
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout),
            trust_env=False,
            headers={
                "User-Agent": settings.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
        )
        self._paces: dict[str, _Pace] = {}
        self._robots: dict[str, tuple[float, Callable[[str], bool]]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

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
            target = _parse_url(url)
            attempt = 0
            while True:
                attempt += 1
                try:
                    result = await self._attempt(target, _host_key(target.host), headers)
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
            if status in REDIRECT_STATUSES and "location" in reply.headers:
                if hop == self._settings.max_redirects:
                    raise PermanentFetchError(
                        f"more than max_redirects={self._settings.max_redirects} redirects",
                        url=str(url),
                        status=status,
                    )
                url = _follow(url, reply.headers["location"])
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
        if _host_key(url.host) == home:
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

    @contextlib.asynccontextmanager
    async def _turn(self, host: str) -> AsyncIterator[None]:
        """The host's turn: no overlap, and per_host_delay between request starts."""
        pace = self._paces.setdefault(_host_key(host), _Pace())
        async with pace.lock:
            loop = asyncio.get_running_loop()
            while (wait := pace.next_start - loop.time()) > 0:  # sleep may wake a tick early
                await asyncio.sleep(wait)
            pace.next_start = loop.time() + self._settings.per_host_delay
            yield

    async def _exchange(self, url: httpx.URL, headers: dict[str, str], limit: int) -> _Reply:
        """One GET under the host's turn and the deadline; the body is read for 2xx only."""
        timeout = self._settings.timeout
        async with self._turn(url.host):
            try:
                async with asyncio.timeout(timeout):
                    async with self._client.stream("GET", url, headers=headers) as response:
                        ok = 200 <= response.status_code < 300
                        body = await _read_bounded(response, limit) if ok else b""
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
        origin = f"{url.scheme}://{_host_key(url.host)}:{url.port or ''}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self._robots.get(origin)
            if cached is None or time.monotonic() - cached[0] > ROBOTS_TTL:
                robots_url = url.copy_with(path="/robots.txt", query=None, fragment=None)
                cached = (time.monotonic(), await self._load_robots(robots_url, home))
                self._robots[origin] = cached
        if not cached[1](str(url)):
            raise PermanentFetchError("disallowed by robots.txt", url=str(url))

    async def _load_robots(self, url: httpx.URL, home: str) -> Callable[[str], bool]:
        """robots.txt of one origin as a predicate on URLs, following the module's policy."""
        limit = min(ROBOTS_MAX_BYTES, self._settings.max_bytes)
        try:
            for _ in range(self._settings.max_redirects + 1):
                await self._check_target(url, home)
                reply = await self._exchange(url, {}, limit)
                if reply.status not in REDIRECT_STATUSES or "location" not in reply.headers:
                    break
                url = _follow(url, reply.headers["location"])
        except FetchError as exc:
            log.warning("robots.txt %s unavailable (%s): allowing all", url, exc.message)
            return _allow_all
        if reply.status in (401, 403):
            return _disallow_all
        if 200 <= reply.status < 300:
            parser = RobotFileParser(str(url))
            parser.parse(reply.body.decode("utf-8-sig", "replace").splitlines())
            return functools.partial(parser.can_fetch, self._settings.user_agent)
        if reply.status >= 500:
            log.warning("robots.txt %s answered HTTP %d: allowing all", url, reply.status)
        return _allow_all  # 404, 410 and other 4xx, 5xx, or redirects without end


def _allow_all(url: str) -> bool:
    return True


def _disallow_all(url: str) -> bool:
    return False
