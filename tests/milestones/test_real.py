"""The registry against real material: the AI Act's own drafts and captured pages link to no
milestone (2,000 real changes), and real event texts of the HMA/EMA workplan facts link to the
milestones they deliver. (bench/milestones_real.py prints every link and times the matching.)"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from observatory.diff import diff_documents
from observatory.extract import extract
from observatory.milestones import Matcher, shipped_milestones

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
VERSIONS = CORPUS / "ai-act" / "versions"


@dataclass
class Row:
    source_id: str
    kind: str
    location: str
    added: list[str]
    removed: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    if not CORPUS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the corpus is expected at {CORPUS}")
        pytest.skip(f"no corpus at {CORPUS}")
    return Matcher(shipped_milestones())


def text_document(path: Path) -> object:
    return extract("page", path.read_bytes(), url="https://example.org/", content_type="text/plain")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            VERSIONS / "2021-04-21_COM-2021-206_commission_proposal.md",
            VERSIONS / "2022-12-06_council_general_approach_ST-15698-2022.md",
        ),
        (
            VERSIONS / "2022-12-06_council_general_approach_ST-15698-2022.md",
            CORPUS / "ai-act" / "final-2024-1689.txt",
        ),
    ],
    ids=["proposal->general-approach", "general-approach->final"],
)
def test_the_acts_own_drafts_deliver_nothing(matcher: Matcher, old: Path, new: Path) -> None:
    changes = diff_documents(text_document(old), text_document(new))  # type: ignore[arg-type]
    assert len(changes) > 400
    links = [
        (m.milestone_id, c.location)
        for c in changes
        for m in matcher.match(Row("eurlex-ai-act", c.kind, c.location, c.added, c.removed))
    ]
    assert links == []


def test_workplan_events_link_to_the_milestones_they_deliver(matcher: Matcher) -> None:
    facts = json.loads((CORPUS / "ema" / "ai-workplan-facts.json").read_text(encoding="utf-8"))
    by_date = {e["date"]: e["event"] for e in facts["related_documents_and_events"]}

    def delivered(date: str) -> dict[str, tuple[str, ...]]:
        row = Row("ema-news", "added", "Items", [by_date[date]])
        return {m.milestone_id: m.delivery for m in matcher.match(row)}

    llm = delivered("2024-09-05")
    assert set(llm) == {"generative-ai-llm-principles-2024", "llm-guiding-principles-published"}
    assert all("new item" in signs for signs in llm.values())
    assert set(delivered("2023-11-20/21")) == {"hma-ema-multistakeholder-workshop-2023"}
    assert set(delivered("2024-11-05")) == {"multistakeholder-workshop-2024"}
    assert delivered("2026-05/06") == {"ai-observatory-report-2025": ("new item", "published")}
