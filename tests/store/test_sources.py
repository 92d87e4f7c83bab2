"""observatory.store.sources: the configured sources' state rows, on both engines."""

from __future__ import annotations

from sqlalchemy import select, update

from observatory.config import parse_config
from observatory.store.db import make_engine
from observatory.store.sources import SOURCES, sync_sources


def test_sync_adds_renames_and_forgets_validators_of_a_new_url_only(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        first = parse_config("""
sources:
  - {id: a, url: "https://example.org/a.html"}
  - {id: b, url: "https://example.org/b.html", name: Bee}
""")
        sync_sources(engine, first)
        with engine.begin() as conn:
            conn.execute(update(SOURCES).values(etag='"v1"', body_hash="h", status="ok"))
        sync_sources(engine, first)  # nothing changed: nothing is reset
        second = parse_config("""
sources:
  - {id: a, url: "https://example.org/a2.html"}
  - {id: b, url: "https://example.org/b.html", name: Bees}
  - {id: c, url: "https://example.org/feed.xml"}
""")
        sync_sources(engine, second)
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    SOURCES.c.id,
                    SOURCES.c.url,
                    SOURCES.c.kind,
                    SOURCES.c.name,
                    SOURCES.c.status,
                    SOURCES.c.etag,
                    SOURCES.c.body_hash,
                ).order_by(SOURCES.c.id)
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("a", "https://example.org/a2.html", "page", "a", "ok", None, None),
        ("b", "https://example.org/b.html", "page", "Bees", "ok", '"v1"', "h"),
        ("c", "https://example.org/feed.xml", "feed", "c", "unchecked", None, None),
    ]
