"""The cluster's dispatch: each source's next poll kept in the database and deferred as a job.

``plan`` runs when a process starts and on SIGHUP (under an advisory lock, so any number of
processes may do it at once, and a second run changes nothing): sources that are new, whose
timing changed, or that are overdue by more than ``CATCH_UP_AFTER`` (the cluster was down) are
planned by ``planning.plan_polls``, exactly as ``observatory run`` plans them; removed and
disabled sources are taken off the schedule.

``dispatch`` runs every ``TICK`` seconds in one worker (a Procrastinate periodic task, deferred
once for the whole cluster): in one transaction it locks the due rows (``SKIP LOCKED``), defers a
poll job per source and moves ``due_at`` to the source's next slot, computed by the trigger of
``planning.poll_trigger`` (the ``every`` grid anchored at the first poll with its jitter, or the
cron with its jitter). A dispatch that runs late coalesces the slots it missed into one poll.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from observatory.config import Config, Source
from observatory.fetch import host_key
from observatory.service.planning import plan_polls, poll_trigger
from observatory.store.db import advisory_lock
from observatory.store.due import Due, DueRow, PollJob, defer_polls, due_sources, planned, set_due
from observatory.store.sources import sync_sources

# seconds between two dispatches: a divisor of 60 (tests set OBSERVATORY_DISPATCH_TICK to 1)
TICK = int(os.environ.get("OBSERVATORY_DISPATCH_TICK") or 5)
if TICK < 1 or 60 % TICK:
    TICK = 5
CATCH_UP_AFTER = timedelta(seconds=60)  # overdue by more: the cluster was down, plan again
BATCH = 5_000  # sources deferred by one dispatch at most
SYNC_LOCK = 0x0B5E_5111  # advisory lock: one process syncs the configuration at a time
IDLE_LIMIT = "10s"  # a dispatcher frozen mid-transaction (SIGSTOP) frees its rows after this


def timing_key(source: Source, config: Config) -> str:
    """What a source's schedule depends on: a change of it plans the source again."""
    zone = config.settings.timezone if source.cron else ""
    return f"every={source.every or ''};cron={source.cron or ''};tz={zone}"


def next_due(source: Source, config: Config, row: Due, now: datetime) -> datetime:
    """The slot after the one being dispatched (slots missed meanwhile are coalesced)."""
    after = max(now, row.due_at) + timedelta(microseconds=1)
    start = (row.anchor or row.due_at) if not source.cron else None
    trigger = poll_trigger(source, config.settings.timezone, start=start)
    fire = trigger.get_next_fire_time(None, after)
    return fire if fire is not None else after + timedelta(days=400)


def plan(engine: Engine, config: Config, now: datetime) -> int:
    """Bring the sources table and every schedule in step with *config*; the number planned."""
    with advisory_lock(engine, SYNC_LOCK):
        sync_sources(engine, config)
        with engine.begin() as conn:
            return _plan(conn, config, now)


def _plan(conn: Connection, config: Config, now: datetime) -> int:
    rows = planned(conn)
    enabled = {s.id: s for s in config.sources if s.enabled}
    stale = [
        s
        for s in enabled.values()
        if (row := rows.get(s.id)) is None
        or row.due_at is None
        or row.key != timing_key(s, config)
        or row.due_at < now - CATCH_UP_AFTER
    ]
    last = {s.id: rows[s.id].last_checked_at if s.id in rows else None for s in stale}
    firsts = plan_polls(stale, last, now, config.settings.timezone)
    updates: list[DueRow] = [
        (sid, when, when, timing_key(enabled[sid], config)) for sid, when in firsts.items()
    ]
    updates += [
        (sid, None, None, None)
        for sid, row in rows.items()
        if sid not in enabled and row.due_at is not None
    ]
    set_due(conn, updates)
    return len(firsts)


def dispatch(engine: Engine, config: Config, now: datetime) -> int:
    """Defer a poll job for every due source and advance its ``due_at``; the jobs deferred."""
    sources = {s.id: s for s in config.sources if s.enabled}
    with engine.begin() as conn:
        conn.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = '{IDLE_LIMIT}'"))
        rows = due_sources(conn, now, BATCH)
        jobs: list[PollJob] = []
        updates: list[DueRow] = []
        for row in rows:
            source = sources.get(row.source_id)
            if source is None:  # removed here; a process that has it plans it again
                updates.append((row.source_id, None, None, None))
                continue
            due = next_due(source, config, row, now)
            updates.append((row.source_id, due, row.anchor or row.due_at, row.key))
            jobs.append(PollJob(source.id, _host(source), row.due_at))
        deferred = defer_polls(conn, jobs)
        set_due(conn, updates)
    return deferred


def _host(source: Source) -> str:
    from observatory.fetch.guard import parse_url

    try:
        return f"host:{host_key(parse_url(source.url).host)}"
    except Exception:  # a URL the fetcher refuses fails in the poll, with its own message
        return f"source:{source.id}"
