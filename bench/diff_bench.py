"""Time ``diff_documents`` on real AI Act versions against ``git diff --word-diff`` (not a test).

    .venv/bin/python bench/diff_bench.py [--runs 9] [--corpus DIR] [--collect]

For each pair it measures, over N interleaved runs: ``diff_documents`` on the two Documents,
``git diff --no-index --word-diff=porcelain`` on the two files (a subprocess: process start
included, its CPU time read from ``RUSAGE_CHILDREN``) and, apart, the extraction of both files
into Documents (not part of the comparison: git reads the files as they are). It prints the
median CPU time of each, the median wall time beside it, and the ratio diff / git of the CPU
medians; the target is a ratio <= 3. CPU time is the figure to read: on a loaded machine wall
time mostly measures the other processes. By default each call runs as in the pipeline, after
other work (here: the extraction) left objects and garbage behind; with ``--collect`` a full
garbage collection precedes each timed call, so that no call pays for another's garbage.
"""

from __future__ import annotations

import argparse
import gc
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory.diff import diff_documents
from observatory.document import Block, Document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ai-act" / "versions"
PAIRS = [
    (
        "proposal -> general approach",
        "2021-04-21_COM-2021-206_commission_proposal.md",
        "2022-12-06_council_general_approach_ST-15698-2022.md",
    ),
    (
        "EP 2023-06-14 left -> right column",
        "2023-06-14_EP_amendments_TA-9-2023-0236_left-column_COM-text.txt",
        "2023-06-14_EP_amendments_TA-9-2023-0236_right-column_EP-text.txt",
    ),
    (
        "proposal -> SI compromise (small)",
        "2021-04-21_COM-2021-206_commission_proposal.md",
        "2021-11-29_council_SI-presidency_compromise_art1-7.md",
    ),
]


def _paragraphs(body: bytes) -> Document:
    """Fallback when ``observatory.extract`` is not there: blank-line paragraphs, no locations."""
    paras = re.split(r"\n\s*\n", body.decode("utf-8"))
    return Document(blocks=tuple(Block(" ".join(p.split())) for p in paras if p.strip()))


def _extractor() -> tuple[str, Callable[[bytes], Document]]:
    try:
        from observatory.extract import extract
    except ImportError:
        return "local paragraph splitter", _paragraphs

    def run(body: bytes) -> Document:
        return extract("page", body, url="file://x", content_type="text/markdown")

    return "observatory.extract (text)", run


def _timed(fn: Callable[[], object], collect: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its finished children) of one call."""
    if collect:
        gc.collect()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu + children


def _medians(
    fns: list[Callable[[], object]], runs: int, collect: bool
) -> list[tuple[float, float]]:
    """Median (wall, CPU) of each function, the runs interleaved so that load hits all alike."""
    samples: list[list[tuple[float, float]]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, times in zip(fns, samples, strict=True):
            times.append(_timed(fn, collect))
    return [
        (statistics.median(w for w, _ in times), statistics.median(c for _, c in times))
        for times in samples
    ]


def _extract_both(extract: Callable[[bytes], Document], old: bytes, new: bytes) -> None:
    extract(old)
    extract(new)


def _git(old: Path, new: Path) -> None:
    cmd = ["git", "diff", "--no-index", "--word-diff=porcelain", str(old), str(new)]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode not in (0, 1):  # 1 means "differences found"
        raise RuntimeError(done.stderr.decode(errors="replace"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--collect", action="store_true", help="collect garbage before each call")
    args = parser.parse_args()
    name, extract = _extractor()
    how = "full collection before each call" if args.collect else "no collection between calls"
    print(f"extraction: {name}; medians of {args.runs} interleaved runs; {how}")
    print("times in ms: CPU median (wall median); ratio = diff CPU / git CPU (target <= 3)\n")
    print(
        f"{'pair':36} {'blocks':>11} {'diff':>12} {'git':>12} {'ratio':>6}"
        f"  {'extract':>12}  changes"
    )
    ratios = []
    for label, old_name, new_name in PAIRS:
        old_path, new_path = args.corpus / old_name, args.corpus / new_name
        old_body, new_body = old_path.read_bytes(), new_path.read_bytes()
        old, new = extract(old_body), extract(new_body)
        extraction, diff, git = _medians(
            [
                partial(_extract_both, extract, old_body, new_body),
                partial(diff_documents, old, new),
                partial(_git, old_path, new_path),
            ],
            args.runs,
            args.collect,
        )
        changes = diff_documents(old, new)
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(Counter(c.kind for c in changes).items()))
        ratios.append(diff[1] / git[1])
        print(
            f"{label:36} {len(old.blocks):>5}/{len(new.blocks):<5} {_ms(diff)} {_ms(git)}"
            f" {ratios[-1]:6.2f}  {_ms(extraction)}  {len(changes)} ({kinds})"
        )
    worst = max(ratios)
    print(f"\nworst ratio {worst:.2f}: target <= 3 {'met' if worst <= 3 else 'NOT met'}")


def _ms(times: tuple[float, float]) -> str:
    return f"{times[1] * 1e3:4.0f} ({times[0] * 1e3:4.0f})"


if __name__ == "__main__":
    main()
