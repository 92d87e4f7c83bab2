"""Accuracy on real pages, Observatory beside urlwatch: false alarms, misses, locations.

    .venv/bin/python bench/realdata_bench.py [--only SLUG ...] [--method pyhtml2text|re|bs4]

Needs ../shared/corpus (read in place) and urlwatch with the Python html2text module
(``pip install -e '.[bench]'``: the ``bench`` extra).

Both tools see the same bytes in the same run: every pair of ``tests/realdata/pairs.py`` is
served over loopback by the fixture site (old capture, then new), and every page capture is
served twice (the second copy with a trailing HTML comment). Observatory polls them through
``observatory check`` (``tests/realdata/harness.py``, as the test suite does); urlwatch runs its
own code on the same URLs: ``UrlJob`` + ``JobState.process()`` (retrieval, then its filters:
``css: <select>`` when the pair has one, then ``html2text`` with ``--method``, default the
Python html2text module, which drops scripts and styles, with ``body_width: 0`` so that a
paragraph is one line of its diff), its cache in a temporary minidb file,
and ``JobState.get_diff()`` (unified diff). Scoring, per pair:

* false alarm: a pair with nothing to report (or a capture served twice) that reported
  something. Observatory counts its changes; urlwatch a changed job (diff lines shown).
* miss: a wanted change (``Want.text``) not found in any reported change (Observatory: the
  change's title, added and removed text; urlwatch: the diff's -/+ lines).
* noise: furniture (``avoid``) found in what was reported.
* located: a wanted change reported at its ``Want.location`` (urlwatch reports no location).

Prints a markdown table, then totals. Exit status 0 (this is a measurement, not a test).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.realdata.harness import (  # noqa: E402  (run as a script from the repository)
    Job,
    Result,
    found,
    pair_job,
    poll_twice,
    serving,
    twice_job,
    words,
)
from tests.realdata.pairs import CAPTURES, CORPUS, PAIRS, Pair  # noqa: E402


@dataclass
class Score:
    reported: int  # Observatory: changes; urlwatch: -/+ diff lines
    false_alarm: bool
    missed: list[str]
    noise: list[str]
    located: int
    locatable: int


def score_observatory(pair: Pair, result: Result) -> Score:
    changes = result.changes
    missed = [w.text for w in pair.want if not found(w.text, changes)]
    located = sum(
        1
        for w in pair.want
        if w.location is not None
        and any(c["location"] == w.location for c in found(w.text, changes))
    )
    return Score(
        len(changes),
        not pair.want and not pair.info and bool(changes),
        missed,
        [a for a in pair.avoid if found(a, changes)],
        located,
        sum(1 for w in pair.want if w.location is not None),
    )


def plain(markdown: str) -> str:
    """html2text's Markdown as text: links, images and emphasis marks removed (a phrase broken
    by them was still reported)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"\*\*|__|\[|\]", "", text)


def score_urlwatch(pair: Pair, diff_lines: list[str]) -> Score:
    text = words(plain(" ".join(line[1:] for line in diff_lines)))
    missed = [w.text for w in pair.want if words(w.text) not in text]
    return Score(
        len(diff_lines),
        not pair.want and not pair.info and bool(diff_lines),
        missed,
        [a for a in pair.avoid if words(a) in text],
        0,
        sum(1 for w in pair.want if w.location is not None),
    )


def urlwatch_diffs(jobs: Sequence[Job], method: str, workdir: Path) -> dict[str, list[str]]:
    """urlwatch's own retrieval, filters and diff on each job: the -/+ lines of its report."""
    from urlwatch.handler import JobState
    from urlwatch.jobs import JobBase
    from urlwatch.storage import CacheMiniDBStorage

    cache = CacheMiniDBStorage(str(workdir / "urlwatch-cache.db"))
    out: dict[str, list[str]] = {}
    with serving(jobs) as (site, side):
        watch = {}
        for job in jobs:
            filters: list[object] = []
            if job.source.get("select"):
                filters.append({"css": job.source["select"]})
            if job.source.get("kind") != "feed":
                # no re-wrapping (body_width 0): a paragraph stays one line of the diff
                options = {"body_width": 0} if method == "pyhtml2text" else {}
                filters.append({"html2text": {"method": method, **options}})
            spec = {"name": job.slug, "url": site.url(f"/{job.slug}"), "filter": filters}
            watch[job.slug] = JobBase.unserialize(spec)
        for phase in ("old", "new"):
            side["now"] = phase
            for slug, job in watch.items():
                state = JobState(cache, job)
                state.process()
                if state.exception is not None:
                    raise RuntimeError(f"urlwatch {slug}: {state.traceback}")
                if phase == "new":
                    changed = state.old_data is not None and state.new_data != state.old_data
                    diff = state.get_diff().splitlines() if changed else []
                    out[slug] = [
                        line
                        for line in diff
                        if line[:1] in "+-" and not line.startswith(("+++", "---"))
                    ]
                state.save()
    cache.close()
    return out


def cell(s: Score, locations: bool) -> str:
    parts = [f"{s.reported}"]
    if s.false_alarm:
        parts.append("**false alarm**")
    if s.missed:
        parts.append(f"**missed {len(s.missed)}**")
    if s.noise:
        parts.append(f"noise {len(s.noise)}")
    if locations and s.locatable:
        parts.append(f"located {s.located}/{s.locatable}")
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="pair slugs to run (default: all)")
    parser.add_argument("--method", default="pyhtml2text", help="urlwatch html2text method")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"the corpus is not at {CORPUS}")
    pairs = [p for p in PAIRS if not args.only or p.slug in args.only]
    captures = [] if args.only else list(CAPTURES)
    jobs = [pair_job(p) for p in pairs] + [twice_job(c) for c in captures]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ours = poll_twice(jobs, Path(tmp))
        t1 = time.perf_counter()
        theirs = urlwatch_diffs(jobs, args.method, Path(tmp))
        t2 = time.perf_counter()

    print(f"| pair | expected | Observatory | urlwatch (html2text: {args.method}) |")
    print("|---|---|---|---|")
    totals = {"obs": [0, 0, 0, 0, 0, 0], "uw": [0, 0, 0, 0, 0, 0]}
    for pair in pairs:
        obs = score_observatory(pair, ours[pair.slug])
        uw = score_urlwatch(pair, theirs[pair.slug])
        expected = "info" if pair.info else f"{len(pair.want)} wanted" if pair.want else "nothing"
        print(f"| {pair.slug} | {expected} | {cell(obs, True)} | {cell(uw, False)} |")
        if pair.info:
            continue
        for key, s in (("obs", obs), ("uw", uw)):
            t = totals[key]
            t[0] += s.false_alarm
            t[1] += len(s.missed)
            t[2] += len(pair.want)
            t[3] += len(s.noise)
            t[4] += s.located
            t[5] += s.locatable
    misses = [
        (tool, pair.slug, text)
        for pair in pairs
        for tool, s in (
            ("Observatory", score_observatory(pair, ours[pair.slug])),
            ("urlwatch", score_urlwatch(pair, theirs[pair.slug])),
        )
        for text in s.missed
    ]
    if misses:
        print("\nMissed: " + "; ".join(f"{tool} {slug}: “{text}”" for tool, slug, text in misses))
    twice = {"obs": 0, "uw": 0}
    for path in captures:
        slug = twice_job(path).slug
        twice["obs"] += bool(ours[slug].changes) or ours[slug].outcome != "unchanged"
        twice["uw"] += bool(theirs[slug])
    asserted = sum(1 for p in pairs if not p.info)
    quiet = sum(1 for p in pairs if not p.info and not p.want)
    print()
    print("| totals | Observatory | urlwatch |")
    print("|---|---|---|")
    o, u = totals["obs"], totals["uw"]
    print(f"| false alarms on {quiet} quiet pairs | {o[0]} | {u[0]} |")
    served = f"false alarms on {len(captures)} captures served twice"
    print(f"| {served} | {twice['obs']} | {twice['uw']} |")
    print(f"| wanted changes missed (of {o[2]}) | {o[1]} | {u[1]} |")
    print(f"| furniture reported (pairs' avoid lists) | {o[3]} | {u[3]} |")
    print(f"| wanted changes at the right location | {o[4]}/{o[5]} | n/a (no locations) |")
    print(
        f"\n{asserted} asserted pairs; Observatory {t1 - t0:.1f} s, urlwatch {t2 - t1:.1f} s "
        "(wall, both polls of every job; the same loopback server)"
    )


if __name__ == "__main__":
    main()
