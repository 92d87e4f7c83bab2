"""The scheduler lease and the digest slots handled (tables ``service_lease``, ``digest_runs``).

One scheduler per database: ``acquire_lease`` takes the row or raises ``LeaseHeld`` naming the
holder. It is released on a clean exit and recoverable after a crash: a lease whose heartbeat
has expired (``LEASE_TTL`` without renewal), or whose holder pid is gone on this same host, is
taken over. Every write is a compare-and-swap on the token, so two starters cannot both win and a
holder whose lease was taken (after a long freeze) finds out at its next heartbeat.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from observatory.errors import LeaseHeld, LeaseLost
from observatory.store.models import DigestRun, ServiceLease, iso, utcnow

LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(seconds=30)
HEARTBEAT_EVERY = 10.0  # seconds; three missed heartbeats let another process take over


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@dataclass(frozen=True)
class Lease:
    name: str
    host: str
    pid: int
    token: str
    since: datetime


def describe(row: ServiceLease) -> str:
    return (
        f"host {row.holder_host}, pid {row.holder_pid}, since {iso(row.since)}, "
        f"lease expires {iso(row.expires_at)} unless renewed"
    )


def _is_stale(row: ServiceLease, now: datetime, host: str, pid: int) -> bool:
    if row.expires_at <= now:
        return True
    # Same host: a dead pid is a crash; our own pid is a previous life of this process slot
    # (a restarted container is PID 1 again and keeps its host name).
    return row.holder_host == host and (row.holder_pid == pid or not pid_alive(row.holder_pid))


def _times(now: datetime) -> dict[str, datetime]:
    """A lease taken at *now*: since, last heartbeat, and when it expires unless renewed."""
    return {"since": now, "heartbeat_at": now, "expires_at": now + LEASE_TTL}


def acquire_lease(
    engine: Engine,
    *,
    name: str = LEASE_NAME,
    host: str | None = None,
    pid: int | None = None,
    now: datetime | None = None,
) -> Lease:
    """Take the lease or raise ``LeaseHeld`` with the holder's host, pid and since."""
    host, pid, now = host or socket.gethostname(), pid or os.getpid(), now or utcnow()
    token = secrets.token_hex(16)
    fresh = ServiceLease(name=name, holder_host=host, holder_pid=pid, token=token, **_times(now))
    with Session(engine) as session:
        current = session.get(ServiceLease, name)
        if current is None:
            _insert(session, fresh)
        elif _is_stale(current, now, host, pid):
            _take_over(session, current.token, fresh)
        else:
            raise LeaseHeld(f"the scheduler lease is held by {describe(current)}")
    return Lease(name, host, pid, token, now)


def _insert(session: Session, fresh: ServiceLease) -> None:
    """A first lease row; LeaseHeld when another starter inserted first."""
    session.add(fresh)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        current = session.get(ServiceLease, fresh.name)
        assert current is not None
        raise LeaseHeld(f"the scheduler lease is held by {describe(current)}") from None


def _take_over(session: Session, stale_token: str, fresh: ServiceLease) -> None:
    """Compare-and-swap on the stale row's token; LeaseHeld when another starter won."""
    taken = session.execute(
        update(ServiceLease)
        .where(ServiceLease.name == fresh.name, ServiceLease.token == stale_token)  # type: ignore[arg-type]
        .values(
            holder_host=fresh.holder_host,
            holder_pid=fresh.holder_pid,
            token=fresh.token,
            **_times(fresh.since),
        )
    )
    session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.expire_all()
        winner = session.get(ServiceLease, fresh.name)
        holder = describe(winner) if winner else "another process"
        raise LeaseHeld(f"the scheduler lease is held by {holder}")


def renew_lease(engine: Engine, lease: Lease, now: datetime | None = None) -> None:
    """Heartbeat: push the expiry forward, or raise ``LeaseLost`` if the lease is not ours."""
    now = now or utcnow()
    with Session(engine) as session:
        renewed = session.execute(
            update(ServiceLease)
            .where(ServiceLease.name == lease.name, ServiceLease.token == lease.token)  # type: ignore[arg-type]
            .values(heartbeat_at=now, expires_at=now + LEASE_TTL)
        )
        session.commit()
    if renewed.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost("the scheduler lease was taken over by another process")


def release_lease(engine: Engine, lease: Lease) -> None:
    with Session(engine) as session:
        row = session.get(ServiceLease, lease.name)
        if row is not None and row.token == lease.token:
            session.delete(row)
            session.commit()


def lease_holder(engine: Engine, name: str = LEASE_NAME) -> ServiceLease | None:
    with Session(engine) as session:
        return session.get(ServiceLease, name)


def last_digest_due(engine: Engine, subscriber: str) -> datetime | None:
    with Session(engine) as session:
        row = session.get(DigestRun, subscriber.lower())
        return row.last_due_at if row else None


def mark_digest_due(engine: Engine, subscriber: str, due: datetime, now: datetime) -> None:
    """Record that the slot *due* of this subscriber's cadence has been handled."""
    with Session(engine) as session:
        key = subscriber.lower()
        row = session.get(DigestRun, key) or DigestRun(
            subscriber=key, last_due_at=due, last_run_at=now
        )
        row.last_due_at, row.last_run_at = due, now
        session.add(row)
        session.commit()


def digest_runs(engine: Engine) -> dict[str, datetime]:
    with Session(engine) as session:
        return {r.subscriber: r.last_due_at for r in session.exec(select(DigestRun))}
