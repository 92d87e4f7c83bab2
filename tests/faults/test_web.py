"""The web app under hostile requests: no 500 for odd input, security headers even on a 500,
no token in the access log, feed links that a Host header cannot steer."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from observatory.store.db import open_db
from observatory.web import create_app
from tests.faults.conftest import config_with
from tests.sitesrv import FixtureSite

ODD = [
    "/api/changes?limit=%C2%B2",  # superscript two: a digit to isdigit(), not to int()
    "/api/changes?cursor=%C2%B2",
    "/changes?limit=%C2%B2",
    "/changes?cursor=%C2%B2",
    "/changes?since=%C2%B2d",
    "/api/changes?since=0001-01-01T00:00%2B01:00",  # before year 1 once in UTC
    "/changes?until=9999-12-31T23:59:59-14:00",  # after year 9999 once in UTC
    "/feed.atom?since=0001-01-01T00:00%2B05:00",
    "/changes?since=999999999w",
]


@pytest.fixture
def app_base(tmp_path: Path, site: FixtureSite) -> Iterator[str]:
    from observatory.config import load_config
    from tests.fixtures.web.world import serving

    config = load_config(config_with(tmp_path, site))
    with serving(create_app(config, open_db(str(tmp_path / "web.db")))) as base:
        yield base


@pytest.mark.parametrize("path", ODD)
def test_odd_parameters_are_a_clear_4xx_never_a_500(app_base: str, path: str) -> None:
    response = httpx.get(app_base + path, timeout=10)
    assert 400 <= response.status_code < 500, (path, response.status_code, response.text)


def test_a_500_carries_the_security_headers(tmp_path: Path, site: FixtureSite) -> None:
    from observatory.config import load_config
    from tests.fixtures.web.world import serving

    config = load_config(config_with(tmp_path, site))
    db = tmp_path / "broken.db"
    engine = open_db(str(db))
    with sqlite3.connect(db) as conn:  # a database damaged behind the app's back
        conn.execute("DROP VIEW IF EXISTS v_changes")
        conn.execute("ALTER TABLE change_dimensions RENAME TO gone")
    with serving(create_app(config, engine)) as base:
        response = httpx.get(base + "/changes?dimension=guidance", timeout=10)
    assert response.status_code == 500
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_feed_ignores_the_host_header(app_base: str) -> None:
    body = httpx.get(app_base + "/feed.atom", headers={"Host": "evil.example"}, timeout=10).text
    assert "evil.example" not in body


def test_the_feed_takes_its_links_from_public_url(tmp_path: Path, site: FixtureSite) -> None:
    from observatory.config import load_config
    from tests.fixtures.web.world import serving

    path = config_with(tmp_path, site)
    path.write_text(
        path.read_text().replace(
            "settings: {", "settings: {public_url: 'https://obs.example.org', "
        )
    )
    config = load_config(path)
    with serving(create_app(config, open_db(str(tmp_path / "p.db")))) as base:
        body = httpx.get(base + "/feed.atom", headers={"Host": "evil.example"}, timeout=10).text
    assert "https://obs.example.org/changes" in body and "evil.example" not in body


def test_serve_never_logs_the_token(tmp_path: Path, site: FixtureSite) -> None:
    from tests.fixtures.web.world import free_port

    config = config_with(tmp_path, site)
    port = free_port()
    env = {**os.environ, "OBSERVATORY_API_TOKEN": "s3cret-token-value"}
    command = [sys.executable, "-c", "from observatory.cli.main import main; main()"]
    proc = subprocess.Popen(
        [
            *command,
            "--config",
            str(config),
            "--db",
            str(tmp_path / "s.db"),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/sources?token=s3cret-token-value", timeout=2
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "serve did not start"
                time.sleep(0.1)
        assert response.status_code == 200
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert re.search(r"GET /sources\?token=\[redacted\]", output), output
    assert "s3cret-token-value" not in output
