"""The text extractor: paragraphs of legal texts located by article, annex, recital."""

# ruff: noqa: E501  (expected texts read better whole, one per line)
from __future__ import annotations

import time
from pathlib import Path

import pytest

from observatory.errors import ExtractError
from observatory.extract import extract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "extract"
CORPUS = Path(__file__).parents[3] / "shared" / "corpus" / "ai-act"


def test_markdown_legal_text_is_located():
    doc = extract("page", (FIXTURES / "legal.md").read_bytes(), url="https://x/a.md",
                  content_type="text/markdown; charset=utf-8")  # fmt: skip
    located = [(b.location, b.text) for b in doc.blocks]
    assert located == [
        ("", "Having regard to the Treaty on the Functioning of the European Union,"),
        ("Recital 1", "(1) The purpose of this Regulation is to improve the functioning of the internal market."),
        ("Recital 2", "(2) Artificial intelligence systems can be easily deployed in multiple sectors."),
        ("Title I", "GENERAL PROVISIONS"),
        ("Article 1", "Subject matter"),
        ("Article 1", "This Regulation lays down:"),
        ("Article 1", "(a) harmonised rules for the placing on the market of AI systems in the Union;"),
        ("Article 5", "1. The following artificial intelligence practices shall be prohibited:"),
        ("Article 5", "This is without prejudice to Article 4 of Regulation (EU) 2016/679;"),
        ("Annex III", "HIGH-RISK AI SYSTEMS REFERRED TO IN ARTICLE 6(2)"),
    ]  # fmt: skip


def test_plain_text_is_used_for_text_plain_pages():
    doc = extract("page", b"Article 12\n\nRecord-keeping\n\nLogs shall be kept.", url="https://x",
                  content_type="text/plain")  # fmt: skip
    assert doc.meta["extractor"] == "text"
    assert [b.location for b in doc.blocks] == ["Article 12", "Article 12"]


def test_empty_text_is_an_error():
    with pytest.raises(ExtractError):
        extract("page", b"\n\n", url="https://x", content_type="text/plain")


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not available")
def test_ai_act_versions_are_located_by_article_and_fast():
    path = CORPUS / "versions" / "2022-11-03_council_CZ_draft_for_coreper.md"
    body = path.read_bytes()
    started = time.process_time()  # CPU time: a loaded shared machine stretches wall time
    doc = extract("page", body, url="https://x/act.md", content_type="text/markdown")
    elapsed = time.process_time() - started
    assert len(body) > 360_000 and elapsed < 0.5, elapsed
    articles = {b.location for b in doc.blocks if b.location.startswith("Article ")}
    assert {"Article 1", "Article 5", "Article 4a", "Article 85"} <= articles
    article_5 = [b.text for b in doc.blocks if b.location == "Article 5"]
    assert any("prohibited" in t for t in article_5)
    recitals = {b.location for b in doc.blocks if b.location.startswith("Recital ")}
    assert len(recitals) > 100


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not available")
def test_final_text_finds_all_articles():
    doc = extract("page", (CORPUS / "final-2024-1689.txt").read_bytes(), url="https://x/a.txt",
                  content_type="text/plain")  # fmt: skip
    articles = {b.location for b in doc.blocks if b.location.startswith("Article ")}
    assert articles == {f"Article {n}" for n in range(1, 114)}
    assert {b.location for b in doc.blocks if b.location.startswith("Recital ")} == {
        f"Recital {n}" for n in range(1, 181)
    }
