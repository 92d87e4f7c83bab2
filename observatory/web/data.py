"""What the web views read: pages of changes (keyset), every change (streamed), counts, context.

Pages are keyset-paginated on the change id, newest first, so page 1000 costs what page 1 costs.
Filters are the CLI's ``ChangeFilter``; words go through ``observatory.search`` (FTS5 on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, literal, select, text, tuple_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from observatory.document import Block, Document
from observatory.store import search
from observatory.store.changes import ChangeFilter
from observatory.store.models import ChangeDimension, ChangeRow, Check, Snapshot, UTCDateTime


@dataclass
class Page:
    rows: list[ChangeRow]
    next_cursor: int | None
    highlights: dict[int, search.Highlight] = field(default_factory=dict)


def _filtered(flt: ChangeFilter, *, fts: bool) -> tuple[Any, Any]:
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
    if flt.ids:
        query = query.where(col(ChangeRow.id).in_(list(flt.ids)))
    return search.apply_search(query, flt.words, fts=fts)


def page_of_changes(
    engine: Engine,
    flt: ChangeFilter,
    *,
    cursor: int | None = None,
    limit: int = 50,
    fts: bool = True,
    highlight: bool = False,
) -> Page:
    """At most *limit* changes after *cursor* (a change id) in the list's order, newest first.

    Lists are ordered by (detected_at, id), which the indexes on detected_at and on
    (source_id, detected_at) answer without sorting, for date ranges too; a full-text search is
    ordered by id, which the FTS5 index answers (ids grow with detection time).
    """
    query, order = _filtered(flt, fts=fts)
    searching = order is not None
    with Session(engine) as session:
        if searching:
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
        marks: dict[int, search.Highlight] = {}
        if highlight and flt.words and rows:
            ids = [r.id for r in rows if r.id is not None]
            if fts:
                marks = search.highlights(session.connection(), ids, flt.words)
            else:
                marks = {
                    r.id: search.Highlight(
                        search.mark_words(r.title, flt.words),
                        search.mark_words(" … ".join(r.added or r.removed)[:400], flt.words),
                    )
                    for r in rows
                    if r.id is not None
                }
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


def iter_all(
    engine: Engine, flt: ChangeFilter, *, fts: bool = True, batch: int = 500
) -> Iterator[ChangeRow]:
    """Every matching change, newest first, read in keyset batches (memory stays flat)."""
    cursor: int | None = None
    while True:
        page = page_of_changes(engine, flt, cursor=cursor, limit=batch, fts=fts)
        yield from page.rows
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def get_change(engine: Engine, change_id: int) -> ChangeRow | None:
    with Session(engine) as session:
        return session.get(ChangeRow, change_id)


def _month(engine: Engine) -> Any:
    """``YYYY-MM`` of detected_at, computed in the database (SQLite stores ISO text)."""
    if engine.dialect.name == "sqlite":
        return func.substr(col(ChangeRow.detected_at), 1, 7)
    return func.to_char(col(ChangeRow.detected_at), "YYYY-MM")


def month_keys(months: int, now: datetime | None = None) -> list[str]:
    """The last *months* months as ``YYYY-MM``, oldest first, the current month last."""
    now = now or datetime.now(UTC)
    year, month = now.year, now.month
    keys = []
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def dimension_months(engine: Engine, months: int = 12) -> dict[str, dict[str, int]]:
    """dimension -> {YYYY-MM -> changes} over the last *months* months."""
    keys = month_keys(months)
    start = datetime.fromisoformat(keys[0] + "-01").replace(tzinfo=UTC)
    out: dict[str, dict[str, int]] = {}
    if engine.dialect.name == "sqlite":
        # CROSS JOIN fixes the join order: walk the detected_at index over the months shown,
        # then the (change_id, dimension) key; left to itself the planner scans every tag.
        query: Any = text(
            "SELECT d.dimension, substr(c.detected_at, 1, 7) AS month, count(*) "
            "FROM changes c CROSS JOIN change_dimensions d ON d.change_id = c.id "
            "WHERE c.detected_at >= :start GROUP BY d.dimension, month"
        ).bindparams(start=start.strftime("%Y-%m-%d %H:%M:%S.%f"))
    else:
        month = _month(engine)
        query = (
            select(col(ChangeDimension.dimension), month, func.count())
            .join_from(
                ChangeRow, ChangeDimension, col(ChangeDimension.change_id) == col(ChangeRow.id)
            )
            .where(col(ChangeRow.detected_at) >= start)
            .group_by(col(ChangeDimension.dimension), month)
        )
    with Session(engine) as session:
        for dimension, key, count in session.execute(query):
            out.setdefault(dimension, {})[str(key)] = int(count)
    return out


def source_months(engine: Engine, source_id: str, months: int = 24) -> dict[str, int]:
    """YYYY-MM -> changes of one source over the last *months* months."""
    keys = month_keys(months)
    start = datetime.fromisoformat(keys[0] + "-01").replace(tzinfo=UTC)
    month = _month(engine)
    query = (
        select(month, func.count())
        .where(col(ChangeRow.source_id) == source_id, col(ChangeRow.detected_at) >= start)
        .group_by(month)
    )
    with Session(engine) as session:
        return {str(key): int(count) for key, count in session.execute(query)}


def change_counts(engine: Engine, since: timedelta = timedelta(days=30)) -> dict[str, int]:
    """source id -> changes detected in the last *since*."""
    start = datetime.now(UTC) - since
    query = (
        select(col(ChangeRow.source_id), func.count())
        .where(col(ChangeRow.detected_at) >= start)
        .group_by(col(ChangeRow.source_id))
    )
    with Session(engine) as session:
        return {sid: int(n) for sid, n in session.execute(query)}


def recent_checks(engine: Engine, source_id: str, limit: int = 30) -> list[Check]:
    query = (
        select(Check)
        .where(col(Check.source_id) == source_id)
        .order_by(col(Check.id).desc())
        .limit(limit)
    )
    with Session(engine) as session:
        return list(session.scalars(query))


def recent_snapshots(engine: Engine, source_id: str, limit: int = 30) -> list[Snapshot]:
    query = (
        select(Snapshot)
        .where(col(Snapshot.source_id) == source_id)
        .order_by(col(Snapshot.id).desc())
        .limit(limit)
    )
    with Session(engine) as session:
        return list(session.scalars(query))


def snapshot_with_document(engine: Engine, snapshot_id: int) -> tuple[Snapshot, Document] | None:
    from observatory.store.snapshots import load_document

    with Session(engine) as session:
        snapshot = session.get(Snapshot, snapshot_id)
        if snapshot is None:
            return None
        return snapshot, load_document(session, snapshot)


@dataclass(frozen=True)
class InContext:
    """A changed block with its neighbours in the stored document (None when not found)."""

    before: str | None
    text: str
    after: str | None


def in_context(document: Document, texts: list[str]) -> list[InContext]:
    """Each of *texts* as found among the document's blocks, with the block before and after."""
    blocks: list[Block] = list(document.blocks)
    out = []
    for wanted in texts:
        index = next((i for i, b in enumerate(blocks) if b.text == wanted), None)
        if index is None:
            out.append(InContext(None, wanted, None))
            continue
        before = blocks[index - 1].text if index > 0 else None
        after = blocks[index + 1].text if index + 1 < len(blocks) else None
        out.append(InContext(before, wanted, after))
    return out
