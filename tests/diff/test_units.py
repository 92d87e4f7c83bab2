"""Articles, recitals and annexes followed across versions: labels through anchors,
renumbering, no label with two meanings (``observatory.diff.units``)."""

from __future__ import annotations

from observatory.diff import Change, diff_documents
from observatory.document import Block, Document

PENALTIES = [
    "Penalties",
    "1. In compliance with the terms and conditions laid down in this Regulation, Member States "
    "shall lay down the rules on penalties, including administrative fines, applicable to "
    "infringements of this Regulation.",
    "2. The Member States shall without delay notify the Commission of those rules and of those "
    "measures and shall notify it of any subsequent amendment affecting them.",
]
COMMITTEE = [
    "Committee procedure",
    "1. The Commission shall be assisted by a committee. That committee shall be a committee "
    "within the meaning of Regulation (EU) No 182/2011.",
]
LITERACY = [
    "AI literacy",
    "Providers and deployers of AI systems shall take measures to ensure a sufficient level of "
    "AI literacy of their staff and other persons dealing with AI systems on their behalf.",
]
SANDBOXES = [
    "AI regulatory sandboxes",
    "1. Member States shall ensure that their competent authorities establish at least one AI "
    "regulatory sandbox at national level, which shall be operational by two years after entry "
    "into force.",
]


def act(*articles: tuple[str, list[str]]) -> Document:
    return Document(blocks=tuple(Block(t, label) for label, texts in articles for t in texts))


def summary(changes: list[Change]) -> list[tuple[str, str]]:
    return [(c.kind, c.title) for c in changes]


def test_a_pure_renumbering_is_reported_once_as_such() -> None:
    old = act(("Article 52", SANDBOXES), ("Article 52a", COMMITTEE))
    new = act(("Article 52", SANDBOXES), ("Article 52b", COMMITTEE))
    (change,) = diff_documents(old, new)
    assert change.kind == "modified"
    assert change.location == "Article 52b (was Article 52a)"
    assert change.title == "Article 52b (was Article 52a) renumbered"
    assert (change.removed, change.added) == (["Article 52a"], ["Article 52b"])
    assert change.diff == [("-", "Article 52a"), ("+", "Article 52b")]


def test_a_moved_and_edited_article_is_one_change_under_its_new_number() -> None:
    edited = [PENALTIES[0], PENALTIES[1].replace("In compliance with", "In accordance with")]
    old = act(("Article 4", COMMITTEE), ("Article 5", SANDBOXES), ("Article 71", PENALTIES))
    new = act(
        ("Article 4", COMMITTEE), ("Article 57", SANDBOXES), ("Article 99", [*edited, PENALTIES[2]])
    )
    assert summary(diff_documents(old, new)) == [
        ("modified", "Article 57 (was Article 5) renumbered"),
        ("modified", "Article 99 (was Article 71) modified: “compliance” → “accordance”"),
    ]


def test_a_number_that_now_names_another_article_says_which_numbering_it_is() -> None:
    # Article 4 "Committee procedure" became Article 98; Article 4 is now "AI literacy".
    old = act(("Article 3", SANDBOXES), ("Article 4", COMMITTEE), ("Article 71", PENALTIES))
    new = act(("Article 3", SANDBOXES), ("Article 4", LITERACY), ("Article 98", COMMITTEE))
    changes = diff_documents(old, new)
    assert summary(changes) == [
        ("added", "Article 4 added (2 paragraphs): “AI literacy”"),
        ("modified", "Article 98 (was Article 4) renumbered"),
        ("removed", "Article 71 removed (3 paragraphs): “Penalties”"),
    ]
    # and when the old Article 4 went nowhere, its removal says it is the old numbering
    new = act(("Article 3", SANDBOXES), ("Article 4", LITERACY), ("Article 99", PENALTIES))
    assert summary(diff_documents(old, new)) == [
        ("removed", "Article 4 (old numbering) removed (2 paragraphs): “Committee procedure”"),
        ("added", "Article 4 added (2 paragraphs): “AI literacy”"),
        ("modified", "Article 99 (was Article 71) renumbered"),
    ]


def test_an_article_rewritten_under_its_number_stays_one_article() -> None:
    old = act(("Article 6", ["Classification rules for high-risk AI systems", PENALTIES[1]]))
    new = act(("Article 6", ["Classification rules for high-risk AI systems", SANDBOXES[1]]))
    changes = diff_documents(old, new)
    assert {c.location for c in changes} == {"Article 6"}


def test_a_deleted_article_keeps_its_number() -> None:
    old = act(("Article 4", COMMITTEE), ("Article 5", SANDBOXES))
    new = act(("Article 4", ["[deleted]"]), ("Article 5", SANDBOXES))
    assert {c.location for c in diff_documents(old, new)} == {"Article 4"}


def test_a_block_without_location_is_located_by_its_anchor_in_the_other_version() -> None:
    # The two columns of an amendment table: the targets are in the Commission's column only.
    old = Document(
        blocks=(
            Block("(43) 'national competent authority' means the supervisory authority;",
                  "Article 3 > 1 > (43)", "amendment-198"),
            Block("", "Article 3 > 1 > (44d)", "amendment-203"),  # new text: a place only
        )
    )  # fmt: skip
    new = Document(
        blocks=(
            Block("(43) 'national competent authority' means any of the authorities;", "",
                  "amendment-198"),
            Block('(44d) "deep fake" means manipulated or synthetic content;', "",
                  "amendment-203"),
        )
    )  # fmt: skip
    assert [(c.kind, c.location) for c in diff_documents(old, new)] == [
        ("modified", "Article 3 > 1 > (43)"),
        ("added", "Article 3 > 1 > (44d)"),
    ]


def test_spacing_inside_words_is_no_change() -> None:
    old = Document(
        blocks=(Block("the high- risk AI system and its post- market plan", "Article 9"),)
    )
    new = Document(blocks=(Block("the high-risk AI system and its post-market plan", "Article 9"),))
    assert diff_documents(old, new) == []


def test_a_paragraph_cut_elsewhere_is_no_change() -> None:
    old = act(
        ("Article 51", ["1. The provider shall register", "themselves in the database. 2. Then"])
    )
    new = act(
        ("Article 51", ["1. The provider shall register themselves", "in the database. 2. Then"])
    )
    assert diff_documents(old, new) == []
