"""The shipped registry: real milestones, each quoted verbatim from the corpus that sets it.

What ``tests/milestones/REGISTRY.md`` promises is checked here: every quote is in the act or the
workplan facts (whitespace aside), ids are unique, dues parse, dimensions are codebook keys,
EUR-Lex links point at units of the act, and no match phrase is one the act itself contains.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml

from observatory import dimensions
from observatory.config import parse_due
from observatory.milestones import shipped_milestones
from observatory.milestones.matching import plain
from observatory.milestones.registry import REGISTRY

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
ACT_TXT = CORPUS / "ai-act" / "final-2024-1689.txt"
ACT_UNITS = CORPUS / "ai-act" / "final-2024-1689-units.json"
FACTS = CORPUS / "ema" / "ai-workplan-facts.json"
ACT_LINK = re.compile(
    r"^https://eur-lex\.europa\.eu/legal-content/EN/TXT/HTML/\?uri=OJ:L_202401689"
    r"#((?:art|rct|anx)_[0-9IVXL]+)$"
)


def norm(text: str) -> str:
    return " ".join(text.split())


@cache
def corpus() -> dict[str, object]:
    if not CORPUS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the corpus is expected at {CORPUS}")
        pytest.skip(f"no corpus at {CORPUS}")
    facts_raw = FACTS.read_text(encoding="utf-8")
    facts = json.loads(facts_raw)
    return {
        "act": norm(ACT_TXT.read_text(encoding="utf-8")),
        "units": {u["id"] for u in json.loads(ACT_UNITS.read_text(encoding="utf-8"))},
        # a quote may come from the file as written or from its values as JSON text
        "facts": [norm(facts_raw), norm(json.dumps(facts, ensure_ascii=False))],
    }


ENTRIES = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))


def test_the_registry_loads_and_has_at_least_40_milestones() -> None:
    milestones = shipped_milestones()
    assert len(milestones) == len(ENTRIES) >= 40
    counts = Counter(m.id for m in milestones)
    assert [i for i, n in counts.items() if n > 1] == []
    assert sum(m.basis.startswith("AI Act") for m in milestones) >= 40


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_each_milestone_is_complete_and_well_formed(entry: dict[str, object]) -> None:
    for key in ("id", "title", "owner", "due", "basis", "link", "dimensions", "match", "quote"):
        assert entry.get(key), f"{key} missing"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", str(entry["id"]))
    assert isinstance(entry["due"], str), "quote the due date, so YAML keeps it as written"
    due, period = parse_due(entry["due"])
    assert 2023 <= due.year <= 2031
    assert (period is None) == bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["due"]))
    assert set(entry["dimensions"]) <= set(dimensions.KEYS)  # type: ignore[arg-type]
    phrases = entry["match"]
    assert isinstance(phrases, list) and 1 <= len(phrases) <= 4
    assert all(p == p.lower() and p.strip() for p in phrases)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_each_quote_is_verbatim_in_its_source(entry: dict[str, str]) -> None:
    texts = corpus()
    quote = norm(entry["quote"])
    if entry["basis"].startswith("AI Act"):
        assert quote in texts["act"], quote[:80]
        anchor = ACT_LINK.match(entry["link"])
        assert anchor, entry["link"]
        assert anchor.group(1) in texts["units"]  # type: ignore[operator]
    else:
        assert entry["basis"].startswith("ai-workplan-facts.json")
        assert any(quote in t for t in texts["facts"]), quote[:80]  # type: ignore[attr-defined]
        assert entry["link"].startswith("https://www.ema.europa.eu/")


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_no_match_phrase_is_in_the_act_itself(entry: dict[str, object]) -> None:
    act = plain(str(corpus()["act"]))
    inside = [p for p in entry["match"] if plain(p) in act]  # type: ignore[attr-defined]
    assert inside == [], "a page restating the act would deliver it"


def test_act_dates_that_apply_by_law_are_delivered_on_their_own_day() -> None:
    by_law = [m for m in shipped_milestones() if m.basis.startswith("AI Act") and m.delivered]
    assert len(by_law) >= 10
    assert [m.id for m in by_law if m.delivered != m.due] == []
