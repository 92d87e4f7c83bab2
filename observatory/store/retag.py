"""Re-tagging the stored history: read changes in batches, write their new tags.

``observatory tag --retag`` reads each stored change with what the tagger needs (its text, its
heading path and the title of the document it was found in, from its snapshot), tags it with the
current taxonomy (``observatory.pipeline.retag``) and writes the result back here: the
``dimensions``, ``evidence``, ``about_ai`` and ``tagged_with`` columns of ``changes`` and the
rows of ``change_dimensions``, one batch per transaction (a long run can be stopped and run again).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from observatory.store.models import ChangeDimension, ChangeRow, Snapshot
from observatory.store.snapshots import load_document


@dataclass(frozen=True)
class StoredChange:
    """What the tagger reads of a stored change."""

    id: int
    source_id: str
    location: str
    added: list[str]
    removed: list[str]
    document_title: str
    dimensions: list[str]  # as tagged before
    tagged_with: str | None


@dataclass(frozen=True)
class NewTags:
    change_id: int
    dimensions: list[str]
    evidence: dict[str, list[str]] = field(default_factory=dict)
    about_ai: bool = False
    tagged_with: str = ""


def count_changes(engine: Engine, since: datetime | None = None) -> int:
    """How many changes were detected at or after *since* (all, without it)."""
    query = select(func.count()).select_from(ChangeRow)
    if since is not None:
        query = query.where(col(ChangeRow.detected_at) >= since)
    with Session(engine) as session:
        return int(session.exec(query).one())


def iter_batches(
    engine: Engine, since: datetime | None = None, size: int = 200
) -> Iterator[list[StoredChange]]:
    """The changes detected at or after *since*, oldest id first, *size* at a time."""
    titles: dict[int, str] = {}  # snapshot id -> document title, read once per snapshot
    last = 0
    while True:
        with Session(engine) as session:
            query = select(ChangeRow).where(col(ChangeRow.id) > last)
            if since is not None:
                query = query.where(col(ChangeRow.detected_at) >= since)
            rows = session.exec(query.order_by(col(ChangeRow.id)).limit(size)).all()
            if not rows:
                return
            batch = [_stored(session, row, titles) for row in rows]
        last = batch[-1].id
        yield batch


def _stored(session: Session, row: ChangeRow, titles: dict[int, str]) -> StoredChange:
    if row.snapshot_id not in titles:
        snapshot = session.get(Snapshot, row.snapshot_id)
        titles[row.snapshot_id] = load_document(session, snapshot).title if snapshot else ""
    assert row.id is not None
    return StoredChange(
        row.id,
        row.source_id,
        row.location,
        list(row.added),
        list(row.removed),
        titles[row.snapshot_id],
        list(row.dimensions),
        row.tagged_with,
    )


def write_tags(engine: Engine, tags: Sequence[NewTags]) -> None:
    """Store new tags for some changes in one transaction (their dimension rows replaced)."""
    if not tags:
        return
    with Session(engine) as session:
        ids = [t.change_id for t in tags]
        rows = {r.id: r for r in session.exec(select(ChangeRow).where(col(ChangeRow.id).in_(ids)))}
        session.exec(delete(ChangeDimension).where(col(ChangeDimension.change_id).in_(ids)))
        for new in tags:
            row = rows[new.change_id]
            row.dimensions = list(new.dimensions)
            row.evidence = {k: list(v) for k, v in new.evidence.items()}
            row.about_ai = new.about_ai
            row.tagged_with = new.tagged_with
            session.add(row)
            session.add_all(
                ChangeDimension(change_id=new.change_id, dimension=d) for d in new.dimensions
            )
        session.commit()
