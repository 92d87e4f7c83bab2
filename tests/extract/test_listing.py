"""The listing extractor: one item per match, with title, link, date, summary and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatory.errors import ExtractError
from observatory.extract import extract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "extract"
URL = "https://www.ema.europa.eu/en/news/whats-new"


def listing(items: str = "li.entry"):
    return extract("listing", (FIXTURES / "listing.html").read_bytes(), url=URL, items=items)


def test_items_fields():
    doc = listing()
    assert len(doc.items) == 3  # the blank entry is skipped
    first, second, third = doc.items
    assert first.title == "Reflection paper on AI adopted"
    assert first.link == first.key == "https://www.ema.europa.eu/en/news/ai-reflection-paper"
    assert first.date == "9 September 2024"
    assert first.summary == (
        "The CHMP adopted the reflection paper on AI in the medicinal product lifecycle."
    )
    assert second.title == "Guiding principles on large language models"
    assert second.link == "https://www.ema.europa.eu/en/documents/llm-principles_en.pdf"
    assert second.date == "2024-09-05"
    assert third.link == ""
    assert third.key == third.title == "Workshop on AI in clinical development"
    assert third.summary == "Registration opens soon."
    assert third.date == "2025-11-20T09:00:00Z"
    assert doc.links == ("https://www.ema.europa.eu/en/documents/llm-principles_en.pdf",)


def test_items_matching_nothing_is_an_error():
    with pytest.raises(ExtractError, match="matched nothing"):
        listing("article.news")


def test_listing_without_items_selector_is_an_error():
    with pytest.raises(ExtractError, match="items"):
        extract("listing", (FIXTURES / "listing.html").read_bytes(), url=URL)
