"""Soak test of ``observatory run`` (not in CI): many sources on short schedules for minutes.

    .venv/bin/python bench/soak.py                       # 10 minutes, 200 sources, every 10 s
    .venv/bin/python bench/soak.py --minutes 2 --sources 50

A local HTTP server answers on ten loopback addresses (127.0.0.1-10, ten "hosts", so the per-host
pace is exercised); one page in ten changes every minute, the rest answer 304 to a conditional GET.
The service runs as a subprocess; every 5 s its CPU time and RSS are read from /proc. At the end
it is stopped with SIGTERM and the database is read back. Reported: polls per minute, CPU, peak
RSS, memory growth after warm-up, missed schedules (a gap between two polls of a source longer
than 1.5 intervals plus jitter, or a poll skipped because the previous one still ran), the exit
code and the time the stop took.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOSTS = [f"127.0.0.{i}" for i in range(1, 11)]
ROOT = Path(__file__).resolve().parent.parent


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            body = b"User-agent: *\nAllow: /\n"
            self._send(200, body, {"Content-Type": "text/plain"})
            return
        number = int(self.path.strip("/").removeprefix("p").removesuffix(".html") or 0)
        minute = int(time.time() // 60) if number % 10 == 0 else 0
        paragraphs = "".join(
            f"<p>Paragraph {k} of page {number} on AI in medicines, edition {minute}.</p>"
            for k in range(40)
        )
        page = f"<html><body><main><h1>Page {number}</h1>{paragraphs}</main></body></html>"
        data = page.encode()
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", {"ETag": etag})
            return
        self._send(200, data, {"Content-Type": "text/html; charset=utf-8", "ETag": etag})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def proc_sample(pid: int) -> tuple[float, int]:
    """(CPU seconds user+system, RSS bytes) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
    return cpu, rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--every", type=float, default=10.0)
    parser.add_argument("--out", type=Path, help="also write the report as JSON here")
    args = parser.parse_args()

    server = ThreadingHTTPServer(("0.0.0.0", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    work = Path(tempfile.mkdtemp(prefix="observatory-soak-"))
    lines = ["sources:"]
    for i in range(args.sources):
        host = HOSTS[i % len(HOSTS)]
        lines.append(f'  - {{id: p{i:03}, url: "http://{host}:{port}/p{i}.html", select: main, '
                     f"every: {args.every:g}s}}")  # fmt: skip
    lines.append(
        "settings: {per_host_delay: 0.1, retries: 1, timeout: 10, recheck_on_change: false}"
    )
    config = work / "sources.yaml"
    config.write_text("\n".join(lines) + "\n")
    db = work / "soak.db"
    log_path = work / "run.log"
    env = {**os.environ, "OBSERVATORY_LOG_FORMAT": "json", "OBSERVATORY_MAIL_FROM": ""}
    cmd = [sys.executable, "-c", "from observatory.cli.main import main; main()"]
    cmd += ["--config", str(config), "--db", str(db), "run", "--port", "0"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    started = time.monotonic()
    samples: list[tuple[float, float, int]] = []
    print(f"soak: {args.sources} sources every {args.every:g}s for {args.minutes:g} min; {work}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # and stop the service on the way out
    try:
        while time.monotonic() - started < args.minutes * 60 and proc.poll() is None:
            cpu, rss = proc_sample(proc.pid)
            samples.append((time.monotonic() - started, cpu, rss))
            time.sleep(5)
    except BaseException:
        proc.terminate()
        proc.wait(30)
        raise
    stop_at = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(30)
    stop_seconds = time.monotonic() - stop_at
    server.shutdown()
    report = analyse(db, log_path, samples, args, code, stop_seconds)
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if code == 0 else 1


def analyse(
    db: Path,
    log_path: Path,
    samples: list[tuple[float, float, int]],
    args: argparse.Namespace,
    code: int,
    stop_seconds: float,
) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT source_id, started_at, outcome FROM checks").fetchall()
    by_source: dict[str, list[float]] = {}
    outcomes: dict[str, int] = {}
    for sid, at, outcome in rows:
        by_source.setdefault(sid, []).append(datetime.fromisoformat(at).timestamp())
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    limit = args.every * 1.5 + min(args.every * 0.1, 300)
    late = 0
    for times in by_source.values():
        times.sort()
        late += sum(1 for a, b in itertools.pairwise(times) if b - a > limit)
    skipped = log_path.read_text(errors="replace").count("schedule skipped")
    span = max(s[0] for s in samples) if samples else 1.0
    warm = [s for s in samples if s[0] >= 120] or samples
    cpu_total = samples[-1][1] if samples else 0.0
    return {
        "sources": args.sources,
        "every_seconds": args.every,
        "minutes": round(span / 60, 2),
        "polls": len(rows),
        "polls_per_minute": round(len(rows) / (span / 60), 1),
        "expected_per_minute": round(args.sources * 60 / args.every, 1),
        "outcomes": outcomes,
        "sources_never_polled": args.sources - len(by_source),
        "missed_schedules": late + skipped,
        "late_gaps": late,
        "skipped_still_running": skipped,
        "cpu_seconds": round(cpu_total, 1),
        "cpu_percent_of_one_core": round(100 * cpu_total / span, 1),
        "rss_peak_mb": round(max(s[2] for s in samples) / 2**20, 1) if samples else 0,
        "rss_after_warmup_mb": round(warm[0][2] / 2**20, 1) if warm else 0,
        "rss_end_mb": round(samples[-1][2] / 2**20, 1) if samples else 0,
        "rss_growth_after_warmup_mb": round((warm[-1][2] - warm[0][2]) / 2**20, 1) if warm else 0,
        "exit_code": code,
        "stop_seconds": round(stop_seconds, 2),
        "database_mb": round(db.stat().st_size / 2**20, 1),
    }


if __name__ == "__main__":
    sys.exit(main())
