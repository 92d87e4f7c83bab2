"""Report how well and how fast the tagger works, on the labelled set of tests/tagging/.

    .venv/bin/python bench/tagging_report.py [--taxonomy FILE] [--reference FILE] [--folds 5]

Prints, for the shipped taxonomy (or --taxonomy) side by side with a reference run in the same
process (--reference FILE, default: the same taxonomy with its model switched off):

1. per-dimension precision, recall and F1 on the tuning split and on the LOCKED split, with the
   share of not-AI texts given a dimension;
2. a confusion table per split (how often each expected dimension came out as each dimension);
3. the locked split's failures counted by kind of text and kind of error, never its texts;
4. 5-fold cross-validation over the whole set (both splits): the model is refitted on each
   fold's training part (scikit-learn, a dev dependency), the rules stay as shipped (they were
   written on the tuning split, which flatters the folds that hold its texts);
5. the 20 worst cases of the tuning split, with their evidence;
6. milliseconds per text for ``observatory tag`` once the taxonomy is loaded (target < 50 ms),
   and the one-off cost of loading it.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from observatory.dimensions import KEYS
from observatory.tagging import (
    Score,
    Tagging,
    Taxonomy,
    load_taxonomy,
    parse_taxonomy,
    score,
    tag_text,
)

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "tests" / "tagging"
Case = dict[str, Any]
Pairs = list[tuple[set[str], set[str]]]


def run(case: Case, taxonomy: Taxonomy) -> Tagging:
    return tag_text(case["text"], taxonomy, context=case.get("context") or "")


def pairs(cases: list[Case], taxonomy: Taxonomy) -> Pairs:
    return [(set(c["expect"]), set(run(c, taxonomy).dimensions)) for c in cases]


def not_ai_tagged(found: Pairs) -> str:
    not_ai = [got for expected, got in found if not expected]
    return f"{sum(bool(g) for g in not_ai)}/{len(not_ai)}"


def print_scores(title: str, runs: dict[str, Pairs]) -> None:
    print(f"\n{title}")
    names = list(runs)
    print(f"  {'':16}" + "".join(f" | {n[:22]:^22}" for n in names))
    print(f"  {'dimension':16}" + " |    P     R     F1  " * len(names))
    scores = {n: score(p) for n, p in runs.items()}
    for key in [*KEYS, "micro"]:
        cells = "".join(_cell(scores[n][key]) for n in names)
        print(f"  {key:16}{cells}")
    print(f"  {'not-AI tagged':16}" + "".join(f" | {not_ai_tagged(p):^22}" for p in runs.values()))


def _cell(s: Score) -> str:
    return f" | {s.precision:5.3f} {s.recall:5.3f} {s.f1:5.3f} "


def print_confusion(title: str, found: Pairs) -> None:
    """Rows: expected (or none); columns: what came out (or none); one count per pair."""
    table: Counter[tuple[str, str]] = Counter()
    for expected, got in found:
        for e in expected or {"(none)"}:
            for g in got or {"(none)"}:
                table[(e, g)] += 1
    keys = [*KEYS, "(none)"]
    print(f"\n{title}: expected (rows) x tagged (columns)")
    print(f"  {'':16}" + "".join(f"{k[:8]:>9}" for k in keys))
    for e in keys:
        print(f"  {e:16}" + "".join(f"{table[(e, g)]:9d}" for g in keys))


def kind_of(case: Case) -> str:
    origin = case["origin"]
    if origin.startswith("ai-act/versions"):
        return "AI Act, earlier version"
    if origin.startswith("ai-act/"):
        return "AI Act, final text"
    if origin.startswith("ema/"):
        return "workplan facts"
    return "captured page" if origin.startswith("pages/") else "written item"


def print_failures_by_kind(cases: list[Case], taxonomy: Taxonomy) -> None:
    print("\nLocked split, failures by kind of text and of error (texts stay unseen)")
    counts: Counter[tuple[str, str]] = Counter()
    for case in cases:
        expected, got = set(case["expect"]), set(run(case, taxonomy).dimensions)
        for key in sorted(expected - got):
            counts[(kind_of(case), f"missed {key}")] += 1
        for key in sorted(got - expected):
            what = "tagged, not about AI" if not expected else f"extra {key}"
            counts[(kind_of(case), what)] += 1
    for (kind, error), n in sorted(counts.items()):
        print(f"  {kind:26} {error:30} {n:3d}")
    if not counts:
        print("  none")


def _trainer() -> Any:
    path = ROOT / "scripts" / "train_tagger_model.py"
    spec = importlib.util.spec_from_file_location("train_tagger_model", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cross_validate(cases: list[Case], taxonomy: Taxonomy, folds: int) -> None:
    """Refit the model on each fold's training part; score rules + model on the held-out part."""
    from sklearn.model_selection import KFold

    from observatory.tagging.model import LinearModel, Weights

    trainer = _trainer()
    print(f"\n{folds}-fold cross-validation over both splits ({len(cases)} texts)")
    print(
        f"  {'fold':6} {'micro P':>8} {'micro R':>8} {'F1':>6}"
        + "".join(f"{k[:5]:>7}" for k in KEYS)
    )
    rows = []
    for n, (train, test) in enumerate(KFold(folds, shuffle=True, random_state=0).split(cases), 1):
        model = taxonomy.model
        if model is not None:
            vectorizer, fits = trainer.fit([cases[i] for i in train])
            vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            idf = dict(zip(vocabulary, map(float, vectorizer.idf_), strict=True))
            dims = {
                k: Weights(
                    float(f.intercept_[0]),
                    dict(zip(vocabulary, map(float, f.coef_[0]), strict=True)),
                )
                for k, f in fits.items()
            }
            model = LinearModel("fold", idf, dims, model.threshold, "")
        s = score(pairs([cases[i] for i in test], replace(taxonomy, model=model)))
        rows.append(s)
        print(
            f"  {n:<6} {s['micro'].precision:8.3f} {s['micro'].recall:8.3f} {s['micro'].f1:6.3f}"
            + "".join(f"{s[k].recall:7.3f}" for k in KEYS)
        )
    for label, pick in (("mean", statistics.mean), ("sd", statistics.pstdev)):
        print(
            f"  {label:<6} {pick(r['micro'].precision for r in rows):8.3f} "
            f"{pick(r['micro'].recall for r in rows):8.3f} {pick(r['micro'].f1 for r in rows):6.3f}"
            + "".join(f"{pick(r[k].recall for r in rows):7.3f}" for k in KEYS)
        )


def print_worst(cases: list[Case], taxonomy: Taxonomy, limit: int = 20) -> None:
    scored = []
    for case in cases:
        result = run(case, taxonomy)
        expected, got = set(case["expect"]), set(result.dimensions)
        if expected != got:
            scored.append((len(expected ^ got) + len(expected - got), case, result))
    scored.sort(key=lambda item: (-item[0], item[1]["id"]))
    print(
        f"\nThe {min(limit, len(scored))} worst cases of the tuning split (of {len(scored)} wrong)"
    )
    for _, case, result in scored[:limit]:
        want = [k for k in KEYS if k in case["expect"]]
        print(f"  {case['id']} [{kind_of(case)}] {want} -> {result.dimensions}")
        print(f"      {' '.join(case['text'].split())[:150]}")
        if case.get("context"):
            print(f"      context: {case['context'][:100]}")
        print(f"      evidence {result.evidence}; about AI by {result.ai_evidence[:3]}")


def per_text_ms(cases: Iterable[Case], taxonomy: Taxonomy) -> list[float]:
    samples = []
    for case in cases:
        start = time.perf_counter()
        run(case, taxonomy)
        samples.append((time.perf_counter() - start) * 1e3)
    return samples


def print_speed(
    cases: list[Case], taxonomy: Taxonomy, reference: Taxonomy, path: str | None
) -> None:
    print("\nSpeed of observatory tag after start-up (ms per text, all texts, 3 rounds)")
    for name, tax in (("this taxonomy", taxonomy), ("reference", reference)):
        per_call = [ms for _ in range(3) for ms in per_text_ms(cases, tax)]
        q = statistics.quantiles(per_call, n=20)
        print(
            f"  {name:14} median {statistics.median(per_call):6.3f}  p95 {q[18]:6.3f}  "
            f"max {max(per_call):6.3f}   (target < 50)"
        )
    big = " ".join(c["text"] for c in cases)[:5000]
    start = time.perf_counter()
    tag_text(big, taxonomy)
    print(f"  5 KB of text   {(time.perf_counter() - start) * 1e3:6.3f} ms")
    file = Path(path) if path else ROOT / "observatory" / "taxonomy.yaml"
    text = file.read_text("utf-8")
    start = time.perf_counter()
    parse_taxonomy(text, base=file.parent)  # what load_taxonomy does once per process
    elapsed = (time.perf_counter() - start) * 1e3
    print(f"  loading and compiling the taxonomy (once per process) {elapsed:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", help="a taxonomy.yaml to use instead of the packaged one")
    parser.add_argument("--reference", help="a taxonomy.yaml to compare with (default: no model)")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    taxonomy = load_taxonomy(args.taxonomy)
    reference = load_taxonomy(args.reference) if args.reference else replace(taxonomy, model=None)
    ref_name = (
        f"reference: {Path(args.reference).name}" if args.reference else "reference: no model"
    )
    tune = yaml.safe_load((SETS / "tune.yaml").read_text(encoding="utf-8"))
    locked = yaml.safe_load((SETS / "locked.yaml").read_text(encoding="utf-8"))
    print(f"taxonomy {taxonomy.version} ({taxonomy.path})")
    print(f"{len(tune)} tuning texts, {len(locked)} locked texts")
    for name, cases in (("Tuning split", tune), ("LOCKED split (never tuned on)", locked)):
        print_scores(
            f"{name}, {len(cases)} texts",
            {
                taxonomy.version: pairs(cases, taxonomy),
                ref_name: pairs(cases, reference),
            },
        )
    print_confusion("Tuning split", pairs(tune, taxonomy))
    print_confusion("Locked split", pairs(locked, taxonomy))
    print_failures_by_kind(locked, taxonomy)
    if "sklearn" in sys.modules or importlib.util.find_spec("sklearn"):
        cross_validate(tune + locked, taxonomy, args.folds)
    else:
        print("\n(cross-validation needs scikit-learn: pip install -e '.[dev]')")
    print_worst(tune, taxonomy)
    print_speed(tune + locked, taxonomy, reference, args.taxonomy)


if __name__ == "__main__":
    main()
