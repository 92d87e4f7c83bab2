"""Link the shipped milestone registry against real material and time the matching (not a test).

    .venv/bin/python bench/milestones_real.py [--runs 5] [--corpus DIR]

1. Diffs of real AI Act versions (the project's extract + diff on ../shared/corpus/ai-act) and
   of captured page pairs: every change is matched against the 79 milestones; each link is
   printed with its phrases and signs of delivery.
2. The dated events of ../shared/corpus/ema/ai-workplan-facts.json, each posed as a new feed
   item (their wording was written by the facts file's compilers, not by the registry).
3. The time to match all the changes of (1): ``Matcher`` (one compiled pattern per registry)
   against the plain reference in the same process (every phrase looked for with ``in``),
   medians of N interleaved runs, CPU time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from observatory.diff import diff_documents
from observatory.document import Document
from observatory.extract import extract
from observatory.milestones import Matcher, shipped_milestones
from observatory.milestones.matching import delivery_signs, plain

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@dataclass
class Row:
    """A change as matching reads it."""

    source_id: str
    kind: str
    location: str
    added: list[str]
    removed: list[str] = field(default_factory=list)


def document(path: Path, kind: str = "page", **kw: str) -> Document:
    plain_text = "text/plain" if path.suffix in (".md", ".txt") else ""
    return extract(kind, path.read_bytes(), url=f"https://example.org/{path.name}",
                   content_type=plain_text, **kw)  # fmt: skip


def pairs(corpus: Path) -> list[tuple[str, Document, Document]]:
    v, pages = corpus / "ai-act" / "versions", corpus / "pages"
    act = corpus / "ai-act" / "final-2024-1689.txt"
    eurlex, mdcg = pages / "eur-lex.europa.eu", pages / "health.ec.europa.eu" / "mdcg-guidance-page"
    proposal = v / "2021-04-21_COM-2021-206_commission_proposal.md"
    general = v / "2022-12-06_council_general_approach_ST-15698-2022.md"
    ep = "2023-06-14_EP_amendments_TA-9-2023-0236_{}.txt"
    rss = pages / "europarl.europa.eu/thinktank/rss_thinktank-documents_2026-09-15__brubru.xml"
    return [
        ("AI Act proposal -> general approach", document(proposal), document(general)),
        ("AI Act general approach -> final", document(general), document(act)),
        ("AI Act EP columns", document(v / ep.format("left-column_COM-text")),
         document(v / ep.format("right-column_EP-text"))),
        ("AI Act proposal -> SI compromise", document(proposal),
         document(v / "2021-11-29_council_SI-presidency_compromise_art1-7.md")),
        ("EUR-Lex AI Act page 2024 -> 2026",
         document(eurlex / "oj-act_AI-Act_L_202401689__v1_2024-09_AI-Maker-Space.html"),
         document(eurlex / "oj-act_AI-Act_L_202401689__v2_2026-06_vchandan27.html")),
        ("MDCG guidance page v05 -> v06 (real content change)",
         document(mdcg / "v05_2025-12-13_dfd70c2.html", select="main"),
         document(mdcg / "v06_2025-12-16_c200008_content-change.html", select="main")),
        ("EP Think Tank feed, every item new", Document(), document(rss, "feed")),
    ]  # fmt: skip


def link_all(matcher: Matcher, rows: list[Row]) -> int:
    links = 0
    for row in rows:
        for match in matcher.match(row):
            links += 1
            print(f"    LINK {match.milestone_id}: {list(match.matched)}, "
                  f"delivery {list(match.delivery)} | {' '.join(row.added)[:160]}")  # fmt: skip
    return links


def reference(phrases: list[str], rows: list[Row]) -> int:
    """The plain way: every phrase looked for in every change's new text."""
    return sum(p in plain(" ".join(r.added)) for r in rows for p in phrases)


def cpu(func: object, *args: object) -> float:
    start = time.process_time()
    func(*args)  # type: ignore[operator]
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    milestones = shipped_milestones()
    matcher = Matcher(milestones)
    every: list[Row] = []
    print(f"{len(milestones)} milestones, {sum(len(m.match) for m in milestones)} phrases\n")
    for name, old, new in pairs(args.corpus):
        rows = [Row("x", c.kind, c.location, list(c.added), list(c.removed))
                for c in diff_documents(old, new)]  # fmt: skip
        every += rows
        print(f"{name}: {len(rows)} changes")
        print(f"  {link_all(matcher, rows)} links")
    facts = json.loads((args.corpus / "ema" / "ai-workplan-facts.json").read_text())
    events = facts["related_documents_and_events"]
    print(f"\nWorkplan facts: {len(events)} dated events, each as a new feed item")
    for event in events:
        row = Row("x", "added", "Items", [event["event"]])
        print(f"  {event['date']}: {event['event'][:90]}")
        link_all(matcher, [row])
        assert delivery_signs(row, plain(event["event"])) is not None
    phrases = sorted({plain(p) for m in milestones for p in m.match})
    ours, ref = [], []
    for _ in range(args.runs):
        ours.append(cpu(lambda: [matcher.match(r) for r in every]))
        ref.append(cpu(reference, phrases, every))
    print(f"\nMatching {len(every)} real changes against {len(phrases)} phrases, CPU medians of "
          f"{args.runs} runs: Matcher {statistics.median(ours) * 1000:.1f} ms, "
          f"reference (each phrase with `in`) {statistics.median(ref) * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
