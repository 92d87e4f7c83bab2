"""Which addresses a fetch may reach, and which URLs it may follow (http and https only)."""

from __future__ import annotations

import ipaddress

import httpx

from observatory.errors import PermanentFetchError


def is_blocked_address(address: str) -> bool:
    """True for an address a fetch may not reach unless the operator configured it."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and is_blocked_address(str(embedded)):
            return True  # an IPv4 address inside an IPv6 one (mapped, 6to4, Teredo)
        if ip.ipv4_mapped is not None:
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


def host_key(host: str) -> str:
    return host.lower().rstrip(".")


def parse_url(url: str | httpx.URL) -> httpx.URL:
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


def follow(url: httpx.URL, location: str) -> httpx.URL:
    try:
        return parse_url(url.join(location))
    except httpx.InvalidURL as exc:
        raise PermanentFetchError(
            f"bad redirect Location {location!r}: {exc}", url=str(url)
        ) from None
