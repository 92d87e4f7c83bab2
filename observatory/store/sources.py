"""The ``sources`` table: kept in step with the configuration, read as each source's state.

Every output that shows sources (CLI, API, pages, digests) starts from ``source_states`` and
``source_to_dict``, so the shape lives in one place.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session
from sqlmodel import select as sqlmodel_select

from observatory.config import Config
from observatory.store.models import SourceState, iso

SOURCES = SourceState.__table__  # type: ignore[attr-defined]


def sync_sources(engine: Engine, config: Config) -> None:
    """Make sure every configured source has a state row, with its current url/kind/name (rows
    that already say so are left alone: a check of many sources writes nothing here)."""
    with engine.begin() as conn:
        columns = (SOURCES.c.id, SOURCES.c.url, SOURCES.c.kind, SOURCES.c.name)
        known = {row.id: tuple(row)[1:] for row in conn.execute(select(*columns))}
        new: list[dict[str, Any]] = []
        for source in config.sources:
            values: dict[str, Any] = {
                "url": source.url,
                "kind": source.effective_kind,
                "name": source.display_name,
            }
            if source.id not in known:
                new.append({"id": source.id, "status": "unchecked", **values})
                continue
            if known[source.id] == (values["url"], values["kind"], values["name"]):
                continue
            if known[source.id][0] != source.url:  # validators belong to the old URL
                values.update(etag=None, last_modified=None, body_hash=None)
            conn.execute(update(SOURCES).where(SOURCES.c.id == source.id).values(**values))
        if new:
            conn.execute(insert(SOURCES), new)


def source_states(engine: Engine, config: Config) -> list[SourceState]:
    """State rows of the configured sources, in configuration order (unchecked ones included)."""
    with Session(engine) as session:
        rows = {s.id: s for s in session.exec(sqlmodel_select(SourceState))}
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
