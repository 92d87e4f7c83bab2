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
- Many processes (``observatory worker`` on PostgreSQL) share a ``HostPace`` and a ``RobotsStore``
  handed to the Fetcher: the pace then holds across the cluster, and robots.txt is read once for
  all of them.
- robots.txt is read once per origin per Fetcher (kept 24 h, as RFC 9309 suggests) through the same
  bounded path. 401/403 disallow all, other 4xx allow all (the stdlib convention). A network error,
  a 5xx or an oversized file allows all and is logged: an outage of robots.txt alone should not
  silence a regulator's page, and the page request itself stays paced and bounded.
- An empty 200 body is returned as is; the pipeline treats it as an error on the source.
- A bot-protection challenge (EUR-Lex's AWS WAF: HTTP 202, empty body, ``x-amzn-waf-action:
  challenge``; Cloudflare's ``cf-mitigated``) is its own permanent error, "blocked by the site's
  bot protection" (``challenge.py``), never an empty page.
- ``Accept-Language: en`` is sent, so content negotiation (CELLAR) gives the English version.
- Proxies and .netrc from the environment are ignored (``trust_env=False``).

Known limit: the guard resolves a host, then httpx resolves it again to connect, so a DNS answer
that changes in between (rebinding) is not caught; pinning the vetted address needs a custom
httpcore network backend.
"""

import sys

# httpx imports its own command-line tool on import (click, rich, pygments: 60 ms, a tenth of
# the start-up of `observatory check`); a None in sys.modules makes that import fail, and httpx
# then leaves its CLI out, as it does when those packages are missing. Nothing here uses it.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from observatory.fetch.client import Fetcher, FetchResult, HostPace  # noqa: E402
from observatory.fetch.guard import host_key, is_blocked_address  # noqa: E402
from observatory.fetch.retry import parse_retry_after  # noqa: E402
from observatory.fetch.robots import Policy, RobotsStore  # noqa: E402

__all__ = [
    "FetchResult",
    "Fetcher",
    "HostPace",
    "Policy",
    "RobotsStore",
    "host_key",
    "is_blocked_address",
    "parse_retry_after",
]
