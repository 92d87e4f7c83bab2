"""Matching a change to milestones: what counts as the phrase appearing, and what as a delivery."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from observatory.config import Milestone
from observatory.milestones import Matcher

GUIDELINES = Milestone(
    id="gpai-guidelines",
    title="Guidelines for providers of general-purpose AI models",
    owner="AI Office",
    due="2025-08-02",
    basis="AI Act, Article 56",
    dimensions=["guidance"],
    match=["guidelines for providers of general-purpose AI models"],
)
SANDBOX = Milestone(
    id="sandbox",
    title="Sandbox report",
    owner="Member States",
    due="2027",
    basis="AI Act, Article 57",
    dimensions=["experimentation"],
    match=["ai regulatory sandbox annual report"],
    sources=["ai-office-feed"],
)


@dataclass
class Row:
    added: list[str]
    removed: list[str] = field(default_factory=list)
    kind: str = "added"
    location: str = "News"
    source_id: str = "ema-news"


def matched(row: Row) -> dict[str, tuple[str, ...]]:
    return {m.milestone_id: m.delivery for m in Matcher([GUIDELINES, SANDBOX]).match(row)}


@pytest.mark.parametrize(
    ("text", "delivery"),
    [
        (
            "The Commission published the Guidelines for providers of general‑purpose AI models.",
            ("published",),
        ),
        (
            "Guidelines for providers of general purpose artificial intelligence models adopted",
            ("adopted",),
        ),
        (
            "The guidelines for providers of general-purpose AI models will be published in July.",
            (),
        ),
        (
            "Guidelines for providers of general-purpose AI models, to be adopted by the AI Office",
            (),
        ),
        ("Guidelines for providers of general-purpose AI models have not yet been published.", ()),
        ("Consultation on the guidelines for providers of general-purpose AI models", ()),
    ],
)
def test_a_phrase_links_and_past_tense_words_deliver(text: str, delivery: tuple[str, ...]) -> None:
    assert matched(Row([text])) == {"gpai-guidelines": delivery}


def test_a_new_item_is_a_delivery_in_itself() -> None:
    row = Row(["Guidelines for providers of general-purpose AI models"], location="Items")
    assert matched(row) == {"gpai-guidelines": ("new item",)}


def test_a_phrase_already_in_the_old_text_is_no_new_evidence() -> None:
    old = "The guidelines for providers of general-purpose AI models are expected in July."
    new = "The guidelines for providers of general-purpose AI models are expected in July 2025."
    assert matched(Row([new], [old], kind="modified")) == {}
    assert matched(Row([], [old], kind="removed")) == {}


def test_whole_words_only_and_sources_respected() -> None:
    assert matched(Row(["Guidelines for providers of general-purpose AI modelsx"])) == {}
    report = ["AI regulatory sandbox annual report published"]
    assert matched(Row(report)) == {}  # only the AI Office feed may deliver it
    assert matched(Row(report, source_id="ai-office-feed")) == {"sandbox": ("published",)}
