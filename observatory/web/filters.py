"""Query parameters shared by the pages, the Atom feed and the API: the same names everywhere.

source=ID (repeatable)  dimension=KEY (repeatable)  since=, until= (2026-06-01, 7d)
q=WORDS (full-text)     cursor=ID (keyset: changes older than this id)  limit=N
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from observatory import dimensions
from observatory.errors import UsageError
from observatory.store.changes import ChangeFilter, parse_when

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class Params:
    """The filter parameters as given (strings), to rebuild links and fill the form."""

    sources: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    since: str = ""
    until: str = ""
    q: str = ""

    def to_filter(self) -> ChangeFilter:
        """The ChangeFilter these parameters mean; UsageError on a bad date or dimension."""
        try:
            dimensions.check_keys(list(self.dimensions))
        except ValueError as exc:
            raise UsageError(f"dimension: {exc}") from None
        return ChangeFilter(
            sources=self.sources,
            dimensions=self.dimensions,
            since=_when(self.since, "since"),
            until=_when(self.until, "until"),
            words=self.q.replace("\x00", "").strip(),
        )

    def pairs(self) -> list[tuple[str, str]]:
        out = [("source", s) for s in self.sources]
        out += [("dimension", d) for d in self.dimensions]
        out += [(name, value) for name, value in (("since", self.since), ("until", self.until))]
        out.append(("q", self.q))
        return [(k, v) for k, v in out if v]

    def query(self, **extra: str | int | None) -> str:
        """``?source=..&q=..`` with *extra* parameters appended (None values left out)."""
        pairs = self.pairs() + [(k, str(v)) for k, v in extra.items() if v is not None]
        return "?" + urlencode(pairs) if pairs else ""

    @property
    def active(self) -> bool:
        return bool(self.pairs())


def _when(value: str, option: str) -> datetime | None:
    try:
        return parse_when(value, option=option)
    except OverflowError:  # e.g. 999999w reaches before year 1
        raise UsageError(f"{option}: {value!r} is too far back") from None


def from_values(
    sources: Sequence[str] | None = None,
    dimensions: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    q: str | None = None,
) -> Params:
    return Params(
        sources=tuple(s for s in (sources or ()) if s),
        dimensions=tuple(d for d in (dimensions or ()) if d),
        since=(since or "").strip(),
        until=(until or "").strip(),
        q=(q or "").strip(),
    )


def from_query(params: QueryParams | Mapping[str, str]) -> Params:
    if isinstance(params, QueryParams):
        return from_values(
            params.getlist("source"),
            params.getlist("dimension"),
            params.get("since"),
            params.get("until"),
            params.get("q"),
        )
    return from_values(
        [params["source"]] if params.get("source") else [],
        [params["dimension"]] if params.get("dimension") else [],
        params.get("since"),
        params.get("until"),
        params.get("q"),
    )


def cursor_of(value: str | None) -> int | None:
    """A cursor parameter as an id; UsageError when it is not a positive integer."""
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise UsageError(f"cursor: expected a change id, got {value!r}")
    return int(value)


def limit_of(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_LIMIT:
        raise UsageError(f"limit: expected a number from 1 to {MAX_LIMIT}, got {value!r}")
    return int(value)
