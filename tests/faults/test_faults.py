"""Faults of the machine and of concurrency: two processes on one database, a full, read-only or
locked database. Nothing doubles, nothing is lost, and each fault is one clear line."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from observatory.config import load_config
from observatory.pipeline import check_sources
from observatory.store.db import make_engine, open_db
from tests.faults.conftest import cli, config_with, spawn
from tests.sitesrv import FixtureSite, Response

SITE_CONFIG = """
sources:
  - {{id: ema-ai, url: "{b}/ai.html", select: "main#content"}}
  - {{id: ema-news, url: "{b}/news.html", kind: listing, items: article.news-item}}
  - {{id: ai-office-feed, url: "{b}/feed.xml", kind: feed}}
  - {{id: eurlex-ai-act, url: "{b}/act.html"}}
settings: {{per_host_delay: 0, retries: 0, timeout: 10, recheck_on_change: false}}
"""


def change_rows(db: Path | str) -> list[tuple[str, str, str]]:
    engine = make_engine(str(db))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT source_id, kind, location FROM changes ORDER BY id"))
            return [(r[0], r[1], r[2]) for r in rows]
    finally:
        engine.dispose()


def test_two_checks_at_once_record_each_change_once(
    tmp_path: Path, site: FixtureSite, db_url: str
) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(SITE_CONFIG.format(b=site.base_url))
    db = db_url  # a SQLite file, then PostgreSQL
    assert cli(config, db, "check").exit_code == 0  # the baseline
    site.version = 2
    runs = [spawn(config, db, "check", "--format", "json") for _ in range(2)]
    results = [proc.communicate(timeout=120) for proc in runs]
    for proc, (_out, err) in zip(runs, results, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    rows = change_rows(db)
    assert rows, "version 2 changed the site"
    assert len(rows) == len(set(rows)), f"a change recorded twice: {rows}"
    outcomes = [r["outcome"] for out, _ in results for r in json.loads(out)]
    # each source was polled for real once; the other process saw it busy or unchanged
    assert outcomes.count("changed") == 4, outcomes


def test_three_processes_create_a_new_database_at_once(tmp_path: Path, site: FixtureSite) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(SITE_CONFIG.format(b=site.base_url))
    db = tmp_path / "fresh.db"
    runs = [spawn(config, db, "sources", "--format", "json") for _ in range(3)]
    for proc in runs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert len(json.loads(out)) == 4


def test_two_senders_at_once_deliver_each_message_once(tmp_path: Path) -> None:
    from tests.digest.test_compose import add_change, fresh_db, mail_config, seed_sources
    from tests.digest.test_smtp import Handler, SMTPServer

    engine, config = fresh_db(tmp_path / "mail.db"), mail_config()
    seed_sources(engine, config)
    for source in ("ema-ai", "eurlex-ai-act"):
        add_change(engine, source, dimensions=("guidance",))
    handler = Handler()
    with SMTPServer(handler) as server:
        from observatory.digest import deliver_pending, store_new_digests

        settings = server.settings()
        store_new_digests(engine, config, settings)
        barrier = threading.Barrier(2)
        reports: list[Any] = []

        def send() -> None:
            barrier.wait()
            reports.append(deliver_pending(make_engine(str(tmp_path / "mail.db")), settings))

        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    ids = [message["Message-ID"] for _, message in handler.received]
    assert ids and len(ids) == len(set(ids)), "a message was delivered twice"
    assert sum(len(r.sent) for r in reports) == len(ids)


def _limit_pages(engine: Any, extra_pages: int) -> None:
    """Make the SQLite file 'full' a few pages from now (SQLITE_FULL, as on a full disk)."""

    @event.listens_for(engine, "connect")
    def full(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages + extra_pages}")
        cursor.close()


def test_a_full_disk_is_an_error_on_each_source_and_names_the_fault(
    tmp_path: Path, site: FixtureSite
) -> None:
    words = " ".join(f"lorem{secrets.token_hex(6)}" for _ in range(40_000))  # incompressible
    site.routes["/big.html"] = lambda _h: Response(200, f"<main><p>{words}</p></main>".encode(), {})
    config = config_with(tmp_path, site, '{id: big, url: "$B/big.html", select: main}')
    url = str(tmp_path / "full.db")
    open_db(url).dispose()
    engine = make_engine(url)
    _limit_pages(engine, 2)
    import asyncio

    results = asyncio.run(check_sources(load_config(config), engine))
    failed = [r for r in results if r.outcome == "error"]
    assert failed, results
    for r in failed:
        assert r.error and r.error.startswith("not recorded: the disk holding the database is full")
        assert "lorem" not in r.error and "INSERT" not in r.error  # no scraped text, no SQL


def test_a_read_only_database_is_one_line_exit_1(tmp_path: Path, site: FixtureSite) -> None:
    config = config_with(tmp_path, site)
    db = tmp_path / "ro.db"
    assert cli(config, db, "check").exit_code == 0
    read_only = f"sqlite:///file:{db}?mode=ro&uri=true"
    result = cli(config, read_only, "check")
    assert result.exit_code == 1
    assert "the database is read-only" in result.output
    assert "Traceback" not in result.output and "INSERT" not in result.output


def test_a_database_locked_past_the_timeout_names_the_lock(
    tmp_path: Path, site: FixtureSite
) -> None:
    config = config_with(tmp_path, site)
    url = str(tmp_path / "locked.db")
    open_db(url).dispose()
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def impatient(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 200")

    holder = sqlite3.connect(url, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        import asyncio

        with pytest.raises(Exception) as raised:  # even syncing the sources cannot write
            asyncio.run(check_sources(load_config(config), engine))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    from observatory.store.db import database_fault

    assert database_fault(raised.value).startswith("the database stayed locked")
