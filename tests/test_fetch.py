"""observatory.fetch against a real loopback server: pacing, robots, limits, redirects, retries."""

from __future__ import annotations

import asyncio
import gzip
import io
import itertools
import socket
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest

from observatory.config import Settings
from observatory.errors import FetchError, PermanentFetchError, TransientFetchError
from observatory.fetch import Fetcher, FetchResult, is_blocked_address, parse_retry_after
from tests.sitesrv import FixtureSite, Handler, Response

T = TypeVar("T")
UA = "Observatory-test/0.1 (+https://example.invalid/contact)"


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "per_host_delay": 0.0,
        "timeout": 2.0,
        "max_bytes": 1_000_000,
        "max_redirects": 5,
        "retries": 0,
        "retry_backoff": 0.5,
        "retry_after_cap": 5.0,
        "respect_robots": True,
        "user_agent": UA,
    }
    return Settings(**{**base, **overrides})


class Waits(list[float]):
    """A ``sleep`` that records the retry waits instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


async def fetch_once(s: Settings, url: str, **kw: Any) -> FetchResult:
    async with Fetcher(s, sleep=kw.pop("sleep", Waits())) as fetcher:
        return await fetcher.fetch(url, **kw)


def fetch_error(s: Settings, url: str, **kw: Any) -> FetchError:
    with pytest.raises(FetchError) as info:
        run(fetch_once(s, url, **kw))
    return info.value


def ok(body: bytes = b"<p>hello</p>", /, **headers: str) -> Callable[[Handler], Response]:
    return lambda handler: Response(200, body, {"Content-Type": "text/html", **headers})


def stamped(times: list[float], response: Response) -> Callable[[Handler], Response]:
    def route(handler: Handler) -> Response:
        times.append(time.monotonic())
        return response

    return route


def raw(head: bytes, chunks: list[bytes], pause: float = 0.0) -> Callable[[Handler], Response]:
    """A route that writes its own bytes (no Content-Length, trickled body...)."""

    def route(handler: Handler) -> Response:
        try:
            handler.wfile.write(head)
            handler.wfile.flush()
            for chunk in chunks:
                time.sleep(pause)
                handler.wfile.write(chunk)
                handler.wfile.flush()
        except OSError:
            pass  # the client gave up, as it should
        handler.close_connection = True
        handler.wfile = io.BytesIO()  # swallow what sitesrv writes after the route
        return Response()

    return route


def chunked(body: bytes, size: int = 65536) -> list[bytes]:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return [f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts] + [b"0\r\n\r\n"]


class RecordingTransport(httpx.AsyncBaseTransport):
    """Records every host asked for; forwards only to 127.0.0.1, so that even a broken guard
    never sends a packet to a real private or metadata address from a test."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.hosts: list[str] = []
        self.started: list[tuple[float, str]] = []  # (monotonic time, path) as each request leaves

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        self.started.append((time.monotonic(), request.url.path))
        if request.url.host != "127.0.0.1":
            raise httpx.ConnectError("test transport: non-loopback target", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _fresh(server: FixtureSite) -> FixtureSite:
    server.routes.clear()
    server.log.clear()
    server.version = 1
    return server


# sitesrv's serve_forever polls for shutdown every 0.5 s, so a server per test would spend most of
# this file's time in teardown: one real server per module, reset before each test, instead.
@pytest.fixture(scope="module")
def _site_server() -> Iterator[FixtureSite]:
    server = FixtureSite().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def _other_server() -> Iterator[FixtureSite]:
    server = FixtureSite(host="127.0.0.2").start()
    yield server
    server.stop()


@pytest.fixture
def site(_site_server: FixtureSite) -> FixtureSite:
    """The loopback fixture site on 127.0.0.1 (shadows conftest's per-test server)."""
    return _fresh(_site_server)


@pytest.fixture
def other_site(_other_server: FixtureSite) -> FixtureSite:
    """A second host on loopback: 127.0.0.2."""
    return _fresh(_other_server)


# --- conditional GET and headers -------------------------------------------------------------


def test_etag_then_not_modified(site: FixtureSite) -> None:
    site.routes["/page"] = ok(ETag='"v1"', **{"Last-Modified": "Mon, 05 May 2025 10:00:00 GMT"})
    first = run(fetch_once(settings(), site.url("/page")))
    assert (first.status, first.http_status, first.body) == ("ok", 200, b"<p>hello</p>")
    assert first.etag == '"v1"' and first.content_type == "text/html"
    assert first.last_modified == "Mon, 05 May 2025 10:00:00 GMT"
    assert first.url == site.url("/page") and first.attempts == 1 and first.elapsed > 0

    again = run(
        fetch_once(
            settings(), site.url("/page"), etag=first.etag, last_modified=first.last_modified
        )
    )
    assert (again.status, again.http_status, again.body, again.etag) == (
        "not_modified",
        304,
        b"",
        '"v1"',
    )
    sent = site.requests_for("/page")[-1][2]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 05 May 2025 10:00:00 GMT"

    forced = run(fetch_once(settings(), site.url("/page"), etag='"v1"', conditional=False))
    assert forced.status == "ok" and forced.body == b"<p>hello</p>"
    assert "If-None-Match" not in site.requests_for("/page")[-1][2]


def test_unwanted_bodies_are_drained_so_one_connection_serves_every_poll(
    site: FixtureSite,
) -> None:
    """A 304, a 404 robots.txt and a short error page are read and dropped, not left unread (an
    unread body closes the connection): polling unchanged pages opens no new TCP connection."""
    peers: list[int] = []

    def seen(response: Response) -> Callable[[Handler], Response]:
        def route(handler: Handler) -> Response:
            peers.append(handler.client_address[1])
            return response

        return route

    site.routes["/robots.txt"] = seen(Response(404, b"<h1>Not found</h1>" * 20))
    site.routes["/page"] = seen(Response(200, b"<p>hello</p>", {"ETag": '"v1"'}))
    site.routes["/gone"] = seen(Response(410, b"<h1>Gone</h1>"))

    async def polls() -> list[str]:
        async with Fetcher(settings()) as fetcher:
            statuses = [(await fetcher.fetch(site.url("/page"))).status]
            for _ in range(3):
                statuses.append((await fetcher.fetch(site.url("/page"), etag='"v1"')).status)
            with pytest.raises(PermanentFetchError):
                await fetcher.fetch(site.url("/gone"))
            statuses.append((await fetcher.fetch(site.url("/page"), etag='"v1"')).status)
            return statuses

    assert run(polls()) == ["ok", *["not_modified"] * 4]
    assert len(peers) == 7 and len(set(peers)) == 1, peers  # robots, 5 polls, the 410


def test_honest_headers(site: FixtureSite) -> None:
    site.routes["/page"] = ok()
    run(fetch_once(settings(), site.url("/page")))
    sent = site.requests_for("/page")[0][2]
    assert sent["User-Agent"] == UA
    assert sent["Accept-Encoding"] == "gzip, deflate"
    assert "text/html" in sent["Accept"]
    assert site.requests_for("/robots.txt")[0][2]["User-Agent"] == UA


def test_accept_language_asks_for_english(site: FixtureSite) -> None:
    site.routes["/page"] = ok()
    run(fetch_once(settings(), site.url("/page")))
    assert site.requests_for("/page")[0][2]["Accept-Language"].startswith("en")


@pytest.mark.parametrize(
    "headers",
    [{"x-amzn-waf-action": "challenge"}, {"cf-mitigated": "challenge"}],
    ids=["aws-waf", "cloudflare"],
)
def test_a_bot_challenge_is_its_own_permanent_error(site: FixtureSite, headers: dict) -> None:
    site.routes["/act"] = lambda h: Response(202, b"", {"Content-Type": "text/html", **headers})
    with pytest.raises(PermanentFetchError, match="blocked by the site's bot protection") as exc:
        run(fetch_once(settings(retries=2), site.url("/act")))
    assert exc.value.status == 202
    assert len(site.requests_for("/act")) == 1  # no retry can pass a challenge


def test_empty_200_is_returned_as_is(site: FixtureSite) -> None:
    site.routes["/empty"] = ok(b"")
    result = run(fetch_once(settings(), site.url("/empty")))
    assert (result.status, result.body) == ("ok", b"")


# --- pacing ----------------------------------------------------------------------------------


def test_per_host_delay_between_starts_robots_included(site: FixtureSite) -> None:
    site.routes["/a"] = ok(b"a")
    site.routes["/b"] = ok(b"b")
    transport = RecordingTransport()

    async def both() -> None:
        async with Fetcher(settings(per_host_delay=0.3), transport=transport) as fetcher:
            await asyncio.gather(fetcher.fetch(site.url("/a")), fetcher.fetch(site.url("/b")))

    run(both())
    assert sorted(path for _, path in transport.started) == ["/a", "/b", "/robots.txt"]
    assert transport.started[0][1] == "/robots.txt"  # robots.txt first, and paced like the rest
    starts = [t for t, _ in transport.started]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # the pace is kept where requests leave the Fetcher; 5 ms allows for the client's own work
    assert min(gaps) >= 0.3 - 0.005, gaps
    assert [entry[1] for entry in site.log] == [path for _, path in transport.started]


def test_one_request_at_a_time_per_host_even_without_delay(site: FixtureSite) -> None:
    times: list[float] = []
    site.routes["/slow"] = stamped(times, Response(200, b"x", delay=0.25))

    async def both() -> None:
        async with Fetcher(settings(respect_robots=False)) as fetcher:
            await asyncio.gather(*(fetcher.fetch(site.url("/slow")) for _ in range(2)))

    run(both())
    assert times[1] - times[0] >= 0.24


def test_different_hosts_overlap(site: FixtureSite, other_site: FixtureSite) -> None:
    times: list[float] = []
    for server in (site, other_site):
        server.routes["/slow"] = stamped(times, Response(200, b"x", delay=0.4))

    async def both() -> None:
        async with Fetcher(settings(per_host_delay=1.0, respect_robots=False)) as fetcher:
            await asyncio.gather(
                fetcher.fetch(site.url("/slow")), fetcher.fetch(other_site.url("/slow"))
            )

    run(both())
    assert len(times) == 2 and abs(times[1] - times[0]) < 0.4  # each is served for 0.4 s


# --- robots.txt ------------------------------------------------------------------------------


def test_robots_disallow_is_permanent_and_robots_read_once(site: FixtureSite) -> None:
    site.routes["/robots.txt"] = lambda h: Response(
        200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}
    )
    site.routes["/private/x"] = ok()
    site.routes["/public"] = ok()

    async def two() -> tuple[FetchResult, FetchError]:
        async with Fetcher(settings()) as fetcher:
            good = await fetcher.fetch(site.url("/public"))
            with pytest.raises(PermanentFetchError) as info:
                await fetcher.fetch(site.url("/private/x"), source_id="ema")
            return good, info.value

    good, error = run(two())
    assert good.status == "ok"
    assert "disallowed by robots.txt" in str(error) and error.source_id == "ema"
    assert error.url == site.url("/private/x")
    assert site.requests_for("/private/x") == []
    assert len(site.requests_for("/robots.txt")) == 1


def test_robots_group_for_our_agent(site: FixtureSite) -> None:
    site.routes["/robots.txt"] = lambda h: Response(
        200, b"User-agent: Observatory-test\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    )
    site.routes["/page"] = ok()
    error = fetch_error(settings(), site.url("/page"))
    assert "robots.txt" in str(error)
    assert run(fetch_once(settings(respect_robots=False), site.url("/page"))).status == "ok"


@pytest.mark.parametrize(
    ("status", "allowed"),
    [(404, True), (410, True), (401, False), (403, False), (500, True), (503, True)],
)
def test_robots_status_policy(site: FixtureSite, status: int, allowed: bool) -> None:
    site.routes["/robots.txt"] = lambda h: Response(status, b"User-agent: *\nDisallow: /\n")
    site.routes["/page"] = ok()
    if allowed:
        assert run(fetch_once(settings(), site.url("/page"))).status == "ok"
    else:
        assert "disallowed by robots.txt" in str(fetch_error(settings(), site.url("/page")))
        assert site.requests_for("/page") == []


# --- body cap --------------------------------------------------------------------------------


def test_content_length_over_cap_rejected_early(site: FixtureSite) -> None:
    site.routes["/big"] = ok(b"x" * 5000)
    error = fetch_error(settings(max_bytes=1000), site.url("/big"))
    assert isinstance(error, PermanentFetchError)
    assert "body of 5000 bytes exceeds max_bytes=1000" in str(error)  # from Content-Length


def test_chunked_body_over_cap(site: FixtureSite) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    site.routes["/big"] = raw(head, chunked(b"y" * 300_000, size=10_000))
    site.routes["/fits"] = raw(head, chunked(b"z" * 90_000, size=10_000))
    error = fetch_error(settings(max_bytes=100_000), site.url("/big"))
    assert isinstance(error, PermanentFetchError) and "max_bytes=100000" in str(error)
    assert run(fetch_once(settings(max_bytes=100_000), site.url("/fits"))).body == b"z" * 90_000


def test_gzip_bomb_stopped_at_cap(site: FixtureSite) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    assert len(bomb) < 100_000  # small on the wire, 50 MB inflated
    site.routes["/bomb"] = ok(bomb, **{"Content-Encoding": "gzip"})
    started = time.monotonic()
    error = fetch_error(settings(max_bytes=1_000_000), site.url("/bomb"))
    assert isinstance(error, PermanentFetchError) and "max_bytes=1000000" in str(error)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("coding", ["gzip", "deflate-zlib", "deflate-raw", "gzip-2-members"])
def test_compressed_bodies_decoded(site: FixtureSite, coding: str) -> None:
    text = ("<p>Reflection paper on AI in the medicinal product lifecycle</p>" * 2000).encode()
    if coding == "gzip":
        body, header = gzip.compress(text), "gzip"
    elif coding == "deflate-zlib":
        body, header = zlib.compress(text), "deflate"
    elif coding == "deflate-raw":
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body, header = packer.compress(text) + packer.flush(), "deflate"
    else:
        body, header = gzip.compress(text[:1000]) + gzip.compress(text[1000:]), "gzip"
    site.routes["/z"] = ok(body, **{"Content-Encoding": header})
    assert run(fetch_once(settings(), site.url("/z"))).body == text


def test_unknown_or_corrupt_encoding_is_permanent(site: FixtureSite) -> None:
    site.routes["/br"] = ok(b"\x1b\x00", **{"Content-Encoding": "br"})
    site.routes["/bad"] = ok(b"not gzip at all", **{"Content-Encoding": "gzip"})
    assert "unsupported content encoding 'br'" in str(fetch_error(settings(), site.url("/br")))
    assert "corrupt compressed body" in str(fetch_error(settings(), site.url("/bad")))


# --- deadline and connection errors ----------------------------------------------------------


def test_trickling_body_hits_total_deadline(site: FixtureSite) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n"
    site.routes["/slow"] = raw(head, [b"x"] * 100, pause=0.1)  # each read is quick, the whole isn't
    started = time.monotonic()
    error = fetch_error(settings(timeout=0.5, respect_robots=False), site.url("/slow"))
    assert isinstance(error, TransientFetchError) and "deadline" in str(error)
    assert 0.45 < time.monotonic() - started < 1.5


def test_connection_refused_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = fetch_error(settings(respect_robots=False), f"http://127.0.0.1:{port}/x")
    assert isinstance(error, TransientFetchError) and "connection failed" in str(error)


# --- redirects and the target guard ----------------------------------------------------------


def redirect(location: str, status: int = 302) -> Callable[[Handler], Response]:
    return lambda handler: Response(status, b"", {"Location": location})


def add_chain(site: FixtureSite, length: int) -> None:
    for n in range(1, length + 1):
        target = f"/r{n - 1}" if n % 2 else site.url(f"/r{n - 1}")  # relative and absolute
        site.routes[f"/r{n}"] = redirect(target)
    site.routes["/r0"] = ok(b"arrived")


def test_redirects_followed_up_to_the_limit(site: FixtureSite) -> None:
    add_chain(site, 6)
    result = run(fetch_once(settings(), site.url("/r2")))
    assert (result.url, result.body) == (site.url("/r0"), b"arrived")
    error = fetch_error(settings(max_redirects=5), site.url("/r6"))
    assert isinstance(error, PermanentFetchError) and "max_redirects=5" in str(error)
    assert len(site.requests_for("/r0")) == 1  # from the /r2 run only: /r6 stopped at /r1


@pytest.mark.parametrize("via", ["localhost", "127.0.0.2"])
def test_redirect_to_other_loopback_name_blocked(
    site: FixtureSite, other_site: FixtureSite, via: str
) -> None:
    # a listening server behind each name, so a connection would have been logged
    target = other_site if via == "127.0.0.2" else site
    port = target.base_url.rsplit(":", 1)[1]
    site.routes["/go"] = lambda h: Response(302, b"", {"Location": f"http://{via}:{port}/x"})
    error = fetch_error(settings(), site.url("/go"))
    assert isinstance(error, PermanentFetchError)
    assert "blocked private address" in str(error) and f"host {via}" in str(error)
    assert other_site.log == [] and site.requests_for("/x") == []


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/", "http://[::ffff:127.0.0.1]/"],
)
def test_redirect_to_metadata_or_private_refused_before_connecting(
    site: FixtureSite, target: str
) -> None:
    site.routes["/go"] = lambda h: Response(302, b"", {"Location": target})
    transport = RecordingTransport()

    async def go() -> None:
        async with Fetcher(settings(), transport=transport) as fetcher:
            await fetcher.fetch(site.url("/go"))

    with pytest.raises(PermanentFetchError, match="blocked private address"):
        run(go())
    assert set(transport.hosts) == {"127.0.0.1"}


def test_only_http_and_https(site: FixtureSite) -> None:
    assert "unsupported URL scheme 'ftp'" in str(fetch_error(settings(), "ftp://127.0.0.1/x"))
    site.routes["/go"] = lambda h: Response(301, b"", {"Location": "ftp://127.0.0.1/x"})
    assert "unsupported URL scheme 'ftp'" in str(fetch_error(settings(), site.url("/go")))
    site.routes["/file"] = lambda h: Response(302, b"", {"Location": "file:///etc/passwd"})
    assert "unsupported URL scheme 'file'" in str(fetch_error(settings(), site.url("/file")))
    site.routes["/bad"] = redirect("http://[zz::1]/")
    assert "bad redirect" in str(fetch_error(settings(), site.url("/bad")))


# --- retries ---------------------------------------------------------------------------------


def test_retry_after_honoured_then_ok(site: FixtureSite) -> None:
    calls = iter([Response(503, b"busy", {"Retry-After": "1"}), Response(200, b"fine")])
    site.routes["/flaky"] = lambda h: next(calls)
    waits = Waits()
    result = run(fetch_once(settings(retries=2), site.url("/flaky"), sleep=waits))
    assert (result.status, result.body, result.attempts) == ("ok", b"fine", 2)
    assert waits == [1.0]


def test_retry_after_capped(site: FixtureSite) -> None:
    calls = iter([Response(429, b"", {"Retry-After": "3600"}), Response(200, b"fine")])
    site.routes["/flaky"] = lambda h: next(calls)
    waits = Waits()
    run(fetch_once(settings(retries=1, retry_after_cap=5.0), site.url("/flaky"), sleep=waits))
    assert waits == [5.0]


def test_server_error_forever_gives_up_after_retries(site: FixtureSite) -> None:
    site.routes["/down"] = lambda h: Response(500, b"oops")
    waits = Waits()
    error = fetch_error(settings(retries=2), site.url("/down"), sleep=waits, source_id="ema")
    assert isinstance(error, TransientFetchError)
    assert (error.status, error.source_id, error.url) == (500, "ema", site.url("/down"))
    assert "after 3 attempts" in str(error)
    assert len(site.requests_for("/down")) == 3
    assert len(waits) == 2 and 0.5 <= waits[0] <= 0.625 and 1.0 <= waits[1] <= 1.25


def test_not_found_is_permanent_at_once(site: FixtureSite) -> None:
    waits = Waits()
    error = fetch_error(settings(retries=3), site.url("/missing"), sleep=waits, source_id="ema")
    assert isinstance(error, PermanentFetchError)
    assert (error.status, error.source_id) == (404, "ema")
    assert len(site.requests_for("/missing")) == 1 and waits == []


def test_timeouts_are_retried(site: FixtureSite) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
    site.routes["/slow"] = raw(head, [b"x"] * 10, pause=0.1)
    waits = Waits()
    error = fetch_error(
        settings(timeout=0.3, retries=1, respect_robots=False), site.url("/slow"), sleep=waits
    )
    assert isinstance(error, TransientFetchError) and len(site.requests_for("/slow")) == 2


# --- pure helpers ----------------------------------------------------------------------------


def test_parse_retry_after() -> None:
    now = datetime(2025, 5, 5, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Mon, 05 May 2025 10:00:30 GMT", now) == 30.0
    assert parse_retry_after("Mon, 05 May 2025 09:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after(None, now) is None


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("100.64.0.1", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        ("fc00::1", True),
        ("::ffff:10.0.0.1", True),
        ("240.0.0.1", True),
        ("93.184.215.14", False),
        ("2a00:1450:4001::1", False),
    ],
)
def test_is_blocked_address(address: str, blocked: bool) -> None:
    assert is_blocked_address(address) is blocked


def test_one_client_per_host_and_the_least_recently_used_idle_one_closed(
    site: FixtureSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each host has its own client (no request looks through other hosts' connections); past
    MAX_CLIENTS the least recently used idle one is closed, and that host still answers."""
    from observatory.fetch import clients

    monkeypatch.setattr(clients, "MAX_CLIENTS", 1)
    site.routes["/page"] = ok()
    other = site.url("/page").replace("127.0.0.1", "localhost")  # another host name

    async def polls() -> list[int]:
        async with Fetcher(settings(respect_robots=False)) as fetcher:
            kept = []
            for url in (site.url("/page"), other, site.url("/page")):
                assert (await fetcher.fetch(url)).status == "ok"
                kept.append(len(fetcher._clients._by_host))
            return kept

    assert run(polls()) == [1, 1, 1]
    assert len(site.requests_for("/page")) == 3
