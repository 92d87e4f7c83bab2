"""The labelled set (tests/tagging/README.md): well formed, big enough, and its AI Act cuts are
verbatim in the act's text in ../shared/corpus (so a label describes real text, not a paraphrase).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from observatory.dimensions import KEYS

HERE = Path(__file__).parent
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
SPLITS = {
    name: yaml.safe_load((HERE / f"{name}.yaml").read_text("utf-8")) for name in ("locked", "tune")
}
FIELDS = {"id", "origin", "text", "context", "expect", "why"}


def test_both_splits_are_well_formed_and_big_enough() -> None:
    ids = [c["id"] for cases in SPLITS.values() for c in cases]
    assert len(ids) == len(set(ids)) >= 400
    locked = SPLITS["locked"]
    assert len(locked) >= 150 and sum(not c["expect"] for c in locked) >= 40
    for name, cases in SPLITS.items():
        for case in cases:
            assert {"id", "origin", "text", "expect", "why"} <= set(case) <= FIELDS, case["id"]
            assert case["id"].startswith(f"{name}-"), case["id"]
            assert set(case["expect"]) <= set(KEYS), case["id"]
            assert len(set(case["expect"])) == len(case["expect"]), case["id"]
        not_ai = sum(not c["expect"] for c in cases) / len(cases)
        assert not_ai >= 0.25, (name, not_ai)  # at least a quarter share AI's words, not AI


def _normal(text: str) -> str:
    text = text.replace("\\", "")  # Markdown escapes in the earlier versions
    text = re.sub(r"[*_]+", "", text)  # emphasis marks around headings and terms
    return " ".join(text.replace("’", "'").replace("‘", "'").split())


def _act_cuts() -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, c)
        for name, cases in SPLITS.items()
        for c in cases
        if c["origin"].startswith("ai-act/")
    ]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")
@pytest.mark.parametrize(
    ("split", "case"), _act_cuts(), ids=lambda v: v if isinstance(v, str) else v["id"]
)
def test_ai_act_cuts_are_verbatim_in_the_corpus(split: str, case: dict[str, Any]) -> None:
    source = CORPUS / case["origin"].split()[0]
    assert source.is_file(), f"{case['id']}: origin {source} is not in the corpus"
    corpus = _normal(source.read_text(encoding="utf-8"))
    text = _normal(case["text"])
    # a point's letter or number put back in front of the point ("(b) ", "3. ") need not be
    # adjacent to its text in the source, where it sits on a line of its own or in a table cell
    bare = re.sub(r"^(\(?[a-z0-9]{1,4}\)|\d{1,3}\.)\s+", "", text)
    assert text in corpus or bare in corpus, f"{case['id']} not verbatim in {source.name}"
