"""observatory.pipeline.poll: the deadline of a whole poll, on both engines."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

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


HEAVY = (
    "trafilatura",
    "feedparser",
    "pypdf",
    "bs4",
    "jinja2",
    "fastapi",
    "alembic",
    "rapidfuzz",
    "rich",
    "observatory.tagging",
    "observatory.milestones",
    "observatory.diff",
    "observatory.extract.html",
    "observatory.extract.feed",
    "observatory.extract.pdf",
)
SHOW_MODULES = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('MODULES', *sorted(sys.modules), file=sys.stderr))\n"
    "from observatory.cli.main import main\n"
    "main()\n"
)


def test_a_check_that_finds_nothing_new_loads_nothing_it_does_not_need(
    site: FixtureSite, tmp_path: Path
) -> None:
    """The second check of pages, a feed and a PDF answers 304 everywhere: it imports no
    extractor, diff, tagger, milestone registry, template engine or web framework."""
    config = tmp_path / "sources.yaml"
    config.write_text(f"""
sources:
  - {{id: ai, url: "{site.base_url}/ai.html", select: "main#content"}}
  - {{id: feed, url: "{site.base_url}/feed.xml", kind: feed}}
  - {{id: pdf, url: "{site.base_url}/doc.pdf"}}
settings: {{per_host_delay: 0, retries: 0}}
""")
    command = [sys.executable, "-c", SHOW_MODULES, "--config", str(config)]
    command += ["--db", str(tmp_path / "o.db"), "check", "--format", "json"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert [r["outcome"] for r in json.loads(second.stdout)] == ["not_modified"] * 3
    loaded = set(second.stderr.split("MODULES", 1)[1].split())
    assert "httpx" in loaded and "observatory.pipeline" in loaded
    assert [m for m in HEAVY if m in loaded] == []
    read = set(first.stderr.split("MODULES", 1)[1].split())
    assert {"observatory.extract.html", "observatory.extract.feed", "feedparser"} <= read
