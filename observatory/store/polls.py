"""Persistence of a poll: the source state read before fetching, and the outcome written after.

Polls that find nothing new (``unchanged``, ``not_modified``, ``error``) are the common case: they
write one ``checks`` row and update one ``sources`` row with two Core statements in one
transaction. A poll with a new version adds the snapshot, its changes and their dimensions in the
same transaction, so a poll is recorded whole or not at all.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import Update
from sqlmodel import Session

from observatory.document import Document
from observatory.errors import NotFoundError, SupersededError
from observatory.store.models import (
    ChangeDimension,
    ChangeRow,
    Check,
    MilestoneLink,
    Snapshot,
    SourceState,
    UTCDateTime,
    VolatileBlock,
)
from observatory.store.snapshots import store_snapshot

SOURCES = SourceState.__table__  # type: ignore[attr-defined]
CHECKS = Check.__table__  # type: ignore[attr-defined]
SNAPSHOTS = Snapshot.__table__  # type: ignore[attr-defined]
VOLATILE = VolatileBlock.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Prior:
    """What a poll needs to know of the source's last good state, read before fetching."""

    snapshot_id: int | None
    fingerprint: str | None
    volatile: frozenset[str]
    etag: str | None
    last_modified: str | None
    body_hash: str | None


@dataclass(frozen=True)
class PollRecord:
    """What a poll found, ready to be written."""

    source_id: str
    outcome: str
    started_at: datetime
    duration_ms: int
    http_status: int | None = None
    bytes: int = 0
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None  # set when the body was good (validators are kept then)
    learned: frozenset[str] = frozenset()
    release: str | None = None  # the poll's claim on the source, given back in the same write


def read_priors(engine: Engine, source_ids: Sequence[str]) -> dict[str, Prior]:
    """The prior state of many sources in two queries (a run of ``check`` reads them at once)."""
    query = (
        select(
            SOURCES.c.id.label("source_id"),
            SOURCES.c.etag,
            SOURCES.c.last_modified,
            SOURCES.c.body_hash,
            SNAPSHOTS.c.id,
            SNAPSHOTS.c.fingerprint,
        )
        .select_from(SOURCES.outerjoin(SNAPSHOTS, SNAPSHOTS.c.id == SOURCES.c.last_snapshot_id))
        .where(SOURCES.c.id.in_(list(source_ids)))
    )
    volatile: dict[str, set[str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        keys = conn.execute(
            select(VOLATILE.c.source_id, VOLATILE.c.key).where(
                VOLATILE.c.source_id.in_(list(source_ids))
            )
        )
        for source_id, key in keys:
            volatile.setdefault(source_id, set()).add(key)
    return {
        row.source_id: Prior(
            row.id,
            row.fingerprint,
            frozenset(volatile.get(row.source_id, ())),
            row.etag,
            row.last_modified,
            row.body_hash,
        )
        for row in rows
    }


def read_prior(engine: Engine, source_id: str) -> Prior:
    prior = read_priors(engine, [source_id]).get(source_id)
    if prior is None:
        raise NotFoundError(f"source {source_id!r} has no state row; call sync_sources() first")
    return prior


def _state_columns(error: bool, validators: bool, release: bool) -> dict[str, Any]:
    """The ``sources`` columns a poll sets, as expressions of the parameters of
    ``_state_params``: built per shape of poll, once (building costs more than running)."""
    at = bindparam("p_at", type_=UTCDateTime())
    values: dict[str, Any] = {"last_checked_at": at}
    if error:
        since = case((SOURCES.c.status == "error", SOURCES.c.error_since), else_=at)
        values.update(status="error", last_error=bindparam("p_error"), error_since=since)
    else:
        values.update(status="ok", last_error=None, error_since=None, last_ok_at=at)
        if validators:  # a good body: its validators are kept for the next conditional GET
            values.update(
                etag=bindparam("p_etag"),
                last_modified=bindparam("p_last_modified"),
                body_hash=bindparam("p_body_hash"),
            )
    if release:  # ours no more, unless another process holds it by now
        ours = SOURCES.c.claimed_by == bindparam("p_holder")
        values.update(
            claimed_by=case((ours, None), else_=SOURCES.c.claimed_by),
            claimed_until=case((ours, None), else_=SOURCES.c.claimed_until),
        )
    return values


def _shape(o: PollRecord) -> tuple[bool, bool, bool]:
    return o.outcome == "error", o.body_hash is not None, o.release is not None


def _state_params(o: PollRecord) -> dict[str, Any]:
    return {
        "p_id": o.source_id,
        "p_at": o.started_at,
        "p_error": o.error,
        "p_etag": o.etag,
        "p_last_modified": o.last_modified,
        "p_body_hash": o.body_hash,
        "p_holder": o.release,
    }


@functools.cache
def _record_state(error: bool, validators: bool, release: bool) -> Update:
    where = SOURCES.c.id == bindparam("p_id")
    return update(SOURCES).where(where).values(_state_columns(error, validators, release))


INSERT_CHECK = insert(CHECKS)


_CHECK_FIELDS = (
    "source_id",
    "started_at",
    "duration_ms",
    "outcome",
    "http_status",
    "bytes",
    "error",
)


def _check_values(o: PollRecord) -> dict[str, Any]:
    """The ``checks`` row of a poll (its change count is set by the caller)."""
    return {name: getattr(o, name) for name in _CHECK_FIELDS} | {"changes": 0}


def _learn(conn: Connection, o: PollRecord) -> None:
    if not o.learned:
        return
    known = set(
        conn.execute(select(VOLATILE.c.key).where(VOLATILE.c.source_id == o.source_id)).scalars()
    )
    fresh = [
        {"source_id": o.source_id, "key": k, "first_seen": o.started_at}
        for k in sorted(o.learned - known)
    ]
    if fresh:
        conn.execute(insert(VOLATILE), fresh)


def record_check(engine: Engine, o: PollRecord) -> None:
    """A poll without a new version: one check row and the source's state (and the claim given
    back, see ``PollRecord.release``), in one transaction."""
    with engine.begin() as conn:
        _learn(conn, o)
        conn.execute(INSERT_CHECK, _check_values(o))
        conn.execute(_record_state(*_shape(o)), _state_params(o))


def record_version(
    engine: Engine,
    o: PollRecord,
    *,
    url: str,
    document: Document,
    fingerprint: str,
    rows: Sequence[ChangeRow],
    expected_snapshot_id: int | None,
    links: Sequence[Sequence[MilestoneLink]] = (),
) -> list[int]:
    """A poll with a new version: snapshot, changes (*rows*, tagged already), their dimensions
    and milestone links (*links*, one list per row), the check row and the source's state, in
    one transaction; returns the change ids. Fenced: it commits only if the source's last
    snapshot is still *expected_snapshot_id*, else ``SupersededError`` and nothing is written
    (a late poll never records a change twice)."""
    with Session(engine) as session:
        snapshot = store_snapshot(
            session,
            source_id=o.source_id,
            url=url,
            document=document,
            fingerprint=fingerprint,
            fetched_at=o.started_at,
        )
        assert snapshot.id is not None
        change_ids = _add_changes(session, snapshot.id, rows, links)
        conn = session.connection()
        _learn(conn, o)
        conn.execute(
            insert(CHECKS).values(
                **{**_check_values(o), "snapshot_id": snapshot.id, "changes": len(change_ids)}
            )
        )
        values = _state_columns(*_shape(o)) | {"last_snapshot_id": snapshot.id}
        if change_ids:
            values["last_change_at"] = o.started_at
        if not _advance(conn, _state_params(o), expected_snapshot_id, values):
            session.rollback()
            raise SupersededError(
                "another poll recorded a newer version first; nothing written",
                source_id=o.source_id,
            )
        session.commit()
    return change_ids


def _add_changes(
    session: Session,
    snapshot_id: int,
    rows: Sequence[ChangeRow],
    links: Sequence[Sequence[MilestoneLink]],
) -> list[int]:
    """The change rows of a new snapshot, their (change, dimension) rows and their milestone
    links; the ids."""
    change_ids: list[int] = []
    for index, row in enumerate(rows):
        row.snapshot_id = snapshot_id
        session.add(row)
        session.flush()
        assert row.id is not None
        change_ids.append(row.id)
        session.add_all(ChangeDimension(change_id=row.id, dimension=d) for d in row.dimensions)
        for link in links[index] if index < len(links) else ():
            link.change_id = row.id
            session.add(link)
    session.flush()
    return change_ids


def _advance(
    conn: Connection,
    params: dict[str, Any],
    expected_snapshot_id: int | None,
    values: dict[str, Any],
) -> bool:
    """Update the source's state if its last snapshot is still the expected one (the fence)."""
    last = SOURCES.c.last_snapshot_id
    still = last.is_(None) if expected_snapshot_id is None else last == expected_snapshot_id
    fenced = conn.execute(
        update(SOURCES).where(SOURCES.c.id == bindparam("p_id")).where(still).values(values),
        params,
    )
    return bool(fenced.rowcount == 1)
