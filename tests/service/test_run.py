"""``observatory run`` as a real subprocess against the loopback fixture site, on second-scale
schedules: timing, changes, health and metrics, clean stop mid-poll, catch-up after downtime,
one scheduler per database, reload, and CLI reads while it writes."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from observatory.cli.main import main
from tests.sitesrv import FixtureSite, Handler, Response

RUN = [sys.executable, "-c", "from observatory.cli.main import main; main()"]
SETTINGS = "settings: {per_host_delay: 0, retries: 0, timeout: 20, recheck_on_change: false}\n"


class ServiceProcess:
    """One `observatory run` subprocess; a thread reads its log lines as they come, so a test
    waits on a line (a condition), never for a fixed time."""

    def __init__(self, tmp_path: Path, config: Path, db: Path | str, name: str = "run") -> None:
        self.log_path = tmp_path / f"{name}.log"
        self.config, self.db = config, db
        self.proc: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self.lines: list[str] = []
        self._new_line = threading.Condition()

    def start(self, wait_ready: bool = True) -> ServiceProcess:
        env = {**os.environ, "OBSERVATORY_LOG_FORMAT": "text", "OBSERVATORY_MAIL_FROM": ""}
        env["OBSERVATORY_DISPATCH_TICK"] = "1"  # on PostgreSQL: the cluster's dispatch, each second
        self.proc = subprocess.Popen(
            [*RUN, "--config", str(self.config), "--db", str(self.db), "run", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self._reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._reader.start()
        if wait_ready:
            line = self.wait_for(r"web on http://[\d.]+:(\d+)")
            self.port = int(re.search(r"web on http://[\d.]+:(\d+)", line).group(1))  # type: ignore[union-attr]
        return self

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        with proc.stdout, self.log_path.open("ab") as log:
            for raw in proc.stdout:  # ends when the process closes its output
                log.write(raw)
                log.flush()
                with self._new_line:
                    self.lines.append(raw.decode("utf-8", errors="replace").rstrip("\n"))
                    self._new_line.notify_all()
        with self._new_line:
            self._new_line.notify_all()  # the process ended: wake the waiters

    @property
    def log(self) -> str:
        with self._new_line:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 15.0, count: int = 1) -> str:
        assert self.proc is not None
        proc = self.proc

        def hits() -> list[str]:
            return [ln for ln in self.lines if re.search(pattern, ln)]

        with self._new_line:
            self._new_line.wait_for(
                lambda: len(hits()) >= count or proc.poll() is not None, timeout=timeout
            )
            found = hits()
        if len(found) >= count:
            return found[count - 1]
        raise AssertionError(f"no {count}x {pattern!r} in time; log:\n{self.log}")

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=5)

    def send(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 12.0) -> tuple[int, float]:
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"did not stop in {timeout}s; log:\n{self.log}") from None
        elapsed = time.monotonic() - started
        self._reader.join(5)  # every line it wrote is in self.lines
        return code, elapsed

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self._reader.join(5)


@pytest.fixture
def services() -> Iterator[list[ServiceProcess]]:
    started: list[ServiceProcess] = []
    yield started
    for service in started:
        service.kill()


def write_config(path: Path, site: FixtureSite, sources: list[str]) -> Path:
    lines = ["sources:"]
    for entry in sources:
        local = site.base_url.replace("127.0.0.1", "localhost")
        lines.append("  - " + entry.replace("$B", site.base_url).replace("$L", local))
    path.write_text("\n".join(lines) + "\n" + SETTINGS, encoding="utf-8")
    return path


def shift_back(db: Path, seconds: float) -> None:
    """Move every recorded time back, as if that much time had passed since (downtime)."""
    with sqlite3.connect(db) as conn:
        for table, column in (("sources", "last_checked_at"), ("checks", "started_at")):
            rows = conn.execute(f"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL")
            for rowid, value in rows.fetchall():
                earlier = datetime.fromisoformat(value) - timedelta(seconds=seconds)
                conn.execute(
                    f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
                    (earlier.isoformat(sep=" "), rowid),
                )


def checks(db: Path | str, source: str | None = None) -> list[tuple[str, datetime, str]]:
    """(source, started_at, outcome) of every recorded poll, oldest first (either engine)."""
    from sqlalchemy import select

    from observatory.store.db import make_engine
    from observatory.store.polls import CHECKS

    engine = make_engine(str(db))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(CHECKS.c.source_id, CHECKS.c.started_at, CHECKS.c.outcome).order_by(
                    CHECKS.c.started_at
                )
            ).all()
    finally:
        engine.dispose()
    return [(sid, at, outcome) for sid, at, outcome in rows if source is None or sid == source]


def start(
    tmp_path: Path,
    services: list[ServiceProcess],
    config: Path,
    name: str = "run",
    db: Path | str | None = None,
) -> ServiceProcess:
    service = ServiceProcess(tmp_path, config, db or tmp_path / "obs.db", name).start()
    services.append(service)
    return service


def test_polls_on_time_reports_a_change_and_answers_health_and_metrics(
    tmp_path: Path, site: FixtureSite, services: list[ServiceProcess], db_url: str
) -> None:
    """On SQLite and on PostgreSQL (there, for now, the same process under the same lease)."""
    ai = '{id: ai, url: "$B/ai.html", select: "main#content", every: 2s}'
    config = write_config(tmp_path / "sources.yaml", site, [ai])
    service = start(tmp_path, services, config, db=db_url)
    service.wait_for(r"poll ai (unchanged|not_modified)", count=2, timeout=10)
    times = [at for _, at, _ in checks(db_url, "ai")]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    # 2 s, jitter at most 0.2 s; on PostgreSQL a poll also waits for the next dispatch (1 s here)
    late = 1.2 if db_url.startswith("postgresql") else 0.0
    assert gaps and all(1.5 <= g <= 2.8 + late for g in gaps), gaps

    site.version = 2
    service.wait_for(r"poll ai changed", timeout=8)
    args = [
        "--config",
        str(config),
        "--db",
        db_url,
        "changes",
        "--format",
        "json",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    changes = json.loads(result.output)
    assert changes and {c["source"] for c in changes} == {"ai"}
    assert any("regulatory sandbox" in " ".join(c["added"]) for c in changes)

    health = service.get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["mode"] == "run"
    assert body["scheduler_alive"] is True and body["database_reachable"] is True
    assert body["sources_failing"] == 0 and body["outbox_pending"] == 0
    assert body["last_poll_at"].endswith("Z")

    metrics = service.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.text
    assert 'observatory_polls_total{outcome="changed"} 1.0' in text
    assert re.search(r'observatory_polls_total\{outcome="new"\} 1\.0', text)
    assert "observatory_poll_duration_seconds_bucket" in text
    assert re.search(r'observatory_changes_detected_total\{dimension="tools"\} [1-9]', text)
    assert 'observatory_outbox_messages{state="pending"} 0.0' in text
    assert "observatory_sources_failing 0.0" in text
    assert "observatory_scheduler_up 1" in text

    code, elapsed = service.stop()
    assert code == 0 and elapsed < 10
    if not db_url.startswith("postgresql"):  # the single-instance lease is SQLite's
        assert "scheduler lease released" in service.log


def test_sigterm_mid_poll_exits_0_and_leaves_no_half_written_poll(
    tmp_path: Path, site: FixtureSite, services: list[ServiceProcess]
) -> None:
    html = {"Content-Type": "text/html"}
    site.routes["/slow.html"] = lambda h: Response(200, b"<p>slow page</p>", html, delay=2.0)
    site.routes["/hang.html"] = lambda h: Response(200, b"<p>hangs</p>", html, delay=25.0)
    config = write_config(
        tmp_path / "sources.yaml",
        site,
        [
            '{id: slow, url: "$B/slow.html", every: 1h}',
            '{id: hang, url: "$L/hang.html", every: 1h}',  # another host: its own pace
        ],
    )
    service = start(tmp_path, services, config)
    assert site.wait_for_requests("/slow.html", "/hang.html"), service.log
    code, elapsed = service.stop()
    assert code == 0, service.log
    assert elapsed < 10.5, elapsed
    assert "poll slow new" in service.log  # the poll in flight finished
    assert "cancelled (nothing was written)" in service.log  # the hanging one rolled back
    with sqlite3.connect(tmp_path / "obs.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM checks WHERE source_id='hang'").fetchone() == (0,)
        orphans = conn.execute(
            "SELECT count(*) FROM snapshots s WHERE NOT EXISTS "
            "(SELECT 1 FROM checks c WHERE c.snapshot_id = s.id)"
        ).fetchone()
        assert orphans == (0,)
        unrecorded = conn.execute(
            "SELECT count(*) FROM sources "
            "WHERE last_snapshot_id IS NOT NULL AND last_checked_at IS NULL"
        ).fetchone()
        assert unrecorded == (0,)
        assert conn.execute("SELECT count(*) FROM service_lease").fetchone() == (0,)


def test_restart_after_downtime_catches_up_once(
    tmp_path: Path, site: FixtureSite, services: list[ServiceProcess]
) -> None:
    config = write_config(
        tmp_path / "sources.yaml",
        site,
        [
            '{id: ai, url: "$B/ai.html", select: "main#content", every: 2s}',
            '{id: act, url: "$B/act.html", every: 2s}',
            '{id: news, url: "$B/news.html", every: 1h}',
        ],
    )
    first = start(tmp_path, services, config, "first")
    first.wait_for(r"poll (ai|act|news) new", count=3, timeout=8)
    assert first.stop()[0] == 0
    db = tmp_path / "obs.db"
    before = len(checks(db))
    shift_back(db, seconds=4.1)  # as if two intervals of ai and act passed while nothing ran

    second = start(tmp_path, services, config, "second")
    second.wait_for(r"poll (ai|act) ", count=4, timeout=12)  # caught up, then one regular poll
    assert second.stop()[0] == 0
    taken = re.search(r"lease taken: .* since (\S+)Z", second.log)
    assert taken is not None
    scheduling_from = datetime.fromisoformat(taken.group(1) + "+00:00").timestamp()
    after = checks(db)[before:]
    for sid in ("ai", "act"):
        times = [at.timestamp() for s, at, _ in after if s == sid]
        assert times, after
        assert times[0] - scheduling_from < 4, "an overdue source is polled promptly"
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(g >= 1.6 for g in gaps), f"{sid} polled in a burst: {gaps}"
    assert not [c for c in after if c[0] == "news"], "news was not due: derived from the database"


def test_second_instance_refuses_and_names_the_holder(
    tmp_path: Path, site: FixtureSite, services: list[ServiceProcess]
) -> None:
    act = '{id: act, url: "$B/act.html", every: 1h}'
    config = write_config(tmp_path / "sources.yaml", site, [act])
    first = start(tmp_path, services, config, "first")
    assert first.proc is not None
    second = subprocess.run(
        [*RUN, "--config", str(config), "--db", str(tmp_path / "obs.db"), "run", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 1, second.stderr
    message = second.stderr
    assert f"pid {first.proc.pid}" in message and "host " in message and "since " in message
    assert first.get("/healthz").status_code == 200  # the holder is untouched

    # A crash (SIGKILL) leaves the lease behind; the next start on this host sees the dead pid
    # and takes over (tests/service/test_lease.py covers expiry across hosts).
    assert first.proc is not None
    first.proc.kill()
    first.proc.wait()
    after_crash = start(tmp_path, services, config, "after-crash")
    assert "scheduler lease taken" in after_crash.log
    assert after_crash.stop()[0] == 0


def test_sighup_with_a_broken_file_keeps_the_running_configuration(
    tmp_path: Path, site: FixtureSite, services: list[ServiceProcess]
) -> None:
    path = tmp_path / "sources.yaml"
    write_config(path, site, ['{id: ai, url: "$B/ai.html", select: "main#content", every: 2s}'])
    service = start(tmp_path, services, path)
    service.wait_for(r"poll ai new")
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("every: 2s", "every: often"), encoding="utf-8")
    service.send(signal.SIGHUP)
    service.wait_for(r"configuration not reloaded .*invalid duration")
    polls = service.log.count("poll ai ")
    service.wait_for(r"poll ai ", count=polls + 2, timeout=8)  # still polled every 2 s
    assert service.get("/healthz").status_code == 200

    # A valid file takes effect without SIGHUP: the change of contents is noticed.
    write_config(
        path,
        site,
        [
            '{id: ai, url: "$B/ai.html", select: "main#content", every: 2s}',
            '{id: act, url: "$B/act.html", every: 2s}',
        ],
    )
    service.wait_for(r"configuration reloaded \(file changed\): 2 sources", timeout=8)
    service.wait_for(r"poll act new", timeout=8)
    assert service.stop()[0] == 0


def _count_checks_in_another_process(db: Path) -> int:
    """What a separate reader (the CLI, a sqlite3 shell, a backup) sees: opened, read, closed."""
    code = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
    code += "print(c.execute('SELECT count(*) FROM checks').fetchone()[0]); c.close()"
    out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


def test_other_processes_keep_seeing_the_polls_of_a_service_that_created_the_database(
    tmp_path: Path, site: FixtureSite, services: list[ServiceProcess]
) -> None:
    """A regression: the migration lock once went through a descriptor of the database file,
    and closing it dropped SQLite's own locks of the service's connections; the next reader to
    close took the database for unused and deleted the WAL, and every later poll went to an
    unlinked file that no other process could see (nor a restart recover)."""
    ai = '{id: ai, url: "$B/ai.html", select: "main#content", every: 1s}'
    config = write_config(tmp_path / "sources.yaml", site, [ai])
    service = start(tmp_path, services, config)  # a new database: this process migrates it
    db = tmp_path / "obs.db"
    service.wait_for(r"poll ai ", count=1)
    _count_checks_in_another_process(db)  # a reader comes and goes
    service.wait_for(r"poll ai ", count=4, timeout=12)
    polls = service.log.count("poll ai ")
    assert _count_checks_in_another_process(db) >= polls, "polls vanished from the database"
    assert service.stop()[0] == 0
    assert _count_checks_in_another_process(db) >= polls


def test_healthz_and_metrics_name_a_source_whose_polls_the_database_cannot_keep(
    tmp_path: Path, site: FixtureSite, services: list[ServiceProcess]
) -> None:
    """A poll that cannot be recorded (here a trigger refuses every check row, as a full disk
    or a broken schema would) leaves the source's row saying ``ok``: the service itself must
    report it failing, and stop when the polls are kept again."""
    ai = '{id: ai, url: "$B/ai.html", select: "main#content", every: 1s}'
    config = write_config(tmp_path / "sources.yaml", site, [ai])
    service = start(tmp_path, services, config)
    service.wait_for(r"poll ai new")
    db = sqlite3.connect(tmp_path / "obs.db")
    refuse = "CREATE TRIGGER refuse BEFORE INSERT ON checks BEGIN SELECT RAISE(ABORT, 'no'); END"
    with db:
        db.execute(refuse)
    service.wait_for(r"poll ai error", timeout=10)
    health = service.get("/healthz").json()
    assert health["failing_sources"] == ["ai"] and health["sources_failing"] == 1
    assert "observatory_sources_failing 1.0" in service.get("/metrics").text
    with db:
        db.execute("DROP TRIGGER refuse")
    db.close()
    service.wait_for(r"poll ai (unchanged|not_modified)", timeout=10)
    health = service.get("/healthz").json()
    assert health["failing_sources"] == [] and health["sources_failing"] == 0
    assert service.stop()[0] == 0


def _churning(handler: Handler) -> Response:
    """A page whose every fetch differs a lot: each poll writes a snapshot and changes."""
    stamp = time.time_ns()
    paragraphs = "".join(f"<p>Item {stamp} {i} on AI tools in medicines.</p>" for i in range(60))
    return Response(200, f"<main>{paragraphs}</main>".encode(), {"Content-Type": "text/html"})


def test_cli_reads_never_fail_during_a_write_burst(
    tmp_path: Path, site: FixtureSite, services: list[ServiceProcess]
) -> None:
    entries = []
    for i in range(8):
        site.routes[f"/churn{i}.html"] = _churning
        entries.append(f'{{id: churn{i}, url: "$B/churn{i}.html", select: main, every: 1s}}')
    config = write_config(tmp_path / "sources.yaml", site, entries)
    service = start(tmp_path, services, config)
    service.wait_for(r"poll churn\d+ changed", count=8, timeout=15)
    db = tmp_path / "obs.db"
    run: Callable[..., object] = CliRunner().invoke
    failures = []
    for _ in range(6):
        for args in (["changes", "--format", "json", "--limit", "50"], ["sources"]):
            result = run(main, ["--config", str(config), "--db", str(db), *args])
            if result.exit_code != 0:  # type: ignore[attr-defined]
                failures.append(result.output)  # type: ignore[attr-defined]
    out = subprocess.run(
        [*RUN, "--config", str(config), "--db", str(db), "changes", "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0 and "locked" not in out.stderr, out.stderr
    assert not failures, failures[0]
    assert "database is locked" not in service.log
    assert service.stop()[0] == 0


def test_healthz_is_503_when_the_scheduler_is_dead_or_the_database_unreachable(
    tmp_path: Path,
) -> None:
    import asyncio

    from observatory.config import parse_config
    from observatory.service.run import build_app
    from observatory.service.status import SchedulerStatus
    from observatory.store.db import make_engine, open_db

    def get(app: object, path: str) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.get(path)

        return asyncio.run(call())

    config = parse_config("sources: []\n", str(tmp_path / "sources.yaml"))
    engine = open_db(str(tmp_path / "h.db"))
    status = SchedulerStatus(running=True)
    app = build_app(config, engine, status)
    assert get(app, "/healthz").status_code == 200
    status.running = False  # the scheduler died (or is stopping)
    dead = get(app, "/healthz")
    assert dead.status_code == 503 and dead.json()["scheduler_alive"] is False
    assert "observatory_scheduler_up 0" in get(app, "/metrics").text
    serve = get(build_app(config, engine, None), "/healthz")  # `observatory serve`
    assert serve.status_code == 200
    assert serve.json()["mode"] == "serve" and serve.json()["scheduler_alive"] is False
    status.running = True
    app.state.engine = make_engine(str(tmp_path / "missing" / "x.db"))  # the volume went away
    down = get(app, "/healthz")
    assert down.status_code == 503 and down.json()["database_reachable"] is False
    assert "observatory_database_up 0.0" in get(app, "/metrics").text
    engine.dispose()
