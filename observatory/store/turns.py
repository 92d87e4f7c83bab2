"""The cluster's shared pace and robots.txt cache (tables ``host_turns``, ``robots_cache``).

A host's turn is a row: a process takes it with one compare-and-set (free or expired, and
``next_start_at`` passed), makes its request, and gives it back, setting ``next_start_at`` to the
release time plus ``per_host_delay``. So whatever the number of workers, one request is in flight
per host and two requests are at least ``per_host_delay`` apart (end of one to start of the next).
Times are the database's clock (``clock_timestamp()``), so workers on several machines agree.
PostgreSQL only (the cluster runs on it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine

_TAKE = text(
    """
    UPDATE host_turns
       SET holder = :holder, busy_until = clock_timestamp() + make_interval(secs => :hold)
     WHERE host = :host
       AND (holder IS NULL OR busy_until < clock_timestamp())
       AND (next_start_at IS NULL OR next_start_at <= clock_timestamp())
    RETURNING host
    """
)
_STATE = text(
    """
    SELECT holder, EXTRACT(EPOCH FROM busy_until - clock_timestamp()) AS busy_for,
           EXTRACT(EPOCH FROM next_start_at - clock_timestamp()) AS start_in
      FROM host_turns WHERE host = :host
    """
)
_ADD = text("INSERT INTO host_turns (host) VALUES (:host) ON CONFLICT (host) DO NOTHING")
_GIVE = text(
    """
    UPDATE host_turns
       SET holder = NULL, busy_until = NULL,
           next_start_at = clock_timestamp() + make_interval(secs => :delay)
     WHERE host = :host AND holder = :holder
    """
)
BUSY_RECHECK = 0.1  # seconds between two looks at a turn held by another process


def take_turn(
    engine: Engine, host: str, holder: str, hold: float, dead: Callable[[str], bool]
) -> float:
    """Take the host's turn for at most *hold* seconds: 0.0 when taken, else how long to wait
    before trying again. A turn held by a process that *dead* says is gone is taken over."""
    with engine.begin() as conn:
        if conn.execute(_TAKE, {"host": host, "holder": holder, "hold": hold}).first():
            return 0.0
        state = conn.execute(_STATE, {"host": host}).first()
        if state is None:  # the host's first request ever
            conn.execute(_ADD, {"host": host})
            return (
                0.0
                if conn.execute(_TAKE, {"host": host, "holder": holder, "hold": hold}).first()
                else BUSY_RECHECK
            )
    start_in = float(state.start_in or 0.0)
    if state.holder is not None and float(state.busy_for or 0.0) > 0:
        if dead(str(state.holder)) and _steal(engine, host, str(state.holder), holder, hold):
            return 0.0
        return max(BUSY_RECHECK, start_in)
    return max(start_in, 0.001)


def _steal(engine: Engine, host: str, dead: str, holder: str, hold: float) -> bool:
    steal = text(
        "UPDATE host_turns SET holder = :holder,"
        " busy_until = clock_timestamp() + make_interval(secs => :hold)"
        " WHERE host = :host AND holder = :dead RETURNING host"
    )
    params = {"host": host, "dead": dead, "holder": holder, "hold": hold}
    with engine.begin() as conn:
        return conn.execute(steal, params).first() is not None


def give_turn(engine: Engine, host: str, holder: str, delay: float) -> None:
    with engine.begin() as conn:
        conn.execute(_GIVE, {"host": host, "holder": holder, "delay": delay})


def read_robots(engine: Engine, origin: str, max_age: float) -> tuple[str, str, str] | None:
    """(policy, body, fetched_at) of an origin read within *max_age* seconds, else None."""
    query = text(
        "SELECT policy, body, fetched_at FROM robots_cache WHERE origin = :origin"
        " AND fetched_at > clock_timestamp() - make_interval(secs => :age)"
    )
    with engine.connect() as conn:
        row = conn.execute(query, {"origin": origin, "age": max_age}).first()
    return None if row is None else (str(row.policy), str(row.body), str(row.fetched_at))


def write_robots(engine: Engine, origin: str, policy: str, body: str, now: datetime) -> None:
    upsert = text(
        "INSERT INTO robots_cache (origin, fetched_at, policy, body)"
        " VALUES (:origin, :at, :policy, :body)"
        " ON CONFLICT (origin) DO UPDATE SET fetched_at = EXCLUDED.fetched_at,"
        " policy = EXCLUDED.policy, body = EXCLUDED.body"
    )
    with engine.begin() as conn:
        conn.execute(upsert, {"origin": origin, "at": now, "policy": policy, "body": body})
