"""What the web views read: pages of changes (keyset), every change (streamed), counts, context.

Pages are keyset-paginated on the change id, newest first, so page 1000 costs what page 1 costs.
Filters are the CLI's ``ChangeFilter``; words go through ``observatory.store.search`` (FTS5 on
SQLite, a tsvector on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from observatory.document import Block, Document
from observatory.store.models import ChangeDimension, ChangeRow, Check, Snapshot

Row = TypeVar("Row", Check, Snapshot)


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
    return _recent(engine, Check, source_id, limit)


def recent_snapshots(engine: Engine, source_id: str, limit: int = 30) -> list[Snapshot]:
    return _recent(engine, Snapshot, source_id, limit)


def _recent(engine: Engine, model: type[Row], source_id: str, limit: int) -> list[Row]:
    """The newest *limit* rows of *model* (checks or snapshots) of one source."""
    query = (
        select(model)
        .where(col(model.source_id) == source_id)
        .order_by(col(model.id).desc())
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
    blocks: list[Block] = [b for b in document.blocks if b.text]  # not the place markers
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
