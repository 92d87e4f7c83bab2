"""The feed extractor: RSS and Atom entries as items; entity declarations refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from observatory.errors import ExtractError
from observatory.extract import extract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "extract"


def feed(name: str, url: str = "https://www.ema.europa.eu/en/news.xml"):
    return extract("feed", (FIXTURES / name).read_bytes(), url=url)


def test_rss_items():
    doc = feed("rss.xml")
    assert doc.title == "EMA: What's new"
    first, second = doc.items
    assert first.key == "ema-news-4711"
    assert first.link == "https://www.ema.europa.eu/en/news/ai-reflection-paper"
    assert first.date == "2024-09-09T12:00:00Z"
    assert first.summary == "The CHMP adopted the reflection paper."  # HTML and script gone
    assert second.key == second.link == "https://www.ema.europa.eu/en/news/llm-principles"


def test_atom_items():
    doc = feed("atom.xml", "https://ai-act-service-desk.ec.europa.eu/en/news.atom")
    first, second = doc.items
    assert first.key == "tag:ai-act-service-desk.ec.europa.eu,2025:news-12"
    assert first.title == "General-purpose AI obligations apply"
    assert first.summary == (
        "Obligations for providers of general-purpose AI models apply from 2 August 2025."
    )
    assert first.date == "2025-08-02T12:00:00Z"
    assert (
        second.summary == "The Commission published guidelines on the definition of an AI system."
    )


def test_billion_laughs_is_refused_without_expansion():
    started = time.perf_counter()
    with pytest.raises(ExtractError, match="entities"):
        feed("billion_laughs.xml")
    assert time.perf_counter() - started < 1.0


def test_entity_declaration_hidden_after_whitespace_is_refused():
    body = b'<?xml version="1.0"?>\n<!DOCTYPE r [ <!entity x SYSTEM "file:///etc/passwd"> ]><r/>'
    with pytest.raises(ExtractError, match="refused"):
        extract("feed", body, url="https://example.org/feed")


def test_garbage_is_an_error_and_empty_feed_is_not():
    with pytest.raises(ExtractError, match="not a readable feed"):
        extract("feed", b"\x00\x01 this is not xml <<<", url="https://example.org/feed")
    doc = extract(
        "feed",
        b"<rss version='2.0'><channel><title>T</title></channel></rss>",
        url="https://example.org/f",
    )
    assert doc.items == () and doc.title == "T"


def test_body_is_never_taken_for_a_file_name(tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_text("<rss><channel><item><title>leak</title></item></channel></rss>")
    with pytest.raises(ExtractError):
        extract("feed", str(secret).encode(), url="https://example.org/feed")
