"""Each source's schedule in the database (``sources.due_at``) and the poll jobs deferred from it.

The dispatch of ``observatory worker`` runs ``due_sources`` and ``advance`` in one transaction:
the due rows are locked with ``FOR UPDATE SKIP LOCKED`` (so dispatches of several workers never
take the same source), one poll job per source is deferred through Procrastinate's own SQL
function in that same transaction (``defer_polls``), and ``due_at`` moves to the next slot. A
crash before the commit leaves both untouched; after it, both are there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from observatory.store.models import SourceState

SOURCES = SourceState.__table__  # type: ignore[attr-defined]
POLL_TASK = "poll"
POLL_QUEUE = "polls"
DueRow = tuple[str, datetime | None, datetime | None, str | None]  # id, due_at, anchor, key


@dataclass(frozen=True)
class Due:
    source_id: str
    due_at: datetime
    anchor: datetime | None
    key: str | None
    last_checked_at: datetime | None


@dataclass(frozen=True)
class PollJob:
    source_id: str
    host: str  # the job's lock: one poll per host at a time across the cluster
    due_at: datetime


def due_sources(conn: Connection, now: datetime, limit: int) -> list[Due]:
    """Sources due at *now*, longest overdue first, locked for this transaction (rows locked by
    another dispatch are skipped)."""
    c = SOURCES.c
    query = (
        select(c.id, c.due_at, c.due_anchor, c.due_key, c.last_checked_at)
        .where(c.due_at <= now)
        .order_by(c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [Due(*row) for row in conn.execute(query)]


def planned(conn: Connection) -> dict[str, Due]:
    """The schedule of every source row (due_at None: never planned, or not polled)."""
    c = SOURCES.c
    query = select(c.id, c.due_at, c.due_anchor, c.due_key, c.last_checked_at)
    return {row.id: Due(*row) for row in conn.execute(query)}


def set_due(conn: Connection, rows: Sequence[DueRow]) -> None:
    """Write (id, due_at, anchor, key) of many sources in one statement."""
    if not rows:
        return
    statement = (
        update(SOURCES)
        .where(SOURCES.c.id == bindparam("sid"))
        .values(due_at=bindparam("due"), due_anchor=bindparam("anchor"), due_key=bindparam("key"))
    )
    params = [{"sid": s, "due": d, "anchor": a, "key": k} for s, d, a, k in rows]
    conn.execute(statement, params)


_DEFER = text(
    """
    SELECT procrastinate_defer_jobs_v1(ARRAY(
        SELECT ROW(:queue, :task, 0, lock, 'poll:' || sid, args::jsonb, NULL)
               ::procrastinate_job_to_defer_v1
          FROM unnest(CAST(:sids AS text[]), CAST(:locks AS text[]), CAST(:args AS text[]))
               AS j(sid, lock, args)))
    """
)
_QUEUED = text(
    "SELECT queueing_lock FROM procrastinate_jobs"
    " WHERE status = 'todo' AND queueing_lock = ANY(CAST(:keys AS text[]))"
)


def defer_polls(conn: Connection, jobs: Sequence[PollJob]) -> int:
    """Defer one poll job per source in the caller's transaction; a source whose previous poll
    job is still queued gets none (``queueing_lock`` per source). The number deferred."""
    queued = {
        str(k).removeprefix("poll:")
        for k in conn.execute(_QUEUED, {"keys": [f"poll:{j.source_id}" for j in jobs]}).scalars()
    }
    fresh = [j for j in jobs if j.source_id not in queued]
    if not fresh:
        return 0
    try:
        with conn.begin_nested():
            _defer(conn, fresh)
        return len(fresh)
    except IntegrityError:  # a retried job took its queueing lock meanwhile: one at a time
        deferred = 0
        for job in fresh:
            try:
                with conn.begin_nested():
                    _defer(conn, [job])
                deferred += 1
            except IntegrityError:
                continue
        return deferred


def _defer(conn: Connection, jobs: Sequence[PollJob]) -> None:
    args = [json.dumps({"source_id": j.source_id, "due": j.due_at.isoformat()}) for j in jobs]
    conn.execute(
        _DEFER,
        {
            "queue": POLL_QUEUE,
            "task": POLL_TASK,
            "sids": [j.source_id for j in jobs],
            "locks": [j.host for j in jobs],
            "args": args,
        },
    )


def poll_again(conn: Connection, source_id: str, at: datetime) -> None:
    """Bring the source's next poll forward to *at* (a poll that could not run: busy, cancelled
    at shutdown, or lost with its worker); the next dispatch after *at* defers it."""
    c = SOURCES.c
    conn.execute(update(SOURCES).where(c.id == source_id, c.due_at > at).values(due_at=at))


_ORPHANS = text(
    """
    SELECT j.id AS job_id, s.id AS source_id, s.claimed_by, s.claimed_until
      FROM procrastinate_jobs j
      JOIN sources s ON s.id = j.args->>'source_id'
     WHERE j.task_name = :task AND j.status = 'doing'
       AND (s.claimed_by IS NULL OR s.claimed_until < :now OR s.claimed_by LIKE :here)
       AND (SELECT max(e.at) FROM procrastinate_events e
             WHERE e.job_id = j.id AND e.type = 'started') < :before
    """
)


def orphaned_polls(
    conn: Connection, now: datetime, before: datetime, host: str
) -> list[tuple[int, str, str | None, datetime | None]]:
    """Poll jobs running for a while whose source is not claimed by a live poller: claim
    lapsed (its worker stopped beating), or held by a process of *host* (checked by the caller
    for a dead pid). (job id, source id, claimed_by, claimed_until)."""
    params = {"task": POLL_TASK, "now": now, "before": before, "here": f"{host}:%"}
    return [
        (int(r.job_id), str(r.source_id), r.claimed_by, r.claimed_until)
        for r in conn.execute(_ORPHANS, params)
    ]
