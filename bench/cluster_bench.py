"""Cluster bench: `observatory worker` x 1, 2, 4 on PostgreSQL against 200 loopback hosts.

    python bench/cluster_bench.py                    # 2,000 sources (the scale this machine runs)
    python bench/cluster_bench.py --sources 20000 --every 600 --step 300   # the issue's scale

Real parts only: a private PostgreSQL cluster (initdb in a temporary folder, its own port, so it
can be stopped for the fault without touching anyone's server), a site server process listening
on 127.0.1.1 ... 127.0.1.200 (loopback only) whose pages answer after 0.2-2 s and change at 1 %
per minute (Poisson), and worker subprocesses. The site's request log is the ground truth:

- polls/s          page requests answered per second (robots.txt excluded)
- lag p50/p99      seconds from a poll's due time to its start (the workers' ``lag_s``): the
                   dispatch tick plus the wait in the queue
- politeness       pairs of requests to one host that overlap or start < per_host_delay apart
- duplicate polls  two requests for one page less than half an interval apart
- lost polls       gaps between two requests for a page over interval + jitter + stall + tick
- dup changes      snapshots recorded twice for one page version (from the database)
- PG CPU/poll      CPU seconds of the PostgreSQL processes per page request

Phase 1 (throughput, latency-bound): every source made due at once, N workers drain the backlog;
polls/s over a window, X(N) against N * X(1). Phase 2 (4 workers, steady load at about half
their capacity): a baseline window, then SIGKILL of a worker mid-poll (restarted 5 s later, as a
supervisor would), SIGSTOP of one past the stall timeout, PostgreSQL stopped for 30 s, and
the window after that one (has the cluster caught up?).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), Path("/usr/bin"))
WORKER = "from observatory.cli.main import main; main()"
DELAY = 0.2  # per_host_delay
STALL = 15  # OBSERVATORY_STALL_TIMEOUT of the workers
TICK = 5


class PrivatePostgres:
    """A PostgreSQL cluster of its own (a fault stops it; the machine's server is left alone)."""

    def __init__(self, root: Path, port: int) -> None:
        self.data, self.port = root / "pgdata", port
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        root.chmod(0o777)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust")
        conf = self.data / "postgresql.conf"
        # authentication_timeout: a fast shutdown waits for every child that rejects a new
        # connection ("shutting down") to see the client's startup packet or time out (60 s by
        # default), and workers retrying their pools keep opening connections during the stop
        extra = "max_connections = 400\nfsync = off\nauthentication_timeout = 5s\n"
        conf.write_text(conf.read_text() + "\n" + extra)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_pg, str(PG_BIN / tool), *args], check=True, capture_output=True)

    def start(self) -> None:
        log = str(self.data.parent / "pg.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", f"-p {self.port}", "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "120", "stop")

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def cpu(self) -> float:
        """CPU seconds of the postmaster, its live children and the children it reaped."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        total = _cpu(pid, children=True)
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            total += _cpu(int(child), children=False)
        return total


def _cpu(pid: int, children: bool) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = (
        int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    )
    return ticks / os.sysconf("SC_CLK_TCK")


class Cluster:
    """Worker subprocesses (JSON logs) and the SQL the bench needs."""

    def __init__(self, root: Path, db: str, config: Path, concurrency: int) -> None:
        self.root, self.db, self.concurrency = root, db, concurrency
        self.env = os.environ | {
            "OBSERVATORY_DB": db,
            "OBSERVATORY_CONFIG": str(config),
            "OBSERVATORY_LOG_FORMAT": "json",
            "OBSERVATORY_STALL_TIMEOUT": str(STALL),
            "OBSERVATORY_DISPATCH_TICK": str(TICK),
        }
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.logs: list[Path] = []

    def observatory(self, *args: str) -> None:
        subprocess.run([sys.executable, "-c", WORKER, *args], env=self.env, check=True)

    def start(self, slot: int) -> None:
        log = self.root / f"worker{len(self.logs)}.jsonl"
        self.logs.append(log)
        with log.open("wb") as out:
            cmd = [sys.executable, "-c", WORKER, "worker", "--concurrency", str(self.concurrency)]
            self.procs[slot] = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=out)

    def cpu(self) -> float:
        return sum(_cpu(p.pid, children=False) for p in self.procs.values())

    def check_alive(self) -> None:
        """Stop the bench, with the worker's own words, if every worker has exited."""
        if self.procs and all(p.poll() is not None for p in self.procs.values()):
            tail = self.logs[-1].read_text(errors="replace").strip().splitlines()[-3:]
            sys.exit("cluster_bench: every worker exited:\n" + "\n".join(tail))

    def signal(self, slot: int, sig: signal.Signals) -> None:
        self.procs[slot].send_signal(sig)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def sql(self, statement: str) -> list[tuple[object, ...]]:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.db)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement))
                return [tuple(r) for r in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def lags(self) -> list[tuple[float, float]]:
        """(wall time of the poll's log line, lag in seconds) of every cluster poll."""
        out = []
        for log in self.logs:
            for line in log.read_text(errors="replace").splitlines():
                if '"lag_s"' in line:
                    try:
                        item = json.loads(line)
                    except ValueError:
                        continue
                    stamp = time.mktime(time.strptime(item["ts"], "%Y-%m-%dT%H:%M:%SZ"))
                    out.append((stamp - time.timezone, float(item["lag_s"])))
        return out


def read_requests(path: Path) -> list[tuple[str, str, float, float]]:
    """(host, path, arrival, end) of every request the site answered."""
    rows = []
    for line in path.read_text().splitlines():
        host, page, arrival, end, _status, _version = line.split()
        rows.append((host, page, float(arrival), float(end)))
    return rows


def politeness(requests: list[tuple[str, str, float, float]], t0: float, t1: float) -> int:
    by_host: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for host, _page, arrival, end in requests:
        by_host[host].append((arrival, end))
    bad = 0
    for times in by_host.values():
        times.sort()
        for (s1, e1), (s2, _e2) in itertools.pairwise(times):
            if t0 <= s2 < t1 and (s2 < e1 - 0.005 or s2 - s1 < DELAY - 0.005):
                bad += 1
    return bad


def gaps(
    requests: list[tuple[str, str, float, float]],
    interval: float,
    t0: float,
    t1: float,
    since: float,
    extra: float = 0.0,
) -> tuple[int, int, float]:
    """(duplicate polls, lost polls, longest gap) of the pages' requests started in [t0, t1)
    whose previous request started after *since* (the phase's start); *extra* seconds more
    are allowed before a gap counts as lost."""
    by_page: dict[str, list[float]] = defaultdict(list)
    for _host, page, arrival, _end in requests:
        if page.startswith("/p/"):
            by_page[page].append(arrival)
    allowed = interval + min(interval * 0.1, 300) + STALL + TICK + 5 + extra  # 5: orphan grace
    dup = lost = 0
    longest = 0.0
    for times in by_page.values():
        times.sort()
        for a, b in itertools.pairwise(times):
            if t0 <= b < t1 and a >= since:
                dup += b - a < interval / 2
                lost += b - a > allowed
                longest = max(longest, b - a)
    return dup, lost, longest


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def fresh_queue(cluster: Cluster) -> None:
    """Drop the poll jobs a previous phase left queued (they would run first, long overdue)."""
    cluster.sql("DELETE FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")


def vacuum(cluster: Cluster) -> None:
    """VACUUM ANALYZE after the first polls, so autovacuum does not land in a measured window."""
    from sqlalchemy import create_engine, text

    engine = create_engine(cluster.db, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def write_config(path: Path, sources: int, hosts: int, port: int, every: str, conc: int) -> None:
    lines = ["sources:"]
    for i in range(sources):
        lines.append(
            f'  - {{id: p{i}, url: "http://127.0.1.{i % hosts + 1}:{port}/p/{i}.html",'
            f' select: "main", every: {every}}}'
        )
    lines.append(
        f"settings: {{per_host_delay: {DELAY}, timeout: 10, retries: 0, concurrency: {conc},"
        " recheck_on_change: false, poll_timeout: 60}"
    )
    path.write_text("\n".join(lines) + "\n")


def wait_for(check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(2)
    return False


def throughput(
    cluster: Cluster, pg: PrivatePostgres, log: Path, workers: int, window: float
) -> dict[str, float]:
    """Every source due at once; polls/s while the backlog lasts (at most half of it is used,
    so the tail of the queue, one host at a time, is never in the window)."""
    sources = int(cluster.sql("SELECT count(*) FROM sources")[0][0])  # type: ignore[call-overload]
    expected = workers * cluster.concurrency / 1.1  # polls/s if bound by the 0.2-2 s latency
    window = min(window, 0.5 * sources / expected)
    fresh_queue(cluster)
    cluster.sql("UPDATE sources SET due_at = now(), due_anchor = now()")
    for slot in range(workers):
        cluster.start(slot)
    time.sleep(8)  # start, first dispatch, pools filled
    t0, cpu0, w0 = time.time(), pg.cpu(), cluster.cpu()
    time.sleep(window)
    t1, cpu1, w1 = time.time(), pg.cpu(), cluster.cpu()
    cluster.stop_all()
    pages = [r for r in read_requests(log) if r[1].startswith("/p/") and t0 <= r[3] < t1]
    polls = max(len(pages), 1)
    return {
        "polls_s": len(pages) / (t1 - t0),
        "pg_cpu_ms": 1000 * (cpu1 - cpu0) / polls,
        "worker_cpu_ms": 1000 * (w1 - w0) / polls,
        "window": t1 - t0,
        "polite": politeness(read_requests(log), t0, t1),
    }


def faults(
    cluster: Cluster,
    pg: PrivatePostgres,
    log: Path,
    interval: float,
    step: float,
    cpu: dict[str, float],
) -> list[tuple[str, float, float]]:
    """4 workers on a steady load; the windows (name, start, end) of baseline and each fault."""
    fresh_queue(cluster)
    cluster.sql(f"UPDATE sources SET due_at = now() + random() * interval '{interval} seconds'")
    cluster.sql("UPDATE sources SET due_anchor = due_at")
    for slot in range(4):
        cluster.start(slot)
    windows = []
    t = time.time()
    time.sleep(15)
    c = pg.cpu()
    time.sleep(step - 15)
    windows.append(("baseline", t + 15, time.time()))
    cpu["baseline"], c = pg.cpu() - c, pg.cpu()
    t = time.time()
    cluster.signal(1, signal.SIGKILL)  # mid-poll: at this load every worker has polls in flight
    time.sleep(5)
    cluster.start(1)
    time.sleep(step - 5)
    windows.append(("after SIGKILL", t, time.time()))
    cpu["after SIGKILL"], c = pg.cpu() - c, pg.cpu()
    t = time.time()
    cluster.signal(2, signal.SIGSTOP)
    time.sleep(STALL + 10)
    cluster.signal(2, signal.SIGCONT)
    time.sleep(max(step - STALL - 10, 0))
    windows.append(("after SIGSTOP", t, time.time()))
    cpu["after SIGSTOP"] = pg.cpu() - c
    t = time.time()
    pg.stop()
    stopping = time.time() - t
    time.sleep(30)
    pg.start()
    print(f"PostgreSQL down {time.time() - t:.1f} s (its fast stop took {stopping:.1f} s)")
    c = pg.cpu()
    time.sleep(step)
    cpu["after PG stop 30s"] = pg.cpu() - c
    windows.append(("after PG stop 30s", t, time.time()))
    t, c = time.time(), pg.cpu()  # the next window: has the cluster caught up?
    time.sleep(step)
    cpu["then recovered"] = pg.cpu() - c
    windows.append(("then recovered", t, time.time()))
    time.sleep(interval * 0.6)  # room to see a lost poll near the end
    cluster.stop_all()
    return windows


def report_faults(
    cluster: Cluster,
    log: Path,
    interval: float,
    windows: list[tuple[str, float, float]],
    cpu: dict[str, float],
) -> None:
    requests = read_requests(log)
    lags = cluster.lags()
    dup_changes = cluster.sql(
        "SELECT count(*) FROM (SELECT source_id, fingerprint FROM snapshots"
        " GROUP BY 1, 2 HAVING count(*) > 1) d"
    )[0][0]
    print(
        f"\n4 workers, steady load (every {interval:g} s), faults; dup changes in the whole"
        f" run: {dup_changes}"
    )
    print(
        f"{'window':<20}{'polls/s':>8}{'lag p50':>9}{'lag p99':>9}{'polite':>8}"
        f"{'dup':>6}{'lost':>6}{'lost+30s':>9}{'max gap':>9}{'PG ms/poll':>11}"
    )
    since = windows[0][1] - 15  # the phase's start
    for name, t0, t1 in windows:
        pages = [r for r in requests if r[1].startswith("/p/") and t0 <= r[2] < t1]
        lag = [v for stamp, v in lags if t0 <= stamp < t1]
        dup, lost, longest = gaps(requests, interval, t0, t1, since)
        lost_outage = gaps(requests, interval, t0, t1, since, extra=30.0)[1]
        rate = len(pages) / (t1 - t0)
        print(
            f"{name:<20}{rate:>8.1f}{percentile(lag, 0.5):>9.2f}{percentile(lag, 0.99):>9.2f}"
            f"{politeness(requests, t0, t1):>8}{dup:>6}{lost:>6}{lost_outage:>9}{longest:>9.1f}"
            f"{1000 * cpu.get(name, 0.0) / max(len(pages), 1):>11.2f}"
        )
    end = max(r[2] for r in requests)
    last: dict[str, float] = {}
    for _host, page, arrival, _end in requests:
        if page.startswith("/p/"):
            last[page] = max(last.get(page, 0.0), arrival)
    allowed = interval + min(interval * 0.1, 300) + STALL + TICK + 5
    stale = sum(end - t > allowed for t in last.values())
    print(f"pages not polled in the last {allowed:g} s of the run: {stale} of {len(last)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--every", type=float, default=60.0, help="interval of phase 2, seconds")
    parser.add_argument("--step", type=float, default=100.0, help="seconds per phase-2 window")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs per N")
    parser.add_argument(
        "--workers", default="1,2,4", help="worker counts of the throughput phase (1 first)"
    )
    parser.add_argument("--skip-faults", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep the logs")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("cluster_bench: terminated"))  # clean up
    if args.keep:
        args.keep.mkdir(parents=True)
        run(args.keep, args)
        return
    with tempfile.TemporaryDirectory(prefix="cluster-bench-") as tmp:
        run(Path(tmp), args)


def run(root: Path, args: argparse.Namespace) -> None:
    pg = PrivatePostgres(root, 55432)
    pg.start()
    log = root / "requests.log"
    site = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("cluster_site.py")),
            str(args.hosts),
            str(args.port),
            str(args.sources),
            "0.01",
            "11",
            str(log),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert site.stdout is not None and site.stdout.readline().strip() == b"ready"
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", "55432", "-U", "postgres", "bench"],
            check=True,
        )
        config = root / "sources.yaml"
        write_config(
            config, args.sources, args.hosts, args.port, f"{args.every:g}s", args.concurrency
        )
        cluster = Cluster(root, pg.url("bench"), config, args.concurrency)
        cluster.observatory("migrate")
        try:
            phases(cluster, pg, log, args)
        finally:
            cluster.stop_all()  # never leave workers behind, whatever failed
    finally:
        site.send_signal(signal.SIGTERM)
        site.wait()
        pg.stop()


def phases(cluster: Cluster, pg: PrivatePostgres, log: Path, args: argparse.Namespace) -> None:
    print(
        f"{args.sources} sources on {args.hosts} loopback hosts, latency 0.2-2 s, 1 %/min "
        f"changing; per_host_delay {DELAY} s, concurrency {args.concurrency} per worker, "
        f"stall timeout {STALL} s, tick {TICK} s; PostgreSQL {PG_BIN.parent.name} (private); "
        f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    start = time.time()
    for slot in range(4):
        cluster.start(slot)

    def checked():
        cluster.check_alive()
        return (
            cluster.sql("SELECT count(*) FROM sources WHERE last_checked_at IS NOT NULL")[0][0]
            >= args.sources
        )

    warmed = wait_for(checked, 1800)
    cluster.stop_all()
    print(
        f"first polls of every source (4 workers): {time.time() - start:.0f} s"
        f"{'' if warmed else ' (TIMED OUT)'}"
    )
    vacuum(cluster)
    runs: dict[int, list[dict[str, float]]] = defaultdict(list)
    # interleaved, the order rotated: the machine is shared
    for rep in range(0 if args.skip_throughput else args.repeat):
        counts = sorted({int(n) for n in args.workers.split(",")} | {1})
        for n in counts if rep % 2 == 0 else counts[::-1]:
            runs[n].append(throughput(cluster, pg, log, n, args.window))
    print(
        f"\nthroughput, medians of {args.repeat} interleaved runs each"
        f"\n{'workers':>7}{'polls/s':>9}{'N*X(1)':>8}{'ratio':>7}{'window':>8}"
        f"{'PG ms/poll':>11}{'worker ms/poll':>15}{'polite':>8}   runs (polls/s)"
    )
    base = statistics.median(r["polls_s"] for r in runs[1]) if runs else 0.0
    for n in sorted(runs):
        med = {k: statistics.median(r[k] for r in runs[n]) for k in runs[n][0]}
        polite = sum(int(r["polite"]) for r in runs[n])
        each = " ".join(f"{r['polls_s']:.1f}" for r in runs[n])
        print(
            f"{n:>7}{med['polls_s']:>9.1f}{n * base:>8.1f}{med['polls_s'] / (n * base):>7.2f}"
            f"{med['window']:>7.0f}s{med['pg_cpu_ms']:>11.2f}{med['worker_cpu_ms']:>15.2f}"
            f"{polite:>8}   {each}"
        )
    if args.skip_faults:
        return
    cpu: dict[str, float] = {}
    windows = faults(cluster, pg, log, args.every, args.step, cpu)
    report_faults(cluster, log, args.every, windows, cpu)


if __name__ == "__main__":
    main()
