"""Time page/EUR-Lex/listing extraction and prove the fast path gives identical Documents.

    .venv/bin/python bench/extract_bench.py [--runs 30] [--eurlex-runs 5]

Part 1 (speed): median CPU ms per call of ``observatory.extract.extract`` and of the
BeautifulSoup test oracle (``tests/extract/bs4_reference.py``), side by side with their ratio,
on (a) the real 1.35 MB EUR-Lex page of the AI Act, (b) ``tests/fixtures/site/v1/ai.html`` and
(c) a ~30 KB EMA-like page generated from corpus text the way ``bench/poll_bench.py`` does
(``select: main``). Calls of the two implementations are interleaved so drift hits both.

Part 1b (whole-page mode): median CPU ms of ``extract`` without ``select`` (trafilatura finds
the main content, ``extract/main_content.py``) beside the same page read with ``select: body``,
on real captures of ../shared/corpus/pages.

Part 2 (equivalence): ``Document.to_json()`` of both implementations on every HTML fixture under
``tests/fixtures/**``, the corpus page and 20 generated pages, as page (no select, ``select:
main`` where there is a main), listing (``li``) and, where the markers are, EUR-Lex; errors must
match too (a page without select is compared as ``select: body``: the oracle has no
main-content finder). Exit status 1 if anything differs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from poll_bench import CORPUS, corpus_paragraphs, make_page  # noqa: E402  (bench sibling)

from observatory.document import Document  # noqa: E402
from observatory.errors import ExtractError  # noqa: E402
from observatory.extract import ExtractOptions, choose, extract  # noqa: E402
from tests.extract import bs4_reference as ref  # noqa: E402  (the test oracle)

EURLEX = ROOT.parent / "shared" / "corpus" / "ai-act" / "eurlex-oj-l-202401689-en.html"
FIXTURES = ROOT / "tests" / "fixtures"
REFERENCE = {
    "page": ref.extract_page_bs4,
    "eurlex": ref.extract_eurlex_bs4,
    "listing": ref.extract_listing_bs4,
}


def old_extract(kind: str, body: bytes, **kw: object) -> Document:
    name = choose(kind, body, str(kw.get("content_type") or ""))
    if name == "page" and not kw.get("select"):
        kw["select"] = "body"
    return REFERENCE[name](body, ExtractOptions(**kw))  # type: ignore[arg-type]


def cpu_ms(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return (time.process_time() - start) * 1000


def generated_pages(count: int, seed: int = 1689) -> list[bytes]:
    rng = random.Random(seed)
    paras = corpus_paragraphs(CORPUS)
    return [make_page(rng, paras, n).encode("utf-8") for n in range(1, count + 1)]


def speed(runs: int, eurlex_runs: int) -> None:
    ema = generated_pages(1)[0]
    cases: list[tuple[str, bytes, dict[str, Any], int]] = [
        ("EUR-Lex AI Act page", EURLEX.read_bytes(), {}, eurlex_runs),
        (
            "fixture ai.html, select body",
            (FIXTURES / "site" / "v1" / "ai.html").read_bytes(),
            {"select": "body"},
            runs,
        ),
        ("EMA-like page, select main", ema, {"select": "main"}, runs),
    ]
    print(f"{'case':<30} {'KB':>6} {'bs4 ms':>9} {'lxml ms':>9} {'ratio':>7}  (median CPU)")
    for label, body, kw, n in cases:
        old: list[float] = []
        new: list[float] = []
        url = "https://example.org/x"
        for _ in range(n):
            old.append(cpu_ms(partial(old_extract, "page", body, url=url, **kw)))
            new.append(cpu_ms(partial(extract, "page", body, url=url, **kw)))
        o, m = statistics.median(old), statistics.median(new)
        print(f"{label:<30} {len(body) / 1024:>6.0f} {o:>9.2f} {m:>9.2f} {o / m:>6.1f}x")


PAGES = ROOT.parent / "shared" / "corpus" / "pages"
WHOLE_PAGES = [
    "edgi/pages/falsepos-footer-a.html",
    "edgi/pages/fema-maria-a.html",
    "health.ec.europa.eu/mdcg-guidance-page/v06_2025-12-16_c200008_content-change.html",
    "ema.europa.eu/general-page_type-ia-variations-qa__ema_nlp.html",
    "europarl.europa.eu/meps/member-home_aaltola__v2_2025-02-16_e7f6ce31.html",
]


def whole_page(runs: int) -> None:
    print(f"\n{'whole-page mode (real page)':<44} {'KB':>5} {'body ms':>8} {'main ms':>8}")
    for rel in WHOLE_PAGES:
        body = (PAGES / rel).read_bytes()
        url = "https://example.org/x"
        plain: list[float] = []
        main: list[float] = []
        for _ in range(runs):
            plain.append(cpu_ms(partial(extract, "page", body, url=url, select="body")))
            main.append(cpu_ms(partial(extract, "page", body, url=url)))
        p, m = statistics.median(plain), statistics.median(main)
        print(f"{rel[-44:]:<44} {len(body) / 1024:>5.0f} {p:>8.1f} {m:>8.1f}")


def outcome(fn: Callable[[], Document]) -> str:
    try:
        return fn().to_json()
    except ExtractError as exc:
        return f"ExtractError: {exc}"


def equivalence() -> int:
    bodies = [(p.relative_to(ROOT).as_posix(), p.read_bytes()) for p in FIXTURES.rglob("*.html")]
    bodies.append(("corpus eurlex page", EURLEX.read_bytes()))
    bodies += [(f"generated page {i}", b) for i, b in enumerate(generated_pages(20))]
    checked = failed = 0
    for name, body in bodies:
        variants: list[tuple[str, dict[str, object]]] = [("page", {}), ("listing", {"items": "li"})]
        if b"<main" in body:
            variants += [
                ("page", {"select": "main"}),
                ("listing", {"select": "main", "items": "p"}),
            ]
        for kind, kw in variants:
            args = {"url": "https://example.org/a/b.html", **kw}
            old = outcome(partial(old_extract, kind, body, **args))
            if kind == "page" and not kw and b"<body" in body.lower():
                args["select"] = "body"  # as the oracle reads it
            new = outcome(partial(extract, kind, body, **args))  # type: ignore[arg-type]
            checked += 1
            if old != new:
                failed += 1
                print(f"DIFFERENT: {name} {kind} {kw}\n  bs4:  {old[:300]}\n  lxml: {new[:300]}")
    print(f"equivalence: {checked - failed}/{checked} identical Documents ({len(bodies)} bodies)")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="calls per small page (default 30)")
    parser.add_argument("--eurlex-runs", type=int, default=5, help="calls on EUR-Lex (default 5)")
    parser.add_argument("--no-speed", action="store_true", help="only check equivalence")
    args = parser.parse_args()
    if not args.no_speed:
        speed(args.runs, args.eurlex_runs)
        if PAGES.is_dir():
            whole_page(max(5, args.runs // 3))
    sys.exit(equivalence())


if __name__ == "__main__":
    main()
