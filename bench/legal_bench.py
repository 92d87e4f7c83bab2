"""Accuracy and speed of the diff on every AI Act pair, against an independent article splitter
and beside ``git diff`` on the same files (not a test).

    .venv/bin/python bench/legal_bench.py [--runs 5] [--pair TEXT] [--show N]

Per pair of versions (``tests/realdata/legal_eval.PAIRS``) it extracts both files with
``observatory.extract`` (the ``text`` extractor), diffs them with ``diff_documents`` and scores
the changes against ``tests/realdata/legal_units`` (a few regular expressions over the raw files,
no code shared with the extractor):

* article-location precision and recall: the articles and annexes the changes' locations name,
  against those whose words differ between the versions;
* label check: share of changes whose texts are found, word for word, in the unit their label
  names (every change is checked);
* renumberings: changes located ``Article 99 (was Article 71)``;
* time: median CPU time of the diff over N runs (extraction apart), beside the same for
  ``git diff --no-index --word-diff=porcelain`` on the two files, run in the same process
  (CPU time of the child read from ``RUSAGE_CHILDREN``).

The reference, git, gets the same location score: a hunk is located by the article heading that
git's function-context line names (a ``diff=legal`` driver whose ``xfuncname`` matches article
and annex headings) and by the headings inside the hunk. ``--show N`` prints N mislabelled
changes, missed and spurious articles of each pair.
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory.diff import Change, diff_documents
from observatory.document import Document
from observatory.extract import extract
from tests.realdata.legal_eval import PAIRS, Score, Version, load, path_of, score

_HEADING = r"^(\*?Article -?[0-9]+[a-z]*( [A-Z][^*]*)?\*?|(#+ *)?ANNEX [IVXLC]+[a-z]*)[[:space:]]*$"
_GIT_UNIT = re.compile(r"^\*?(Article -?\d+[a-z]*)|^(?:#+ *)?ANNEX ([IVXLC]+[a-z]*)")


def _doc(name: str) -> Document:
    body = path_of(name).read_bytes()
    return extract("page", body, url="file://x", content_type="text/markdown")


def _cpu(fn: Callable[[], object]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time()
    fn()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (
        time.process_time()
        - cpu
        + (after.ru_utime - before.ru_utime)
        + (after.ru_stime - before.ru_stime)
    )


def _git(old: Path, new: Path, attrs: Path, word_diff: bool) -> str:
    cmd = [
        "git",
        "-c",
        f"core.attributesFile={attrs}",
        "-c",
        f"diff.legal.xfuncname={_HEADING}",
        "diff",
        "--no-index",
        *(["--word-diff=porcelain"] if word_diff else ["-U0"]),
        str(old),
        str(new),
    ]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode not in (0, 1):  # 1 means "differences found"
        raise RuntimeError(done.stderr.decode(errors="replace"))
    return done.stdout.decode("utf-8", errors="replace")


def _unit(line: str) -> str | None:
    m = _GIT_UNIT.match(line)
    if not m:
        return None
    return m[1] if m[1] else f"Annex {m[2]}"


def _git_score(patch: str, old: Version, new: Version) -> tuple[int, float, float]:
    """(hunks, precision, recall) of git's hunk locations, scored like the diff's."""
    from tests.realdata.legal_eval import changed_labels

    truth = changed_labels(old, new)
    reported: set[str] = set()
    hunks = 0
    for line in patch.splitlines():
        if line.startswith("@@"):
            hunks += 1
            context = line.split("@@", 2)[2].strip()
            if unit := _unit(context):
                reported.add(unit)
        elif line[:1] in "+-" and not line.startswith(("+++", "---")) and (unit := _unit(line[1:])):
            reported.add(unit)
    hit = truth & reported
    precision = len(hit) / len(reported) if reported else 1.0
    return hunks, precision, len(hit) / len(truth) if truth else 1.0


def _show(result: Score, count: int) -> None:
    print(f"    missed:   {', '.join(result.missed) or '-'}")
    print(f"    spurious: {', '.join(result.spurious) or '-'}")
    for change in result.mislabelled[:count]:
        print(f"    mislabelled: {change.title[:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pair", default="", help="only the pairs whose name holds this text")
    parser.add_argument("--show", type=int, default=0, help="print N mislabelled changes per pair")
    args = parser.parse_args()
    print(f"medians of {args.runs} runs, CPU ms; P/R = article-location precision/recall;")
    print("labels = changes whose text is in the labelled unit; git = git diff on the same files\n")
    print(
        f"{'pair':36} {'changes':>7} {'P':>5} {'R':>5} {'labels':>6} {'renum':>5} {'diff ms':>7}"
        f" | {'git hunks':>9} {'P':>5} {'R':>5} {'git ms':>6}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        attrs = Path(tmp) / "attributes"
        attrs.write_text("* diff=legal\n")
        rows = []
        for title, old_name, new_name in PAIRS:
            if args.pair not in title:
                continue
            old_doc, new_doc = _doc(old_name), _doc(new_name)
            old, new = load(old_name), load(new_name)
            changes: list[Change] = diff_documents(old_doc, new_doc)
            result = score(changes, old, new)
            paths = path_of(old_name), path_of(new_name)
            diff_times, git_times = [], []
            run_diff = partial(diff_documents, old_doc, new_doc)
            run_git = partial(_git, *paths, attrs, word_diff=True)
            for _ in range(args.runs):  # interleaved: load on the machine hits both alike
                diff_times.append(_cpu(run_diff))
                git_times.append(_cpu(run_git))
            hunks, git_p, git_r = _git_score(_git(*paths, attrs, word_diff=False), old, new)
            rows.append(result)
            print(
                f"{title:36} {result.changes:>7} {result.precision:5.2f} {result.recall:5.2f}"
                f" {result.label_rate:6.3f} {result.renumbered:>5}"
                f" {statistics.median(diff_times) * 1e3:7.0f}"
                f" | {hunks:>9} {git_p:5.2f} {git_r:5.2f}"
                f" {statistics.median(git_times) * 1e3:6.0f}"
            )
            if args.show:
                _show(result, args.show)
    if rows:
        worst = min(min(r.precision, r.recall, r.label_rate) for r in rows)
        print(f"\nworst of P, R and labels over the pairs: {worst:.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()
