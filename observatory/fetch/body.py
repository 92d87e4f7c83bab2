"""Reading a response body within a byte cap, undoing gzip/deflate in bounded steps.

A compression bomb is stopped at ``max_bytes`` without inflating more than ``_STEP`` bytes past it.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Callable, Iterator
from itertools import chain

import httpx

from observatory.errors import PermanentFetchError

_STEP = 64 * 1024  # most bytes inflated from one call into zlib
MAX_CODINGS = 3  # content codings undone for one body (servers use one)
DRAIN_BYTES = 64 * 1024  # an unwanted body (304, 404, a redirect) up to this size is read ...
DRAIN_SECONDS = 1.0  # ... within this time, and dropped


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
    if len(codings) > MAX_CODINGS:  # no server stacks codings; a pile of them is an attack
        raise PermanentFetchError(
            f"{len(codings)} content codings stacked (at most {MAX_CODINGS} are undone)"
        )
    unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate")]
    if unknown:
        raise PermanentFetchError(f"unsupported content encoding {unknown[0]!r}")
    stages = [_Inflater(c).feed for c in reversed(codings)]

    def decode(data: bytes) -> Iterator[bytes]:
        """The stages chained lazily, in a loop (no recursion): each piece flows through
        every stage before the next is inflated, so the byte cap is checked as it grows."""
        pieces: Iterator[bytes] = iter((data,))
        for stage in stages:
            pieces = chain.from_iterable(map(stage, pieces))
        return pieces

    return decode


async def read_bounded(response: httpx.Response, limit: int) -> bytes:
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


async def drain(response: httpx.Response) -> None:
    """Read and drop a body we do not want (a 304, a 404 page, a redirect's note), raw and
    bounded, so that the connection serves the next request: an unread body closes it, and a new
    TCP connection per poll is most of the cost of polling an unchanged page. A longer or slow
    body is left unread (the connection is closed then); nothing here fails the request."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > DRAIN_BYTES:
        return
    seen = 0
    with contextlib.suppress(TimeoutError, httpx.HTTPError):
        async with asyncio.timeout(DRAIN_SECONDS):
            async for raw in response.aiter_raw():
                seen += len(raw)
                if seen > DRAIN_BYTES:
                    return
