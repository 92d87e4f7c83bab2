"""Report how well and how fast the tagging rules work.

    .venv/bin/python bench/tagging_report.py [--taxonomy FILE] [--cases FILE]

Prints precision, recall and F1 per dimension over the labelled cases (tests/tagging_cases.yaml):
the whole table, and the held-out random sample of AI Act paragraphs (ids ``sample-*``) read
with and without its heading as context; then every case the rules get wrong, with the evidence;
then microseconds per call; then, when ../shared/corpus is beside the checkout, how the 1,000-odd
paragraphs of the AI Act are tagged.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from observatory.dimensions import KEYS as DIMENSIONS
from observatory.tagging import (
    Score,
    Taxonomy,
    ai_terms,
    load_taxonomy,
    parse_taxonomy,
    score,
    tag_text,
)

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "tagging_cases.yaml"
AI_ACT_UNITS = ROOT.parent / "shared" / "corpus" / "ai-act" / "final-2024-1689-units.json"


def run(case: dict[str, Any], taxonomy: Taxonomy, with_context: bool = True) -> set[str]:
    context = case.get("context", "") if with_context else ""
    return set(tag_text(case["text"], taxonomy, case.get("hints", []), context=context).dimensions)


def print_scores(title: str, scores: dict[str, Score], n: int) -> None:
    print(f"\n{title} ({n} cases)")
    print(f"  {'dimension':<16} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
    for key, s in scores.items():
        print(
            f"  {key:<16} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} "
            f"{s.tp:4d} {s.fp:4d} {s.fn:4d}"
        )


def print_misses(cases: list[dict[str, Any]], taxonomy: Taxonomy) -> None:
    print("\nMisses (expected -> got; evidence; gate terms)")
    found = 0
    for case in cases:
        context = case.get("context", "")
        result = tag_text(case["text"], taxonomy, case.get("hints", []), context=context)
        expected = set(case["expect"])
        if expected == set(result.dimensions):
            continue
        found += 1
        ordered = [k for k in DIMENSIONS if k in expected]
        gate = ai_terms(case["text"], taxonomy) + (ai_terms(context, taxonomy) if context else [])
        print(f"  {case['id']}: {ordered} -> {result.dimensions}")
        print(f"      evidence {result.evidence}; gate {gate[:3]}")
    if not found:
        print("  none")


def per_call_us(func: Callable[[], object], budget: float = 0.3) -> float:
    func()
    samples: list[float] = []
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline or len(samples) < 5:
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def print_timing(cases: list[dict[str, Any]], taxonomy: Taxonomy) -> None:
    typical = next(c["text"] for c in cases if c["id"] == "aia-art57-sandbox")
    big = " ".join(c["text"] for c in cases if c["kind"] == "ai")[:5000]
    not_ai = " ".join(c["text"] for c in cases if c["kind"] == "not_ai")[:5000]
    print("\nSpeed (median per call)")
    rows = [
        (f"typical change, {len(typical)} chars", typical),
        (f"text about AI, {len(big)} chars", big),
        (f"text not about AI, {len(not_ai)} chars (gate fails)", not_ai),
    ]
    for label, text in rows:
        print(f"  {label:<45} {per_call_us(partial(tag_text, text, taxonomy)):9.1f} µs")
    text = (ROOT / "observatory" / "taxonomy.yaml").read_text(encoding="utf-8")
    start = time.perf_counter()
    parse_taxonomy(text)
    print(
        f"  {'loading and compiling taxonomy.yaml':<45} "
        f"{(time.perf_counter() - start) * 1e6:9.1f} µs (once)"
    )


def print_ai_act(taxonomy: Taxonomy) -> None:
    if not AI_ACT_UNITS.exists():
        return
    units = json.loads(AI_ACT_UNITS.read_text(encoding="utf-8"))
    counts: Counter[str] = Counter()
    paragraphs = gated = 0
    start = time.perf_counter()
    for unit in units:
        lines = [line.strip() for line in unit["text"].splitlines() if line.strip()]
        heading = " ".join(lines[:2]) if unit["id"].startswith("art_") else ""
        for para in re.split(r"\n\s*\n", unit["text"]):
            para = " ".join(para.split())
            if len(para) < 40:
                continue
            paragraphs += 1
            result = tag_text(para, taxonomy, context=heading)
            gated += bool(ai_terms(para, taxonomy) or ai_terms(heading, taxonomy))
            counts.update(result.dimensions or ["(none)"])
    elapsed = time.perf_counter() - start
    print(
        f"\nAI Act, {paragraphs} paragraphs of 40+ chars, article heading as context "
        f"({elapsed * 1e3:.0f} ms in all): {gated} pass the AI gate"
    )
    for key in [*DIMENSIONS, "(none)"]:
        print(f"  {key:<16} {counts[key]:5d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomy", help="a taxonomy.yaml to use instead of the packaged one")
    parser.add_argument("--cases", default=str(CASES), help="the labelled case table")
    args = parser.parse_args()
    taxonomy = load_taxonomy(args.taxonomy)
    cases: list[dict[str, Any]] = yaml.safe_load(Path(args.cases).read_text(encoding="utf-8"))
    held_out = [c for c in cases if c["id"].startswith("sample-")]
    not_ai = [c for c in cases if c["kind"] == "not_ai"]
    print(f"taxonomy: {taxonomy.path}; cases: {args.cases}")
    print(
        f"{len(cases)} cases: {len(not_ai)} not about AI, "
        f"{sum(c['kind'] == 'ai_no_dim' for c in cases)} about AI with no dimension, "
        f"{sum(c['kind'] == 'ai' for c in cases)} with dimensions"
    )
    print_scores(
        "All cases", score((set(c["expect"]), run(c, taxonomy)) for c in cases), len(cases)
    )
    for label, ctx in (("heading as context", True), ("text only", False)):
        pairs = ((set(c["expect"]), run(c, taxonomy, ctx)) for c in held_out)
        print_scores(f"Held-out AI Act sample, {label}", score(pairs), len(held_out))
    tagged = [c["id"] for c in not_ai if run(c, taxonomy)]
    print(f"\nNot-about-AI cases given a dimension: {len(tagged)} of {len(not_ai)} {tagged or ''}")
    print_misses(cases, taxonomy)
    print_timing(cases, taxonomy)
    print_ai_act(taxonomy)


if __name__ == "__main__":
    main()
