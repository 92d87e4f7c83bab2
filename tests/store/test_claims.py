"""The claims heartbeat: claims of the work in flight are renewed, a claim that a poll could not
give back (the database was away) is given back, a claim taken a moment ago is left alone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from observatory.config import parse_config
from observatory.store import claims
from observatory.store.db import open_db
from observatory.store.models import utcnow
from observatory.store.sources import SOURCES, sync_sources


def test_renew_keeps_what_is_in_flight_and_gives_back_what_leaked(db_url: str) -> None:
    engine = open_db(db_url)
    ids = ("flying", "leaked", "fresh", "other")
    sources = "\n".join(f"  - {{id: {i}, url: 'http://127.0.0.1:9/{i}'}}" for i in ids)
    sync_sources(engine, parse_config(f"sources:\n{sources}\n"))
    ttl, now = timedelta(seconds=30), utcnow()
    for sid in ("flying", "leaked"):
        assert claims.take(engine, SOURCES, sid, now=now - timedelta(seconds=10), ttl=ttl) is None
    assert claims.take(engine, SOURCES, "fresh", now=now, ttl=ttl) is None  # a poll just begun
    assert claims.take(engine, SOURCES, "other", now=now, ttl=ttl, holder="elsewhere:1:x") is None

    assert claims.renew(engine, SOURCES, {"flying"}, now=now, ttl=ttl) == 1
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(SOURCES))}
    engine.dispose()
    assert rows["flying"].claimed_by == claims.HOLDER
    assert abs(rows["flying"].claimed_until - (now + ttl)) < timedelta(seconds=1)
    assert rows["leaked"].claimed_by is None and rows["leaked"].claimed_until is None
    assert rows["fresh"].claimed_by == claims.HOLDER
    assert rows["other"].claimed_by == "elsewhere:1:x"
