"""The cluster's schedule on PostgreSQL: plan (start, SIGHUP) is idempotent, a dispatch defers one
poll job per due source and moves ``due_at`` along the source's grid in the same transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from observatory.config import parse_config
from observatory.service.dispatch import dispatch, plan
from observatory.service.queue import apply_queue_schema
from observatory.store.db import make_engine, migrate
from observatory.store.models import utcnow

CONFIG = """
sources:
  - {id: a, url: "http://127.0.0.1:9/a", every: 60s}
  - {id: b, url: "http://127.0.0.1:9/b", every: 60s}
  - {id: c, url: "http://127.0.0.2:9/c", cron: "0 6 * * *"}
"""


def test_plan_is_idempotent_and_dispatch_defers_each_due_source_once(pg_url: str) -> None:
    engine = make_engine(pg_url)
    migrate(engine)
    assert apply_queue_schema(engine) is True
    assert apply_queue_schema(engine) is False  # already there
    config = parse_config(CONFIG)
    now = utcnow()
    assert plan(engine, config, now) == 3  # new sources: all planned (never checked: due now)
    assert plan(engine, config, now) == 0  # a second sync changes nothing

    with engine.connect() as conn:
        due = dict(conn.execute(text("SELECT id, due_at FROM sources")).all())
    later = max(due.values()) + timedelta(seconds=1)
    assert dispatch(engine, config, later) == 3
    assert dispatch(engine, config, later) == 0  # due_at moved on: nothing is due twice
    with engine.connect() as conn:
        jobs = conn.execute(
            text("SELECT queueing_lock, lock FROM procrastinate_jobs ORDER BY queueing_lock")
        ).all()
        moved = dict(conn.execute(text("SELECT id, due_at FROM sources")).all())
    assert [tuple(j) for j in jobs] == [
        ("poll:a", "host:127.0.0.1"),
        ("poll:b", "host:127.0.0.1"),
        ("poll:c", "host:127.0.0.2"),
    ]
    for sid in ("a", "b"):  # the next slot of the grid, with at most 10 % jitter
        assert timedelta(seconds=59) <= moved[sid] - due[sid] <= timedelta(seconds=66.1)
    assert timedelta(0) < moved["c"] - later <= timedelta(days=1, seconds=31)  # 06:00, +30 s

    # a source due again while its poll job still waits: no second job, the slot is coalesced
    with engine.begin() as conn:
        conn.execute(text("UPDATE sources SET due_at = :at WHERE id = 'a'"), {"at": later})
    assert dispatch(engine, config, later + timedelta(seconds=1)) == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar() == 3
        assert conn.execute(text("SELECT due_at FROM sources WHERE id = 'a'")).scalar() > later

    # a source removed from the configuration leaves the schedule
    assert (
        plan(
            engine,
            parse_config(
                CONFIG.replace('  - {id: b, url: "http://127.0.0.1:9/b", every: 60s}\n', "")
            ),
            now,
        )
        == 0
    )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT due_at FROM sources WHERE id = 'b'")).scalar() is None
    engine.dispose()
