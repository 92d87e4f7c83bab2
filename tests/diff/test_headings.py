"""A page's title and section headings are content: renamed, added or removed, each is one
change located at its parent; in legal texts a new location is a number, not a heading."""

from __future__ import annotations

from observatory.diff import diff_documents
from observatory.document import Block, Document

TEXT = "The network will publish guidance on large language models in medicines regulation."
MORE = "Assessors will be trained on the evaluation of AI-based medical devices and software."


def page(title: str, *blocks: tuple[str, str], extractor: str = "page") -> Document:
    return Document(
        blocks=tuple(Block(text, location) for text, location in blocks),
        title=title,
        meta={"extractor": extractor},
    )


def summary(old: Document, new: Document) -> list[tuple[str, str, str]]:
    return [(c.kind, c.location, c.title) for c in diff_documents(old, new)]


def test_a_renamed_page_title_is_one_change_at_page():
    old = page("Federal Partner Collaboration | US EPA", (TEXT, "Activities"))
    new = page("EPA Adaptation Collaboration | US EPA", (TEXT, "Activities"))
    (change,) = diff_documents(old, new)
    assert (change.kind, change.location) == ("modified", "Page")
    assert change.removed == ["Federal Partner Collaboration | US EPA"]
    assert change.added == ["EPA Adaptation Collaboration | US EPA"]
    assert ("-", "Federal Partner") in change.diff and ("+", "EPA Adaptation") in change.diff


def test_a_title_that_differs_only_by_noise_is_no_change():
    old = page("News (updated 3 May 2024)", (TEXT, "A"))
    assert diff_documents(old, page("News (updated 5 May 2024)", (TEXT, "A"))) == []


def test_a_renamed_heading_is_one_change_at_its_parent():
    old = page("T", (TEXT, "Workplan > AI tools and technology"), (MORE, "Workplan > AI tools"))
    new = page("T", (TEXT, "Workplan > Tools and technology"), (MORE, "Workplan > AI tools"))
    assert summary(old, new) == [
        (
            "modified",
            "Workplan",
            "Workplan modified: heading “AI tools and technology” → “Tools and technology”",
        )
    ]


def test_headings_added_and_removed_are_located_at_their_parent():
    old = page("T", (TEXT, "Page"), (MORE, "Guidance > Drafts"))
    new = page("T", (TEXT, "Introduction"), (MORE, "Guidance"))
    assert summary(old, new) == [
        ("added", "Page", "Page added: heading “Introduction”"),
        ("removed", "Guidance", "Guidance removed: heading “Drafts”"),
    ]


def test_one_heading_renamed_above_many_blocks_is_reported_once_with_real_edits():
    old = page("T", (TEXT, "Old name"), (MORE, "Old name"), ("A third paragraph.", "Old name"))
    new = page("T", (TEXT, "New name"), (MORE, "New name"), ("A new paragraph.", "New name"))
    kinds = summary(old, new)
    assert kinds[0] == ("modified", "Page", "Page modified: heading “Old name” → “New name”")
    assert [k[:2] for k in kinds[1:]] == [("modified", "New name")]


def test_legal_texts_do_not_report_a_renumbering_as_a_heading():
    old = page("Act", (TEXT, "Article 52a"), extractor="text")
    new = page("Act v2", (TEXT, "Article 52b"), extractor="text")
    # renumbering is the legal-text diff's business (diff/units.py), never a "heading" change
    assert [c.title for c in diff_documents(old, new)] == [
        "Article 52b (was Article 52a) renumbered"
    ]


def test_a_replaced_list_entry_is_not_a_renamed_heading():
    """A member's page: debates are headings, and the sections after the last one sit under it.
    Replacing the last debate is an entry removed and one added, not a heading renamed."""
    old = page(
        "T",
        ("17-12-2024", "Toppling of the regime (debate)"),
        ("Contributions to plenary debates", "Toppling of the regime (debate)"),
        ("Bruxelles", "Toppling of the regime (debate) > Contact"),
    )
    new = page(
        "T",
        ("11-02-2025", "Support for Ukraine (debate)"),
        ("Contributions to plenary debates", "Support for Ukraine (debate)"),
        ("Bruxelles", "Support for Ukraine (debate) > Contact"),
    )
    assert [c.title for c in diff_documents(old, new) if "heading" in c.title] == []


def test_a_renamed_section_whose_content_is_all_in_sub_sections_is_reported():
    old = page("T", (TEXT, "Workplan > Guidance"), (MORE, "Workplan > Tools"))
    new = page("T", (TEXT, "Work plan > Guidance"), (MORE, "Work plan > Tools"))
    assert summary(old, new) == [
        ("modified", "Page", "Page modified: heading “Workplan” → “Work plan”")
    ]
