"""Serve real captures over loopback and poll them as a user would: ``observatory check``.

One fixture site (``tests/sitesrv.py``) serves every job at ``/<slug>``: the old capture until
``side`` is switched to ``new``. One sources.yaml lists them all; the first ``check`` is the
baseline, the second reports what changed; ``observatory changes`` reads it back. Shared by
``test_pairs.py`` and ``bench/realdata_bench.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from observatory.cli.main import main
from tests.realdata.pairs import CORPUS, Pair
from tests.sitesrv import FixtureSite, Handler, Response

SERVED_AGAIN = b"\n<!-- served again: the bytes differ, the content does not -->\n"
_TYPES = {
    ".html": "text/html",
    ".xml": "application/rss+xml",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Job:
    """One URL of the scenario: what it serves before and after the switch."""

    slug: str
    old: bytes
    new: bytes
    content_type: str
    source: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    outcome: str
    error: str | None
    changes: list[dict[str, Any]]


def read(path: str) -> bytes:
    return (CORPUS / path).read_bytes()


def content_type(path: str) -> str:
    return _TYPES.get(Path(path).suffix, "application/octet-stream")


def pair_job(pair: Pair) -> Job:
    return Job(pair.slug, read(pair.old), read(pair.new), content_type(pair.new), pair.source)


def twice_job(path: str) -> Job:
    """A capture served twice; the second copy gets a trailing comment so that the poll does
    not stop at "identical bytes" but extracts and compares."""
    body = read(path)
    source = {"kind": "feed"} if path.endswith(".xml") else {}
    slug = "twice-" + "-".join(Path(path).with_suffix("").parts[-2:]).lower().replace("_", "-")
    return Job(slug[:90], body, body + SERVED_AGAIN, content_type(path), source)


@contextmanager
def serving(jobs: Sequence[Job]) -> Iterator[tuple[FixtureSite, dict[str, str]]]:
    site = FixtureSite().start()
    side = {"now": "old"}

    def route(job: Job) -> Any:
        def respond(handler: Handler) -> Response:
            body = job.old if side["now"] == "old" else job.new
            return Response(200, body, {"Content-Type": job.content_type})

        return respond

    for job in jobs:
        site.routes[f"/{job.slug}"] = route(job)
    try:
        yield site, side
    finally:
        site.stop()


def write_config(path: Path, site: FixtureSite, jobs: Sequence[Job]) -> Path:
    sources = [
        {"id": job.slug, "url": site.url(f"/{job.slug}"), "kind": "page", **job.source}
        for job in jobs
    ]
    settings = {"per_host_delay": 0, "retries": 0, "timeout": 60, "concurrency": 4}
    path.write_text(yaml.safe_dump({"sources": sources, "settings": settings}, sort_keys=False))
    return path


def cli(config: Path, db: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def check(config: Path, db: Path) -> dict[str, dict[str, Any]]:
    result = cli(config, db, "check", "--format", "json")
    return {r["source"]: r for r in json.loads(result.stdout)}


def poll_twice(jobs: Sequence[Job], workdir: Path) -> dict[str, Result]:
    """Baseline on the old captures, then the new ones: each job's outcome and changes."""
    db = workdir / "observatory.db"
    with serving(jobs) as (site, side):
        config = write_config(workdir / "sources.yaml", site, jobs)
        first = check(config, db)
        failed = {s: r["error"] for s, r in first.items() if r["outcome"] != "new"}
        side["now"] = "new"
        second = check(config, db)
    listed = cli(config, db, "changes", "--format", "json", "--limit", "100000")
    changes: dict[str, list[dict[str, Any]]] = {}
    for change in json.loads(listed.stdout):
        changes.setdefault(change["source"], []).append(change)
    return {
        job.slug: Result(
            second[job.slug]["outcome"] if job.slug not in failed else "baseline failed",
            second[job.slug].get("error") or failed.get(job.slug),
            list(reversed(changes.get(job.slug, []))),  # newest first -> document order
        )
        for job in jobs
    }


def words(text: str) -> str:
    return " ".join(text.split())


def change_text(change: Mapping[str, Any]) -> str:
    return words(" ".join([change["title"], *change["added"], *change["removed"]]))


def found(want_text: str, changes: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The changes that hold *want_text*."""
    return [c for c in changes if words(want_text) in change_text(c)]
