"""Report how well and how fast the tagger works, on the labelled set of tests/tagging/.

    .venv/bin/python bench/tagging_report.py [--taxonomy FILE] [--reference FILE] [--folds 5]
                                             [--cv-on tune|all] [--extra FILE] [--held-out]

Prints, for the shipped taxonomy (or --taxonomy) side by side with a reference run in the same
process (--reference FILE, default: the same taxonomy with its model switched off):

1. per-dimension precision, recall and F1 on the tuning split (and on any --extra file of
   labelled cases), with the share of not-AI texts given a dimension;
2. a confusion table of the tuning split (how often each expected dimension came out as each);
3. 5-fold cross-validation: the model is refitted on each fold's training part (scikit-learn, a
   dev dependency), the rules stay as shipped (they were written on the tuning split, which
   flatters every fold); ``--cv-on tune`` (default) folds the tuning split only, ``all`` the
   tuning and LOCKED splits together (the locked texts then train the folds' models);
4. the 20 worst cases of the tuning split, with their evidence;
5. milliseconds per text for ``observatory tag`` once the taxonomy is loaded (target < 50 ms),
   and the one-off cost of loading it.

The two held-out splits (locked.yaml, heldout.yaml) are scored only with ``--held-out``, and then
as aggregate figures alone: per-dimension precision, recall and F1, the not-AI texts tagged, and
the locked split's failures counted by kind of text and of error. Their texts, ids and per-case
results are never printed: each look at them spends some of their worth as unseen texts, so run
it rarely (the issue's figures), never while tuning.
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
    print(f"\n{folds}-fold cross-validation ({len(cases)} texts)")
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


def load(name: str) -> list[Case]:
    return yaml.safe_load((SETS / f"{name}.yaml").read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", help="a taxonomy.yaml to use instead of the packaged one")
    parser.add_argument("--reference", help="a taxonomy.yaml to compare with (default: no model)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cv-on", choices=("tune", "all"), default="tune")
    parser.add_argument("--extra", action="append", default=[], help="more labelled cases")
    parser.add_argument(
        "--held-out", action="store_true", help="also score locked.yaml and heldout.yaml"
    )
    args = parser.parse_args()
    taxonomy = load_taxonomy(args.taxonomy)
    reference = load_taxonomy(args.reference) if args.reference else replace(taxonomy, model=None)
    ref_name = (
        f"reference: {Path(args.reference).name}" if args.reference else "reference: no model"
    )
    tune = load("tune")
    splits = {"Tuning split": tune}
    for extra in args.extra:
        splits[f"Extra cases ({Path(extra).name})"] = yaml.safe_load(Path(extra).read_text("utf-8"))
    if args.held_out:
        splits["LOCKED split (never tuned on)"] = load("locked")
        splits["HELD-OUT split (heldout.yaml, never tuned on)"] = load("heldout")
    print(f"taxonomy {taxonomy.version} ({taxonomy.path})")
    for name, cases in splits.items():
        print_scores(
            f"{name}, {len(cases)} texts",
            {
                taxonomy.version: pairs(cases, taxonomy),
                ref_name: pairs(cases, reference),
            },
        )
    print_confusion("Tuning split", pairs(tune, taxonomy))
    if args.held_out:
        print_failures_by_kind(splits["LOCKED split (never tuned on)"], taxonomy)
    if "sklearn" in sys.modules or importlib.util.find_spec("sklearn"):
        cv_cases = tune + load("locked") if args.cv_on == "all" else tune
        cross_validate(cv_cases, taxonomy, args.folds)
    else:
        print("\n(cross-validation needs scikit-learn: pip install -e '.[dev]')")
    print_worst(tune, taxonomy)
    print_speed(tune, taxonomy, reference, args.taxonomy)


if __name__ == "__main__":
    main()
