"""End to end: poll a real loopback site through the CLI into a real database (SQLite, PostgreSQL).

Version 1 twice (no change), then version 2 (exactly the intended changes, located and tagged),
then version 2 again (nothing new). The intended changes: tests/fixtures/site/README.md.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from observatory.cli.main import main
from observatory.store.db import make_engine
from tests.sitesrv import SITE_ROOT, FixtureSite, Handler, Response

BANNERS = itertools.cycle(
    [
        "Register now for the AI Pact webinar",
        "Consultation on the code of practice is open",
        "New: AI Act service desk",
        "Vacancies at the AI Office",
    ]
)


def rotating_noisy(site: FixtureSite) -> Any:
    """noisy.html as a live site serves it: a new banner, nonce and request id on every request."""
    counter = itertools.count()

    def route(handler: Handler) -> Response:
        n = next(counter)
        body = (SITE_ROOT / f"v{site.version}" / "noisy.html").read_text()
        body = body.replace("Register now for the AI Pact webinar", next(BANNERS))
        body = body.replace("Consultation on the code of practice is open", next(BANNERS))
        body = body.replace("7f3a9c0e12ab", f"{n:04x}e9{n * 7919:06x}")
        body = body.replace("b51d0e77c9f2", f"{n:04x}c1{n * 104729:06x}")
        return Response(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})

    return route


def write_config(tmp_path: Path, site: FixtureSite) -> Path:
    b = site.base_url
    config = tmp_path / "sources.yaml"
    config.write_text(f"""
sources:
  - {{id: ema-ai, url: "{b}/ai.html", select: "main#content", every: 1h}}
  - {{id: ema-news, url: "{b}/news.html", kind: listing, items: article.news-item}}
  - {{id: ai-office-feed, url: "{b}/feed.xml", kind: feed}}
  - {{id: eurlex-ai-act, url: "{b}/act.html"}}
  - {{id: reflection-paper, url: "{b}/doc.pdf", dimensions: [guidance]}}
  - {{id: ai-office, url: "{b}/noisy.html"}}
  - {{id: vanishing, url: "{b}/vanish.html", select: "main#content"}}
  - {{id: broken, url: "{b}/broken.html"}}
settings: {{per_host_delay: 0, retries: 1, retry_backoff: 0.01, timeout: 10}}
""")
    return config


def run(config: Path, db: str, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--config", str(config), "--db", db, *args])
    return result


def poll(config: Path, db: str) -> dict[str, dict[str, Any]]:
    result = run(config, db, "check", "--format", "json")
    assert result.exit_code == 1, result.output  # 'broken' and later 'vanishing' fail
    return {r["source"]: r for r in json.loads(result.stdout)}


def changes(config: Path, db: str, *args: str) -> list[dict[str, Any]]:
    result = run(config, db, "changes", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


@pytest.fixture
def world(site: FixtureSite, tmp_path: Path, db_url: str) -> tuple[FixtureSite, Path, str]:
    """The fixture site, its sources.yaml and a fresh database (each engine in turn)."""
    site.routes["/noisy.html"] = rotating_noisy(site)
    site.routes["/broken.html"] = lambda h: Response(500, b"Internal Server Error")
    return site, write_config(tmp_path, site), db_url


def test_end_to_end(world: tuple[FixtureSite, Path, str]) -> None:
    site, config, db = world

    first = poll(config, db)
    assert {s: r["outcome"] for s, r in first.items()} == {
        "ema-ai": "new",
        "ema-news": "new",
        "ai-office-feed": "new",
        "eurlex-ai-act": "new",
        "reflection-paper": "new",
        "ai-office": "new",
        "vanishing": "new",
        "broken": "error",
    }
    assert "500" in first["broken"]["error"]
    assert changes(config, db) == [], "the first good fetch is a baseline, not a change"

    second = poll(config, db)
    assert all(
        r["outcome"] in ("not_modified", "unchanged") for s, r in second.items() if s != "broken"
    ), second
    assert second["ema-ai"]["outcome"] == "not_modified"  # the ETag was sent back
    assert second["ai-office"]["outcome"] == "unchanged"  # rotating banner, nonce, request id
    assert changes(config, db) == []

    site.version = 2
    third = poll(config, db)
    assert third["vanishing"]["outcome"] == "error"
    assert "matched nothing" in third["vanishing"]["error"]
    assert third["ai-office"]["outcome"] == "unchanged", "noise only: stamp, tokens, banner, reflow"
    found = changes(config, db)
    summary = sorted((c["source"], c["kind"], c["location"]) for c in found)
    assert summary == sorted(
        [
            ("ema-ai", "modified", "Workplan"),
            ("ema-ai", "added", "Large language models"),
            ("ema-news", "added", "Items"),
            ("ai-office-feed", "added", "Items"),
            ("eurlex-ai-act", "modified", "Article 4"),
            ("eurlex-ai-act", "modified", "Article 57 > 9 > (b)"),
            ("reflection-paper", "modified", "Page 2"),
        ]
    )
    by_location = {(c["source"], c["location"]): c for c in found}

    workplan = by_location[("ema-ai", "Workplan")]
    assert workplan["removed"] == [
        "AI tools and technology: identifying and deploying AI tools "
        "that support the work of the network."
    ]
    assert workplan["added"][0].endswith("including a regulatory sandbox pilot for AI tools.")
    assert ["+", "including a regulatory sandbox pilot for AI tools."] in [
        [op, text.strip(" ,")] for op, text in workplan["diff"]
    ] or any(op == "+" and "regulatory sandbox pilot" in text for op, text in workplan["diff"])
    assert "experimentation" in workplan["dimensions"]
    assert "sandbox" in " ".join(workplan["evidence"]["experimentation"]).lower()

    llm = by_location[("ema-ai", "Large language models")]
    assert llm["added"] == [
        "A training programme for assessors on the use of large language "
        "models in regulatory assessment will start in 2026."
    ]
    assert llm["removed"] == []
    assert "collaboration" in llm["dimensions"]

    article4 = by_location[("eurlex-ai-act", "Article 4")]
    assert article4["url"].endswith("/act.html#art_4")
    assert "AI literacy" in article4["removed"][0] and article4["added"][0].endswith(
        "education and training."
    )
    assert any(op == "+" and "technical knowledge" in text for op, text in article4["diff"])
    assert "collaboration" in article4["dimensions"]

    sandbox = by_location[("eurlex-ai-act", "Article 57 > 9 > (b)")]
    assert "experimentation" in sandbox["dimensions"]
    assert any(op == "+" and "lessons learnt" in text for op, text in sandbox["diff"])

    news = by_location[("ema-news", "Items")]
    assert news["url"].endswith("/en/news/reflection-paper-ai-adopted")
    assert "guidance" in news["dimensions"]
    feed = by_location[("ai-office-feed", "Items")]
    assert "general-purpose AI" in feed["title"]
    assert "guidance" in feed["dimensions"]
    pdf = by_location[("reflection-paper", "Page 2")]
    assert any(op == "+" and "scientific advice" in text for op, text in pdf["diff"])

    fourth = poll(config, db)
    assert all(
        r["outcome"] in ("not_modified", "unchanged")
        for s, r in fourth.items()
        if s not in ("broken", "vanishing")
    ), fourth
    assert len(changes(config, db)) == len(found), "polling v2 again reports nothing new"

    # Filters of the history.
    assert {c["source"] for c in changes(config, db, "--source", "eurlex-ai-act")} == {
        "eurlex-ai-act"
    }
    experimentation = changes(config, db, "--dimension", "experimentation")
    assert experimentation and all("experimentation" in c["dimensions"] for c in experimentation)
    assert [c["location"] for c in changes(config, db, "--search", "lessons learnt")] == [
        "Article 57 > 9 > (b)"
    ]
    assert changes(config, db, "--until", "2000-01-01") == []

    # Errors are visible per source, and the database holds no snapshot for them.
    listed = json.loads(run(config, db, "sources", "--format", "json").stdout)
    status = {s["id"]: s for s in listed}
    assert status["broken"]["status"] == "error" and "500" in status["broken"]["last_error"]
    assert status["vanishing"]["status"] == "error"
    assert status["ema-ai"]["status"] == "ok" and status["ema-ai"]["last_change_at"]
    engine = make_engine(db)
    with engine.connect() as conn:
        snapshots = "SELECT count(*) FROM snapshots WHERE source_id = :s"
        assert conn.execute(text(snapshots), {"s": "broken"}).scalar() == 0
        assert conn.execute(text(snapshots), {"s": "vanishing"}).scalar() == 1
        outcomes = conn.execute(
            text("SELECT outcome, count(*) FROM checks WHERE source_id='ema-ai' GROUP BY outcome")
        ).all()
        assert dict(outcomes) == {"new": 1, "not_modified": 2, "changed": 1}  # type: ignore[arg-type]
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()


def test_recovery_compares_with_last_good_snapshot(world: tuple[FixtureSite, Path, str]) -> None:
    """vanish.html: v1 good, v2 region gone (error), back to v1: no change, since the error
    was never content."""
    site, config, db = world
    run(config, db, "check", "vanishing")
    site.version = 2
    assert run(config, db, "check", "vanishing").exit_code == 1
    site.version = 1
    result = run(config, db, "check", "vanishing", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["outcome"] in ("unchanged", "not_modified")
    assert changes(config, db) == []
    listed = json.loads(run(config, db, "sources", "--format", "json").stdout)
    assert next(s for s in listed if s["id"] == "vanishing")["status"] == "ok"


def test_table_output_and_exit_code(world: tuple[FixtureSite, Path, str]) -> None:
    _, config, db = world
    result = run(config, db, "check", "ema-ai", "eurlex-ai-act")
    assert result.exit_code == 0, result.output
    assert "ema-ai" in result.stdout and "new" in result.stdout
    assert "2 sources: 2 new" in result.stdout
    result = run(config, db, "check", "nope")
    assert result.exit_code == 2 and "unknown source id 'nope'" in result.stderr


def test_site_root_exists() -> None:
    assert (SITE_ROOT / "v1" / "ai.html").exists() and (SITE_ROOT / "v2" / "ai.html").exists()
