"""Read-side queries shared by the CLI and the web app: changes with filters, sources with state.

Every output shape (CLI JSON, API JSON, CSV, digests) starts from ``change_to_dict`` and
``source_to_dict``, so the contract lives in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from observatory.config import Config
from observatory.errors import UsageError
from observatory.store.models import ChangeDimension, ChangeRow, SourceState, iso

_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")


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
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option}: cannot read {value!r} as a date (use 2026-06-01, 2026-06-01T12:00Z or 7d)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ChangeFilter:
    sources: Sequence[str] = ()
    dimensions: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    words: str = ""
    ids: Sequence[int] = field(default_factory=tuple)


def _query(flt: ChangeFilter) -> Any:
    query = select(ChangeRow)
    if flt.sources:
        query = query.where(col(ChangeRow.source_id).in_(list(flt.sources)))
    if flt.dimensions:
        tagged = select(ChangeDimension.change_id).where(
            col(ChangeDimension.dimension).in_(list(flt.dimensions))
        )
        query = query.where(col(ChangeRow.id).in_(tagged))
    if flt.since:
        query = query.where(ChangeRow.detected_at >= flt.since)
    if flt.until:
        query = query.where(ChangeRow.detected_at < flt.until)
    if flt.ids:
        query = query.where(col(ChangeRow.id).in_(list(flt.ids)))
    for word in flt.words.split():
        pattern = f"%{word.lower()}%"
        query = query.where(
            or_(
                func.lower(ChangeRow.title).like(pattern),
                func.lower(ChangeRow.location).like(pattern),
                func.lower(cast(ChangeRow.added, String)).like(pattern),
                func.lower(cast(ChangeRow.removed, String)).like(pattern),
            )
        )
    return query


def iter_changes(
    engine: Engine, flt: ChangeFilter, *, limit: int | None = None, newest_first: bool = True
) -> Iterator[ChangeRow]:
    query = _query(flt)
    order = col(ChangeRow.id).desc() if newest_first else col(ChangeRow.id)
    query = query.order_by(order)
    if limit:
        query = query.limit(limit)
    with Session(engine) as session:
        yield from session.exec(query)


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
        "snapshot_id": row.snapshot_id,
        "previous_snapshot_id": row.previous_snapshot_id,
    }


def source_states(engine: Engine, config: Config) -> list[SourceState]:
    """State rows of the configured sources, in configuration order (unchecked ones included)."""
    with Session(engine) as session:
        rows = {s.id: s for s in session.exec(select(SourceState))}
    out = []
    for source in config.sources:
        state = rows.get(source.id) or SourceState(
            id=source.id, url=source.url, kind=source.effective_kind, name=source.display_name
        )
        out.append(state)
    return out


def source_to_dict(state: SourceState, *, enabled: bool = True) -> dict[str, Any]:
    return {
        "id": state.id,
        "name": state.name or state.id,
        "url": state.url,
        "kind": state.kind,
        "enabled": enabled,
        "status": state.status,
        "last_checked_at": iso(state.last_checked_at),
        "last_change_at": iso(state.last_change_at),
        "last_error": state.last_error,
        "error_since": iso(state.error_since),
    }
