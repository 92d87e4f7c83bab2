"""Benchmark (not a test): render, store and send digests for many subscribers over many changes.

    .venv/bin/python bench/digest_bench.py [--subscribers 1000] [--changes 10000] [--sources 40]

Builds a fresh SQLite file with the changes, starts a local aiosmtpd server that counts what it
accepts, runs the two steps of ``observatory digest --send`` (store, then deliver) and prints
messages per second and peak memory (max RSS, and the Python heap peak via tracemalloc when
``--tracemalloc`` is given, which slows the run down).
"""

from __future__ import annotations

import argparse
import random
import resource
import socket
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import insert
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from observatory.config import Config
from observatory.digest import SmtpSettings, deliver_pending, store_new_digests
from observatory.dimensions import KEYS as DIMENSIONS
from observatory.store.db import open_db
from observatory.store.models import Blob, ChangeRow, Snapshot, SourceState

WORDS = [
    "providers",
    "deployers",
    "shall",
    "ensure",
    "AI",
    "literacy",
    "staff",
    "regulatory",
    "sandbox",
    "medicines",
    "agency",
    "guidance",
    "workplan",
    "data",
    "quality",
    "model",
    "validation",
    "reflection",
    "paper",
    "lifecycle",
]


class Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        self.bytes += len(envelope.content)
        return "250 OK"


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def build(db: Path, n_sources: int, n_changes: int, n_subs: int, seed: int) -> tuple[Any, Config]:
    rng = random.Random(seed)
    source_ids = [f"src-{i:02d}" for i in range(n_sources)]
    dims = list(DIMENSIONS)
    subscribers = []
    for i in range(n_subs):
        sub: dict[str, Any] = {"email": f"watcher{i}@example.org", "name": f"Watcher {i}"}
        roll = rng.random()
        if roll < 0.4:
            sub["dimensions"] = rng.sample(dims, 1)
        elif roll < 0.9:
            sub["sources"] = rng.sample(source_ids, rng.randint(1, 3))
        subscribers.append(sub)
    config = Config.model_validate(
        {
            "sources": [
                {"id": s, "url": f"https://example.org/{s}", "name": f"Source {s}"}
                for s in source_ids
            ],
            "subscribers": subscribers,
            "settings": {"public_url": "https://observatory.example.org"},
        }
    )
    engine = open_db(str(db))
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(Blob(hash="b", data=b"{}", size=2))
        for s in config.sources:
            session.add(
                SourceState(id=s.id, url=s.url, kind="page", name=s.display_name, status="ok")
            )
        session.flush()
        snaps = {}
        for sid in source_ids:
            snap = Snapshot(
                source_id=sid,
                fetched_at=now,
                url="https://example.org",
                fingerprint=sid,
                blob_hash="b",
            )
            session.add(snap)
            session.flush()
            snaps[sid] = snap.id
        rows: list[dict[str, Any]] = []
        for i in range(n_changes):
            src = rng.choice(source_ids)
            old, new = sentence(rng, 3), sentence(rng, 5)
            rows.append(
                {
                    "source_id": src,
                    "snapshot_id": snaps[src],
                    "detected_at": now,
                    "kind": "modified",
                    "location": f"Article {rng.randint(1, 113)}",
                    "title": f"Article modified {i}",
                    "url": f"https://example.org/{src}",
                    "added": [new],
                    "removed": [old],
                    "diff": [
                        ["=", sentence(rng, 30)],
                        ["-", old],
                        ["+", new],
                        ["=", sentence(rng, 30)],
                    ],
                    "dimensions": rng.sample(dims, rng.choice((0, 1, 1, 2))),
                    "evidence": {},
                }
            )
        session.execute(insert(ChangeRow), rows)
        session.commit()
    return engine, config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--sources", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine, config = build(
            Path(tmp) / "bench.db", args.sources, args.changes, args.subscribers, args.seed
        )
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        handler = Counter()
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, data_size_limit=100_000_000
        )
        controller.start()
        settings = SmtpSettings(
            host="127.0.0.1", port=port, security="none", mail_from="observatory@example.org"
        )
        if args.tracemalloc:
            tracemalloc.start()
        started = time.perf_counter()
        # what observatory digest --send does, timed per step
        stored = store_new_digests(engine, config, settings)
        rendered_at = time.perf_counter()
        report = deliver_pending(engine, settings)
        elapsed = time.perf_counter() - started
        heap = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        controller.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"subscribers {args.subscribers}, changes {args.changes}, sources {args.sources}")
    print(
        f"messages sent {len(report.sent)} (server accepted {handler.messages}, "
        f"{handler.bytes / 1e6:.1f} MB), pending {len(report.pending)}, "
        f"failed {len(report.failed)}"
    )
    print(f"elapsed {elapsed:.1f} s, {len(report.sent) / elapsed:.1f} messages/s")
    print(
        f"  render+store {rendered_at - started:.1f} s ({stored} stored), "
        f"deliver {elapsed - (rendered_at - started):.1f} s"
    )
    print(f"peak RSS {rss_mb:.0f} MB (process, includes the in-process SMTP server)")
    if heap is not None:
        print(f"peak Python heap (tracemalloc) {heap / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
