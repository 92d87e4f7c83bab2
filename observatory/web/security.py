"""The web app's guard: read-only methods, optional token, strict headers on every response.

One pure ASGI middleware (streamed responses pass through untouched):

- anything but GET and HEAD answers 405 with ``Allow: GET, HEAD``, on every path;
- when ``OBSERVATORY_API_TOKEN`` is set, every path but ``/healthz`` and ``/static/`` needs it, as
  ``Authorization: Bearer TOKEN``, ``?token=TOKEN`` (which also sets an HttpOnly cookie so that a
  browser can follow the links of the pages) or that cookie; compared in constant time;
- every response carries a Content-Security-Policy that allows no script at all, ``nosniff``,
  ``Referrer-Policy``, ``X-Frame-Options`` and friends.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_ENV = "OBSERVATORY_API_TOKEN"
TOKEN_IN_QUERY = re.compile(r"([?&])token=[^&\s]*")
log = logging.getLogger("observatory.web")
COOKIE = "observatory_token"
ALLOWED_METHODS = ("GET", "HEAD")
OPEN_PREFIXES = ("/healthz", "/static/")
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"interest-cohort=(), camera=(), microphone=(), geolocation=()"),
]


def token_matches(given: str | None, expected: str) -> bool:
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def presented_tokens(scope: Scope) -> tuple[str | None, str | None, str | None]:
    """(bearer header, ?token= parameter, cookie) as sent with the request."""
    bearer = cookie = None
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                bearer = credentials.strip()
        elif name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is no token, not an error
                continue
            if COOKIE in jar:
                cookie = jar[COOKIE].value
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    param = query.get("token", [None])[0]
    return bearer, param, cookie


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, *, token: str | None = None) -> None:
        self.app = app
        self.token = token or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        set_cookie: bytes | None = None
        if scope["method"] not in ALLOWED_METHODS:
            await _plain(send, 405, b"Method Not Allowed: this service is read-only\n")
            return
        if self.token and not scope["path"].startswith(OPEN_PREFIXES):
            bearer, param, cookie = presented_tokens(scope)
            if token_matches(param, self.token):
                set_cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/".encode(
                    "latin-1"
                )
            elif not (token_matches(bearer, self.token) or token_matches(cookie, self.token)):
                await _plain(send, 401, b"Unauthorized: a token is needed\n")
                return

        head = scope["method"] == "HEAD"
        if head:  # answered as GET without a body, so every GET route also answers HEAD
            scope = dict(scope, method="GET")

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            if message["type"] == "http.response.start":
                started = True
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {name for name, _ in SECURITY_HEADERS}
                ]
                headers += SECURITY_HEADERS
                if set_cookie:
                    headers.append((b"set-cookie", set_cookie))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:  # answered here, so that a 500 carries the security headers too
            log.exception("error while serving %s", scope.get("path", "?"))
            if not started:
                await _plain(send, 500, b"Internal Server Error\n")


class RedactTokens(logging.Filter):
    """Keeps ``?token=...`` out of access logs (uvicorn logs the path with its query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                TOKEN_IN_QUERY.sub(r"\1token=[redacted]", a) if isinstance(a, str) else a
                for a in record.args
            )
        return True


async def _plain(send: Send, status: int, body: bytes) -> None:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *SECURITY_HEADERS,
    ]
    if status == 405:
        headers.append((b"allow", ", ".join(ALLOWED_METHODS).encode()))
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="observatory"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
