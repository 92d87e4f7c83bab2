"""observatory.pipeline.poll: the deadline of a whole poll, on both engines."""

from __future__ import annotations

import asyncio

from observatory.config import parse_config
from observatory.pipeline import check_sources
from observatory.store.db import make_engine
from tests.sitesrv import FixtureSite, Response


def test_a_poll_past_poll_timeout_is_an_error_on_its_source_only(
    site: FixtureSite, db_url: str
) -> None:
    """The page answers after 1.5 s, within the fetch timeout but past poll_timeout (1 s): an
    error naming the deadline, recorded, and the other source (another host name: one request
    at a time per host) polled as usual."""
    site.routes["/slow.html"] = lambda h: Response(200, b"<p>late</p>", delay=1.5)
    config = parse_config(f"""
sources:
  - {{id: slow, url: "{site.base_url}/slow.html"}}
  - {{id: act, url: "{site.base_url.replace("127.0.0.1", "localhost")}/act.html"}}
settings: {{per_host_delay: 0, timeout: 10, poll_timeout: 1, retries: 0}}
""")
    engine = make_engine(db_url)
    try:
        results = {r.source_id: r for r in asyncio.run(check_sources(config, engine))}
        assert results["slow"].outcome == "error"
        assert "longer than poll_timeout (1 s)" in (results["slow"].error or "")
        assert results["act"].outcome == "new"
        again = {r.source_id: r for r in asyncio.run(check_sources(config, engine, ["slow"]))}
        assert again["slow"].outcome == "error", "the claim was given back: polled again"
    finally:
        engine.dispose()
