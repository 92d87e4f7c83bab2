"""Benchmark (not a test): latency of the web API and pages over a large SQLite history.

    .venv/bin/python bench/web_bench.py [--changes 1000000] [--sources 100] [--requests 40]
                                        [--db PATH] [--keep]

Fills a fresh SQLite file (through the real migrations, so the FTS5 triggers index every row)
with N synthetic changes over five years: sentences of the AI Act from
``../shared/corpus/ai-act/final-2024-1689.txt``, edited word by word, 0-2 dimensions each,
written with ``executemany`` in one transaction. Then serves the app with a real uvicorn on
loopback and times requests with one httpx client (HTTP included), reporting p50/p95 per query,
and the file size per million changes.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from observatory.config import Config, Source  # noqa: E402
from observatory.store.db import open_db  # noqa: E402
from observatory.web import create_app  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "ai-act" / "final-2024-1689.txt"
DIMENSIONS = ["guidance", "tools", "collaboration", "experimentation"]
START = datetime(2021, 12, 1, tzinfo=UTC)
SPAN = timedelta(days=5 * 365)


def sentences() -> list[str]:
    text = " ".join(CORPUS.read_text(encoding="utf-8").split())
    parts = re.split(r"(?<=[.;:])\s+", text)
    return [p for p in parts if 40 <= len(p) <= 400]


def edit(sentence: str, rng: random.Random, vocabulary: list[str]) -> tuple[str, list[list[str]]]:
    """The sentence with a few words replaced, and the word-level diff of the edit."""
    words = sentence.split()
    at = rng.randrange(len(words))
    span = min(rng.randint(1, 4), len(words) - at)
    new = [rng.choice(vocabulary) for _ in range(rng.randint(1, 5))]
    ops = []
    if at:
        ops.append(["=", " ".join(words[:at])])
    ops.append(["-", " ".join(words[at : at + span])])
    ops.append(["+", " ".join(new)])
    if at + span < len(words):
        ops.append(["=", " ".join(words[at + span :])])
    return " ".join(words[:at] + new + words[at + span :]), ops


def fill(db: Path, n_changes: int, n_sources: int, seed: int = 7) -> float:
    rng = random.Random(seed)
    pool = sentences()
    vocabulary = sorted({w.strip(".,;:()") for s in pool[:3000] for w in s.split()} - {""})
    started = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
    conn.execute("BEGIN")
    empty = b'{"blocks":[],"items":[],"links":[],"title":""}'
    conn.execute(
        "INSERT INTO blobs(hash, data, size) VALUES ('bench', ?, ?)",
        (zlib.compress(empty), len(empty)),
    )
    for s in range(n_sources):
        sid = f"src-{s:03d}"
        conn.execute(
            "INSERT INTO sources(id, url, kind, name, status, last_checked_at) "
            "VALUES (?, ?, 'page', ?, 'ok', ?)",
            (sid, f"https://example.org/{sid}", f"Source {s}", now),
        )
        conn.execute(
            "INSERT INTO snapshots(id, source_id, fetched_at, url, fingerprint, blob_hash) "
            "VALUES (?, ?, ?, ?, 'f', 'bench')",
            (s + 1, sid, now, f"https://example.org/{sid}"),
        )
    step = SPAN / n_changes
    batch: list[tuple[object, ...]] = []
    dims: list[tuple[int, str]] = []
    for i in range(1, n_changes + 1):
        s = rng.randrange(n_sources)
        old = rng.choice(pool)
        kind = rng.choices(["modified", "added", "removed"], [6, 3, 1])[0]
        if kind == "modified":
            new, diff = edit(old, rng, vocabulary)
            added, removed = [new], [old]
        elif kind == "added":
            added, removed, diff = [old], [], [["+", old]]
        else:
            added, removed, diff = [], [old], [["-", old]]
        keys = rng.sample(DIMENSIONS, rng.choices([0, 1, 2], [3, 5, 2])[0])
        article = rng.randint(1, 113)
        detected = (START + step * i).strftime("%Y-%m-%d %H:%M:%S.%f")
        batch.append(
            (
                i,
                f"src-{s:03d}",
                s + 1,
                detected,
                kind,
                f"Article {article} > {rng.randint(1, 9)}",
                f"Article {article} {kind}: {' '.join((added or removed)[0].split()[:8])}",
                f"https://example.org/src-{s:03d}#art_{article}",
                json.dumps(added, ensure_ascii=False),
                json.dumps(removed, ensure_ascii=False),
                json.dumps(diff, ensure_ascii=False),
                json.dumps(keys),
                json.dumps({k: ["bench"] for k in keys}),
            )
        )
        dims.extend((i, k) for k in keys)
        if len(batch) == 20000 or i == n_changes:
            conn.executemany(
                "INSERT INTO changes(id, source_id, snapshot_id, previous_snapshot_id, "
                "detected_at, kind, location, title, url, added, removed, diff, dimensions, "
                "evidence) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            conn.executemany(
                "INSERT INTO change_dimensions(change_id, dimension) VALUES (?, ?)", dims
            )
            batch, dims = [], []
            print(f"\r  {i:,} changes", end="", file=sys.stderr, flush=True)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    print(file=sys.stderr)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(db: Path, n_sources: int) -> tuple[uvicorn.Server, str]:
    sources = [
        Source(id=f"src-{s:03d}", url=f"https://example.org/src-{s:03d}") for s in range(n_sources)
    ]
    app = create_app(Config(sources=sources), open_db(str(db)))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(client: httpx.Client, url: str, n: int) -> tuple[float, float, float, int]:
    first = time.perf_counter()
    response = client.get(url)
    cold = (time.perf_counter() - first) * 1000
    response.raise_for_status()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        response.raise_for_status()
    items = len(response.json()["items"]) if url.startswith("/api/changes?") else -1
    return statistics.median(times), percentile(times, 0.95), cold, items


def queries(n_changes: int) -> list[tuple[str, str]]:
    deep = max(n_changes // 2, 2)
    return [
        ("list, no filter", "/api/changes"),
        ("source", "/api/changes?source=src-042"),
        ("dimension", "/api/changes?dimension=experimentation"),
        ("two dimensions", "/api/changes?dimension=tools&dimension=guidance"),
        ("since 30d", "/api/changes?since=30d"),
        ("until (old range)", "/api/changes?until=2022-06-01"),
        ("since+until window", "/api/changes?since=2023-03-01&until=2023-04-01"),
        ("source+dimension", "/api/changes?source=src-042&dimension=collaboration"),
        ("deep page (cursor)", f"/api/changes?cursor={deep}"),
        ("search common word", "/api/changes?q=shall"),
        ("search word", "/api/changes?q=sandbox"),
        ("search rare word", "/api/changes?q=pseudonymisation"),
        ("search phrase", '/api/changes?q="regulatory sandbox"'),
        ("search prefix", "/api/changes?q=biometr*"),
        ("search+dimension", "/api/changes?q=sandbox&dimension=experimentation"),
        ("search+source", "/api/changes?q=literacy&source=src-007"),
        ("one change", f"/api/changes/{deep}"),
        ("HTML /changes?q=", "/changes?q=sandbox"),
        ("Atom feed", "/feed.atom?dimension=guidance"),
        ("dashboard /", "/"),
        ("sources /sources", "/sources"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per query")
    parser.add_argument("--db", type=Path, help="reuse (or create) this file")
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="web-bench-"))
    db = args.db or workdir / "bench.db"
    if not db.exists():
        open_db(str(db)).dispose()  # the real migrations: tables, views, FTS5 and triggers
        seconds = fill(db, args.changes, args.sources)
        print(f"filled {args.changes:,} changes in {seconds:.0f} s")
    size = db.stat().st_size
    n = sqlite3.connect(db).execute("SELECT count(*) FROM changes").fetchone()[0]
    print(f"database: {size / 1e6:.0f} MB for {n:,} changes = {size / 1e6 / n * 1e6:.0f} MB/M")

    server, base = serve(db, args.sources)
    print(f"\nreal uvicorn on {base}, one httpx client, {args.requests} timed requests each")
    print(f"{'query':<22} {'p50 ms':>8} {'p95 ms':>8} {'first ms':>9} {'items':>6}  url")
    with httpx.Client(base_url=base, timeout=120) as client:
        for name, url in queries(n):
            p50, p95, cold, items = measure(client, url, args.requests)
            shown = "" if items < 0 else str(items)
            print(f"{name:<22} {p50:8.1f} {p95:8.1f} {cold:9.1f} {shown:>6}  {url}")
    server.should_exit = True
    if not args.keep and not args.db:
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    main()
