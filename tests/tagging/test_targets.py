"""The shipped tagger meets the issue's targets on the LOCKED test split (tests/tagging/README.md):
micro-F1 at least 0.92, recall at least 0.88 in every dimension, at most 2% of the texts that are
not about AI given a dimension. The split was labelled by the codebook before any rule changed
and is never tuned on; this test only scores it. bench/tagging_report.py prints the figures."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from observatory.dimensions import KEYS
from observatory.tagging import Score, load_taxonomy, score, tag_text

LOCKED = yaml.safe_load((Path(__file__).parent / "locked.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tagged() -> list[tuple[set[str], set[str]]]:
    taxonomy = load_taxonomy()
    return [
        (
            set(c["expect"]),
            set(tag_text(c["text"], taxonomy, context=c.get("context") or "").dimensions),
        )
        for c in LOCKED
    ]


@pytest.fixture(scope="module")
def scores(tagged: list[tuple[set[str], set[str]]]) -> dict[str, Score]:
    return score(tagged)


def test_micro_f1_on_the_locked_split(scores: dict[str, Score]) -> None:
    assert scores["micro"].f1 >= 0.92, scores["micro"]


@pytest.mark.parametrize("key", KEYS)
def test_recall_of_every_dimension_on_the_locked_split(scores: dict[str, Score], key: str) -> None:
    assert scores[key].recall >= 0.88, (key, scores[key])


def test_texts_not_about_ai_stay_untagged_on_the_locked_split(
    tagged: list[tuple[set[str], set[str]]],
) -> None:
    not_ai = [got for expected, got in tagged if not expected]
    assert len(not_ai) >= 40
    assert sum(bool(got) for got in not_ai) <= 0.02 * len(not_ai)
