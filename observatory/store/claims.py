"""Claims across processes: at most one process polls a source, or sends a message, at a time.

A claim is a compare-and-set on a row's ``claimed_by`` and ``claimed_until`` columns (sources and
outbox): it succeeds when the row is unclaimed, its claim has expired, or the claim is already
ours. A process that dies leaves a claim that expires by itself, or at once when the holder was
on this host and its pid is gone (a crash, ``kill -9``, a restarted container). The same
statements run on SQLite and PostgreSQL, so ``observatory check`` beside ``observatory run`` (or
two workers) never poll one source twice at once.
"""

from __future__ import annotations

import functools
import itertools
import os
import secrets
import socket
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select, Update

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"  # this process
_serial = itertools.count(1)


def new_holder() -> str:
    """A holder name for one claimant of this process (two threads never share a claim)."""
    return f"{HOLDER}:{next(_serial)}"


def take(
    engine: Engine, table: Table, key: Any, *, now: datetime, ttl: timedelta, holder: str = HOLDER
) -> str | None:
    """Claim the row with primary key *key* until ``now + ttl``; None when the claim is ours,
    else who holds it (the row is left alone)."""
    claim, holder_of, steal, _ = _statements(table)
    params = {"key": key, "now": now, "holder": holder, "until": now + ttl}
    with engine.begin() as conn:
        if conn.execute(claim, params).rowcount == 1:
            return None
        current = conn.execute(holder_of, params).scalar()
        dead = bool(current) and dead_here(str(current))
        if dead and conn.execute(steal, params | {"current": current}).rowcount == 1:
            return None
    return str(current) if current else "nobody (the row is gone)"


@functools.cache
def _statements(table: Table) -> tuple[Update, Select[Any], Update, Update]:
    """The claim, who-holds, steal and release statements of *table*, built once: building a
    statement costs more than running it (a poll of an unchanged page runs two of them)."""
    key, mine = table.c.id == bindparam("key"), table.c.claimed_by == bindparam("holder")
    ours: dict[str, Any] = {"claimed_by": bindparam("holder"), "claimed_until": bindparam("until")}
    free = or_(table.c.claimed_until.is_(None), table.c.claimed_until < bindparam("now"), mine)
    return (
        update(table).where(key, free).values(ours),
        select(table.c.claimed_by).where(key),
        update(table).where(key, table.c.claimed_by == bindparam("current")).values(ours),
        update(table).where(key, mine).values(claimed_by=None, claimed_until=None),
    )


def dead_here(holder: str) -> bool:
    """Was the claim taken by a process of this host that is gone?"""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdecimal():
        return False
    pid = int(pid_text)
    if pid == os.getpid():  # ours, or a previous life of our pid (PID 1 in a restarted container)
        return holder != HOLDER and not holder.startswith(HOLDER + ":")
    return not process_alive(pid)


def process_alive(pid: int) -> bool:
    """Is process *pid* of this host running (someone else's included)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def give_back(engine: Engine, table: Table, key: Any, holder: str = HOLDER) -> None:
    """Release our claim on the row (no effect when the claim is someone else's by now)."""
    with engine.begin() as conn:
        conn.execute(_statements(table)[3], {"key": key, "holder": holder})


def renew(
    engine: Engine,
    table: Table,
    keys: Collection[Any],
    *,
    now: datetime,
    ttl: timedelta,
    holder: str = HOLDER,
) -> int:
    """A heartbeat: push our claims on the rows *keys* (the work in flight) forward to
    ``now + ttl``, and give back any other claim of ours, left by work that could not release
    it (the database was away then); the number of claims renewed."""
    # our process's claims: under its own name, or one of its claimants' (``new_holder``)
    mine = or_(
        table.c.claimed_by == holder, table.c.claimed_by.startswith(holder + ":", autoescape=True)
    )
    with engine.begin() as conn:
        if keys:
            renewed = conn.execute(
                update(table)
                .where(mine, table.c.id.in_(list(keys)))
                .values(claimed_until=now + ttl)
            )
        # not a claim taken in the last second (a poll that began after *keys* was read)
        left = [mine, table.c.claimed_until < now + ttl - timedelta(seconds=1)]
        if keys:
            left.append(table.c.id.not_in(list(keys)))
        conn.execute(update(table).where(*left).values(claimed_by=None, claimed_until=None))
    return int(renewed.rowcount or 0) if keys else 0
