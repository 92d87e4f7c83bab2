"""The pure steps of a poll: what tagging and milestone linking read of one change.

A changed block of a hostile page can be megabytes long; tagging and linking read its first
``READ_CHARS`` characters only (their regexes would otherwise cost seconds in the write)."""

from __future__ import annotations

from observatory.milestones import Matcher
from observatory.milestones.registry import shipped_milestones
from observatory.pipeline.steps import READ_CHARS, bounded, link_milestones, tag_change
from observatory.store.models import ChangeRow
from observatory.tagging import load_taxonomy

PAPER = (
    "EMA publishes a reflection paper on the use of artificial intelligence "
    "in the medicinal product lifecycle. "
)
FILLER = "The committee met on Tuesday and adopted the minutes of its previous meeting. "
PADDING = FILLER * (READ_CHARS // len(FILLER) + 1)  # more than READ_CHARS, not about AI


def test_bounded_keeps_the_first_characters_across_the_texts() -> None:
    out = bounded(["a" * 60, "b" * 60, "c" * 60], limit=100)
    assert out == ["a" * 60, "b" * 40]
    assert bounded(["short"], limit=100) == ["short"]


def test_tagging_reads_the_first_read_chars_of_a_change() -> None:
    taxonomy = load_taxonomy()
    where = {"hints": (), "document_title": "", "location": "Page"}
    inside = tag_change([PAPER + PADDING], [], taxonomy, **where)  # type: ignore[arg-type]
    beyond = tag_change([PADDING + PAPER], [], taxonomy, **where)  # type: ignore[arg-type]
    assert inside.about_ai and "guidance" in inside.dimensions
    assert not beyond.about_ai and beyond.dimensions == []


def test_milestone_linking_reads_the_first_read_chars_of_a_change() -> None:
    milestone = next(m for m in shipped_milestones() if not m.sources)
    phrase = milestone.match[0]
    matcher = Matcher(shipped_milestones())

    def linked(text: str) -> set[str]:
        row = ChangeRow(source_id="s", kind="added", location="Page", added=[text], removed=[])
        return {link.milestone_id for link in link_milestones([row], matcher)[0]}

    assert milestone.id in linked(f"{phrase}. {PADDING}")
    assert milestone.id not in linked(f"{PADDING} {phrase}.")
