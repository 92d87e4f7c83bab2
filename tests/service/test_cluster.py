"""Several `observatory worker` processes on one PostgreSQL database, polling the fixture site.

Real parts: worker subprocesses, a fresh PostgreSQL database per test, fixture sites on two
loopback addresses whose request log (arrival and end of each response) is the ground truth.
The dispatch tick and the stall timeout are shortened (environment) so the tests take seconds.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from tests.sitesrv import FixtureSite, Response

DELAY = 0.3  # per_host_delay of the tests
WORKER = "from observatory.cli.main import main; main()"


@pytest.fixture
def site2() -> Iterator[FixtureSite]:
    server = FixtureSite(host="127.0.0.2").start()
    try:
        yield server
    finally:
        server.stop()


class Workers:
    """Worker subprocesses of one test, each with its log file; all killed at the end."""

    def __init__(self, tmp: Path, db: str, config: Path) -> None:
        self.tmp, self.config = tmp, config
        self.env = os.environ | {
            "OBSERVATORY_DB": db,
            "OBSERVATORY_CONFIG": str(config),
            "OBSERVATORY_DISPATCH_TICK": "1",
            "OBSERVATORY_STALL_TIMEOUT": "4",
        }
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, concurrency: int = 4) -> subprocess.Popen[bytes]:
        with (self.tmp / f"worker{len(self.procs)}.log").open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-c", WORKER, "worker", "--concurrency", str(concurrency)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def log(self, index: int) -> str:
        return (self.tmp / f"worker{index}.log").read_text()

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(tmp_path: Path, pg_url: str) -> Iterator[Workers]:
    group = Workers(tmp_path, pg_url, tmp_path / "sources.yaml")
    try:
        yield group
    finally:
        group.close()


def write_config(path: Path, sources: list[tuple[str, str, str]]) -> None:
    lines = ["sources:"]
    lines += [f'  - {{id: {sid}, url: "{url}", every: {every}}}' for sid, url, every in sources]
    lines.append(
        f"settings: {{per_host_delay: {DELAY}, retries: 0, timeout: 10, "
        "recheck_on_change: false, poll_timeout: 30}"
    )
    path.write_text("\n".join(lines) + "\n")


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:g} s: {what}")


def query(db: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def checks_of(db: str) -> dict[str, list[str]]:
    """Outcomes of each source's checks, in order ({} while the workers still migrate)."""
    out: dict[str, list[str]] = {}
    try:
        rows = query(db, "SELECT source_id, outcome FROM checks ORDER BY id")
    except ProgrammingError:
        return out
    for source, outcome in rows:
        out.setdefault(str(source), []).append(str(outcome))
    return out


def politeness_violations(site: FixtureSite) -> list[str]:
    """Requests to the host that overlap, or start less than DELAY after the previous start."""
    times = sorted(site.times)
    bad = []
    for (s1, e1, p1), (s2, _, p2) in itertools.pairwise(times):
        if s2 < e1 - 0.005 or s2 - s1 < DELAY - 0.005:
            bad.append(f"{p1} [{s1:.3f}, {e1:.3f}] then {p2} at {s2:.3f}")
    return bad


def test_two_workers_share_the_work_politely_and_record_each_change_once(
    workers: Workers, site: FixtureSite, site2: FixtureSite
) -> None:
    pages = ("/ai.html", "/act.html", "/news.html")
    sources = [(f"a{i}", site.url(p), "2s") for i, p in enumerate(pages)]
    sources += [(f"b{i}", site2.url(p), "2s") for i, p in enumerate(pages)]
    write_config(workers.config, sources)
    first, second = workers.start(), workers.start()
    db = workers.env["OBSERVATORY_DB"]
    wait_until(lambda: all(len(checks_of(db).get(s[0], [])) >= 2 for s in sources), 40, "polls")
    site.version = site2.version = 2
    wait_until(
        lambda: all("changed" in checks_of(db).get(s[0], []) for s in sources),
        30,
        "the change of v2 recorded",
    )
    time.sleep(3)  # more polls of the changed pages: none may record the change again
    for proc in (first, second):
        proc.send_signal(signal.SIGTERM)
    assert [proc.wait(timeout=15) for proc in (first, second)] == [0, 0]

    checks = checks_of(db)
    # every page of the site changes from v1 to v2: each change is recorded once, by one worker
    assert {sid: outcomes.count("changed") for sid, outcomes in checks.items()} == dict.fromkeys(
        [s[0] for s in sources], 1
    )
    snapshots = dict(query(db, "SELECT source_id, count(*) FROM snapshots GROUP BY source_id"))
    assert snapshots == dict.fromkeys([s[0] for s in sources], 2)
    assert "poll " in workers.log(0) and "poll " in workers.log(1), "both workers polled"
    assert politeness_violations(site) == [] and politeness_violations(site2) == []
    robots = [t for t in site.times if t[2] == "/robots.txt"]
    assert len(robots) == 1, "robots.txt is read once for all workers"


def test_a_worker_killed_mid_poll_loses_nothing(workers: Workers, site: FixtureSite) -> None:
    slow = {"delay": 3.0}
    body = (Path(__file__).parents[1] / "fixtures/site/v1/ai.html").read_bytes()
    site.routes["/slow.html"] = lambda _: Response(
        200, body, {"Content-Type": "text/html"}, delay=slow["delay"]
    )
    write_config(workers.config, [("slow", site.url("/slow.html"), "1h")])
    victim = workers.start()
    wait_until(lambda: bool(site.requests_for("/slow.html")), 30, "the slow page requested")
    victim.kill()  # SIGKILL mid-poll: nothing recorded, the job and the claim left behind
    victim.wait()
    slow["delay"] = 0.0
    db = workers.env["OBSERVATORY_DB"]
    assert checks_of(db) == {}
    rescuer = workers.start()
    wait_until(lambda: checks_of(db).get("slow") == ["new"], 25, "polled again by the other")
    assert len(site.requests_for("/slow.html")) == 2
    assert "poll slow recovered" in workers.log(1)
    rescuer.send_signal(signal.SIGTERM)
    assert rescuer.wait(timeout=15) == 0
    assert query(db, "SELECT count(*) FROM snapshots") == [(1,)]


def test_sighup_adds_a_source_and_sigterm_finishes_the_poll_in_flight(
    workers: Workers, site: FixtureSite
) -> None:
    body = (Path(__file__).parents[1] / "fixtures/site/v1/act.html").read_bytes()
    site.routes["/slow.html"] = lambda _: Response(
        200, body, {"Content-Type": "text/html"}, delay=2.0
    )
    write_config(workers.config, [("one", site.url("/ai.html"), "1h")])
    proc = workers.start()
    db = workers.env["OBSERVATORY_DB"]
    wait_until(lambda: checks_of(db).get("one") == ["new"], 30, "the first source polled")
    write_config(
        workers.config,
        [("one", site.url("/ai.html"), "1h"), ("two", site.url("/slow.html"), "1h")],
    )
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: bool(site.requests_for("/slow.html")), 15, "the added source polled")
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=12) == 0
    assert time.monotonic() - started < 10
    assert checks_of(db) == {"one": ["new"], "two": ["new"]}, workers.log(0)
