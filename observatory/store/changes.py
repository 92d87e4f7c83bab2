"""Reading changes: the one filter-to-SQL, keyset pages, and the shapes every output uses.

The CLI, the web pages, the Atom feed and the API all filter with ``ChangeFilter`` through
``filtered``; words mean the same everywhere: full-text search (FTS5 on SQLite, a tsvector on
PostgreSQL, see ``observatory.store.search``). Pages are keyset-paginated, newest first, so page
1000 costs what page 1 costs. Every output shape (CLI JSON, API JSON, CSV, digests) starts from
``change_to_dict``, so the contract lives in one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, literal, select, tuple_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from observatory.errors import UsageError
from observatory.store import search
from observatory.store.models import ChangeDimension, ChangeRow, UTCDateTime, as_utc, iso

_RELATIVE = re.compile(r"^([0-9]{1,9})\s*([hdw])$")


def parse_when(value: str | None, *, option: str) -> datetime | None:
    """``2026-06-01``, ``2026-06-01T12:00``, ``2026-06-01T12:00Z`` or relative ``7d``/``12h``."""
    if not value:
        return None
    match = _RELATIVE.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit] * amount
        try:
            return datetime.now(UTC) - timedelta(hours=hours)
        except OverflowError:
            raise UsageError(f"{option}: {value!r} reaches before year 1") from None
    try:
        return as_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        raise UsageError(
            f"{option}: cannot read {value!r} as a date (use 2026-06-01, 2026-06-01T12:00Z or 7d)"
        ) from None
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise UsageError(f"{option}: {value!r} is outside the calendar") from None


@dataclass(frozen=True)
class ChangeFilter:
    sources: Sequence[str] = ()
    dimensions: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    words: str = ""


@dataclass
class Page:
    rows: list[ChangeRow]
    next_cursor: int | None
    highlights: dict[int, search.Highlight] = field(default_factory=dict)


def filtered(flt: ChangeFilter, *, fts: search.Index) -> tuple[Any, Any]:
    """``select(ChangeRow)`` restricted by *flt*, and the id column a search orders by (None
    when no words are searched)."""
    query = select(ChangeRow)
    if flt.sources:
        query = query.where(col(ChangeRow.source_id).in_(list(flt.sources)))
    if flt.dimensions:
        # correlated EXISTS: checked row by row while walking the id index, never materialised
        query = query.where(
            exists().where(
                col(ChangeDimension.change_id) == col(ChangeRow.id),
                col(ChangeDimension.dimension).in_(list(flt.dimensions)),
            )
        )
    if flt.since:
        query = query.where(col(ChangeRow.detected_at) >= flt.since)
    if flt.until:
        query = query.where(col(ChangeRow.detected_at) < flt.until)
    return search.apply_search(query, flt.words, fts=fts)


def page_of_changes(
    engine: Engine,
    flt: ChangeFilter,
    *,
    cursor: int | None = None,
    limit: int = 50,
    fts: search.Index | None = None,
    highlight: bool = False,
) -> Page:
    """At most *limit* changes after *cursor* (a change id) in the list's order, newest first.

    Lists are ordered by (detected_at, id), which the indexes on detected_at and on
    (source_id, detected_at) answer without sorting, for date ranges too; a full-text search is
    ordered by id, which the full-text index answers (ids grow with detection time). *fts* says
    which index the engine has (None: look it up).
    """
    fts = search.full_text_index(engine) if fts is None else fts
    query, order = filtered(flt, fts=fts)
    with Session(engine) as session:
        if order is not None:  # searching: the index's order
            if cursor is not None:
                query = query.where(order < cursor)
            query = query.order_by(order.desc())
        else:
            if cursor is not None:
                query = query.where(_before(session, cursor))
            query = query.order_by(col(ChangeRow.detected_at).desc(), col(ChangeRow.id).desc())
        rows = list(session.scalars(query.limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        marks = {}
        if highlight and flt.words:
            marks = search.highlights(session.connection(), rows, flt.words, fts)
    next_cursor = rows[-1].id if more and rows else None
    return Page(rows, next_cursor, marks)


def _before(session: Session, cursor: int) -> Any:
    """Rows after the cursor's row in (detected_at DESC, id DESC) order."""
    detected_at = session.scalar(
        select(col(ChangeRow.detected_at)).where(col(ChangeRow.id) == cursor)
    )
    if detected_at is None:  # the row is gone: fall back to the id alone
        return col(ChangeRow.id) < cursor
    return tuple_(col(ChangeRow.detected_at), col(ChangeRow.id)) < tuple_(
        literal(detected_at, type_=UTCDateTime()), literal(cursor)
    )


def iter_changes(
    engine: Engine,
    flt: ChangeFilter,
    *,
    limit: int | None = None,
    fts: search.Index | None = None,
    batch: int = 500,
) -> Iterator[ChangeRow]:
    """Every matching change (at most *limit*), newest first, read in keyset batches (memory
    stays flat)."""
    fts = search.full_text_index(engine) if fts is None else fts
    cursor: int | None = None
    left = limit if limit is not None else -1
    while left != 0:
        size = batch if left < 0 else min(batch, left)
        page = page_of_changes(engine, flt, cursor=cursor, limit=size, fts=fts)
        yield from page.rows
        left -= len(page.rows) if left > 0 else 0
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def get_change(engine: Engine, change_id: int) -> ChangeRow | None:
    with Session(engine) as session:
        return session.get(ChangeRow, change_id)


def change_to_dict(row: ChangeRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "source": row.source_id,
        "url": row.url,
        "detected_at": iso(row.detected_at),
        "kind": row.kind,
        "location": row.location,
        "title": row.title,
        "added": list(row.added),
        "removed": list(row.removed),
        "diff": [list(op) for op in row.diff],
        "dimensions": list(row.dimensions),
        "evidence": dict(row.evidence),
        "about_ai": row.about_ai,
        "tagged_with": row.tagged_with,
        "snapshot_id": row.snapshot_id,
        "previous_snapshot_id": row.previous_snapshot_id,
    }


CSV_FIELDS = (
    "id",
    "source",
    "url",
    "detected_at",
    "kind",
    "location",
    "title",
    "added",
    "removed",
    "dimensions",
    "evidence",
    "diff",
    "about_ai",
    "tagged_with",
)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula


def csv_row(change: dict[str, Any]) -> dict[str, str]:
    """A ``change_to_dict`` as CSV cells: lists and mappings become JSON text (a row
    round-trips), and no cell can run as a spreadsheet formula."""
    out: dict[str, str] = {}
    for key in CSV_FIELDS:
        value = change.get(key)
        if isinstance(value, list | dict | bool):  # JSON text: true/false, not Python's True
            out[key] = safe_cell(json.dumps(value, ensure_ascii=False))
        else:
            out[key] = safe_cell("" if value is None else str(value))
    return out


def safe_cell(text: str) -> str:
    """OWASP's CSV-injection defence: a cell that starts like a formula gets a leading
    apostrophe (shown, never evaluated); scraped text is hostile."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
