"""The fixture site polled v1 -> v2 with a configured milestone: the scenario the milestone
tests share (a real loopback site, the real CLI, a real SQLite file).

In v2 the AI Office feed gains the item "Guidelines for providers of general-purpose AI models
under the AI Act" ("The Commission published guidelines ..."): it delivers ``gpai-guidelines``,
the milestone of the issue's example, configured in sources.yaml.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from click.testing import CliRunner, Result

from observatory.cli.main import main
from tests.sitesrv import FixtureSite

MILESTONE = """
milestones:
  - id: gpai-guidelines
    title: Guidelines for providers of general-purpose AI models
    owner: AI Office
    due: 2025-08-02
    basis: AI Act, Article 56
    dimensions: [guidance]
    match: ["guidelines for providers of general-purpose AI models"]
"""


def write_config(tmp_path: Path, base: str, extra: str = MILESTONE) -> Path:
    config = tmp_path / "sources.yaml"
    config.write_text(f"""
sources:
  - {{id: ema-ai, url: "{base}/ai.html", select: "main#content"}}
  - {{id: ema-news, url: "{base}/news.html", kind: listing, items: article.news-item}}
  - {{id: ai-office-feed, url: "{base}/feed.xml", kind: feed}}
  - {{id: eurlex-ai-act, url: "{base}/act.html"}}
subscribers:
  - {{email: gpai@example.org, dimensions: [guidance]}}
  - {{email: tools@example.org, dimensions: [tools]}}
settings: {{per_host_delay: 0, retries: 0, timeout: 10, recheck_on_change: false}}
{extra}""")
    return config


@dataclass
class Scenario:
    config: Path
    db: Path | str  # a SQLite file, or any URL --db takes (the db_url fixture's)

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(main, ["--config", str(self.config), "--db", str(self.db), *args])

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


def poll_v1_v2(
    tmp_path: Path, site: FixtureSite, extra: str = MILESTONE, db: str | None = None
) -> Scenario:
    scenario = Scenario(write_config(tmp_path, site.base_url, extra), db or tmp_path / "obs.db")
    assert scenario.run("check").exit_code == 0
    site.version = 2
    assert scenario.run("check").exit_code == 0
    return scenario


def change_id(scenario: Scenario, title_start: str) -> int:
    changes = scenario.json("changes")
    return next(c["id"] for c in changes if c["title"].startswith(title_start))


NEW_ITEM = "New item: Guidelines for providers of general-purpose AI models"


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run *app* with a real uvicorn on a free loopback port; yield its base URL. (As
    tests/fixtures/web/world.py does; that module is a pytest plugin of the web tests, and
    importing it here would keep pytest from rewriting its asserts.)"""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
