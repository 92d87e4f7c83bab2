"""A short block that differs only by masked noise pairs with its old self and vanishes."""

from __future__ import annotations

from observatory.diff import diff_documents
from observatory.document import Block, Document

BODY = "All municipalities are eligible for Individual Assistance under the declaration."


def page(*texts: str) -> Document:
    return Document(blocks=tuple(Block(t, "Status") for t in texts), meta={"extractor": "page"})


def test_a_stamp_alone_in_its_block_is_no_change():
    """FEMA: the stamp sits in its own element ("10/03/2017 - 08:59"), far from its label."""
    old = page(BODY, "Last Updated:", "10/03/2017 - 08:59")
    assert diff_documents(old, page(BODY, "Last Updated:", "10/05/2017 - 11:32")) == []


def test_a_counter_alone_is_no_change_but_a_real_edit_beside_it_is():
    old = page("Number of views (4099)/Comments (0)", BODY)
    new = page("Number of views (4116)/Comments (2)", BODY.replace("All", "Most"))
    (change,) = diff_documents(old, new)
    assert (change.kind, change.diff[:2]) == ("modified", [("-", "All"), ("+", "Most")])
