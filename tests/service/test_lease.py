"""The scheduler lease in the database: one holder, named when refused, recoverable after a crash;
and the digest slots recorded per subscriber."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from observatory.errors import LeaseHeld, LeaseLost
from observatory.service.lease import (
    LEASE_TTL,
    acquire_lease,
    digest_runs,
    last_digest_due,
    lease_holder,
    mark_digest_due,
    release_lease,
    renew_lease,
)
from observatory.store.db import open_db

T0 = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_db(str(tmp_path / "lease.db"))
    yield engine
    engine.dispose()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_second_holder_is_refused_with_host_pid_and_since(engine: Engine) -> None:
    acquire_lease(engine, host="box-a", pid=1234, now=T0)
    with pytest.raises(LeaseHeld) as info:
        acquire_lease(engine, host="box-b", pid=99, now=T0 + timedelta(seconds=5))
    message = str(info.value)
    assert "host box-a" in message and "pid 1234" in message
    assert "since 2026-06-01T07:00:00Z" in message
    assert info.value.exit_code == 1


def test_release_frees_it_and_only_the_holder_can_release(engine: Engine) -> None:
    lease = acquire_lease(engine, host="box-a", pid=1, now=T0)
    stale = lease.__class__(lease.name, "box-z", 7, "not-the-token", T0)
    release_lease(engine, stale)
    assert lease_holder(engine) is not None
    release_lease(engine, lease)
    assert lease_holder(engine) is None
    acquire_lease(engine, host="box-b", pid=2, now=T0)


def test_expired_heartbeat_is_taken_over_and_the_old_holder_learns_it(engine: Engine) -> None:
    old = acquire_lease(engine, host="box-a", pid=1234, now=T0)
    renew_lease(engine, old, now=T0 + timedelta(seconds=10))
    with pytest.raises(LeaseHeld):
        acquire_lease(engine, host="box-b", pid=5, now=T0 + timedelta(seconds=10) + LEASE_TTL / 2)
    new = acquire_lease(engine, host="box-b", pid=5, now=T0 + timedelta(seconds=11) + LEASE_TTL)
    holder = lease_holder(engine)
    assert holder is not None and holder.holder_host == "box-b" and holder.token == new.token
    with pytest.raises(LeaseLost):
        renew_lease(engine, old)
    release_lease(engine, old)  # a late release by the old holder does not free the new lease
    assert lease_holder(engine) is not None


def test_dead_pid_on_the_same_host_is_taken_over_at_once(engine: Engine) -> None:
    import socket

    host = socket.gethostname()
    acquire_lease(engine, host=host, pid=dead_pid(), now=T0)
    lease = acquire_lease(engine, host=host, now=T0 + timedelta(seconds=1))
    assert lease.host == host


def test_a_live_pid_on_the_same_host_keeps_it(engine: Engine) -> None:
    import socket

    host = socket.gethostname()
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as proc:
        try:
            acquire_lease(engine, host=host, pid=proc.pid, now=T0)
            with pytest.raises(LeaseHeld, match=f"pid {proc.pid}"):
                acquire_lease(engine, host=host, now=T0 + timedelta(seconds=1))
        finally:
            proc.kill()


def test_same_pid_on_the_same_host_is_a_previous_life(engine: Engine) -> None:
    # A restarted container is PID 1 again under the same host name.
    acquire_lease(engine, host="c0ffee", pid=1, now=T0)
    lease = acquire_lease(engine, host="c0ffee", pid=1, now=T0 + timedelta(seconds=2))
    assert lease.since == T0 + timedelta(seconds=2)


def test_digest_slots_are_recorded_per_subscriber(engine: Engine) -> None:
    assert last_digest_due(engine, "ana@example.org") is None
    mark_digest_due(engine, "Ana@Example.org", T0, T0 + timedelta(minutes=1))
    assert last_digest_due(engine, "ana@example.org") == T0
    mark_digest_due(engine, "ana@example.org", T0 + timedelta(days=1), T0 + timedelta(days=1))
    assert digest_runs(engine) == {"ana@example.org": T0 + timedelta(days=1)}
