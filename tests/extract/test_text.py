"""The text extractor: paragraphs of legal texts located by article, annex, recital."""

# ruff: noqa: E501  (expected texts read better whole, one per line)
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from observatory.errors import ExtractError
from observatory.extract import extract
from observatory.extract.legal import amendment_target

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


def _located(body: str) -> list[tuple[str, str]]:
    doc = extract("page", body.encode(), url="https://x/a.md", content_type="text/markdown")
    return [(b.location, b.text) for b in doc.blocks]


def test_numbered_paragraphs_are_recitals_only_inside_the_recitals_section():
    body = (
        "Having regard to the opinion of the European Central Bank, Whereas:\n\n"
        "(1) The purpose of this Regulation is clear.\n\n"
        "(2) Artificial intelligence is a fast evolving family of technologies, in Article 5(1),\n\n"
        "(1) of this Regulation: a piece of recital 2 cut by the conversion.\n\n"
        "HAVE ADOPTED THIS REGULATION:\n\n"
        "*Article 3 Definitions*\n\n"
        "(1) 'AI system' means software;\n\n"
        "(44) 'serious incident' means any incident;\n\n"
        "(44a) 'personal data' means personal data;\n"
    )
    assert _located(body) == [
        ("", "Having regard to the opinion of the European Central Bank, Whereas:"),
        ("Recital 1", "(1) The purpose of this Regulation is clear."),
        ("Recital 2", "(2) Artificial intelligence is a fast evolving family of technologies, in Article 5(1),"),
        ("Recital 2", "(1) of this Regulation: a piece of recital 2 cut by the conversion."),
        ("", "HAVE ADOPTED THIS REGULATION:"),
        ("Article 3", "Definitions"),
        ("Article 3", "(1) 'AI system' means software;"),
        ("Article 3", "(44) 'serious incident' means any incident;"),
        ("Article 3", "(44a) 'personal data' means personal data;"),
    ]  # fmt: skip


def test_signatures_financial_statement_and_annexes_end_the_last_article():
    body = (
        "*Article 85 Entry into force*\n\n"
        "This Regulation shall be binding in its entirety. Done at Brussels,\n\n"
        "*For the European Parliament For the Council*\n\n"
        "*The President The President*\n\n"
        "LEGISLATIVE FINANCIAL STATEMENT\n\n"
        "1.  ### FRAMEWORK OF THE PROPOSAL/INITIATIVE\n\n"
        "(1) Title of the proposal\n\n"
        "ANNEX I\n\n"
        "ARTIFICIAL INTELLIGENCE TECHNIQUES\n"
    )
    assert _located(body) == [
        ("Article 85", "Entry into force"),
        ("Article 85", "This Regulation shall be binding in its entirety."),
        ("Signatures", "Done at Brussels,"),
        ("Signatures", "For the European Parliament For the Council"),
        ("Signatures", "The President The President"),
        ("Legislative financial statement", "LEGISLATIVE FINANCIAL STATEMENT"),
        ("Legislative financial statement", "1. ### FRAMEWORK OF THE PROPOSAL/INITIATIVE"),
        ("Legislative financial statement", "(1) Title of the proposal"),
        ("Annex I", "ARTIFICIAL INTELLIGENCE TECHNIQUES"),
    ]


def test_footnotes_after_the_signatures_and_publication_details():
    body = (
        "Article 113\n\nEntry into force\n\nDone at Brussels, 13 June 2024.\n\n"
        "For the European Parliament\n\nThe President\n\n(1)\nOJ C 517, 22.12.2021, p. 56.\n\n"
        "ANNEX XIII\n\nCriteria\n\nELI: http://data.europa.eu/eli/reg/2024/1689/oj\n"
    )
    assert _located(body) == [
        ("Article 113", "Entry into force"),
        ("Signatures", "Done at Brussels, 13 June 2024."),
        ("Signatures", "For the European Parliament"),
        ("Signatures", "The President"),
        ("Footnotes", "(1) OJ C 517, 22.12.2021, p. 56."),
        ("Annex XIII", "Criteria"),
        ("Publication details", "ELI: http://data.europa.eu/eli/reg/2024/1689/oj"),
    ]


def test_a_lone_label_is_kept_before_a_heading_or_a_numbered_paragraph():
    body = "Whereas:\n\n(56) Text.\n\n(57)\n\n(58) Given the nature.\n\n*Article 29*\n\n7.\n\n## [Chapter 4]{.smallcaps}\n"
    assert _located(body) == [
        ("", "Whereas:"),
        ("Recital 56", "(56) Text."),
        ("Recital 57", "(57)"),
        ("Recital 58", "(58) Given the nature."),
        ("Article 29", "7."),
    ]


def test_an_empty_heading_keeps_its_place_by_its_id():
    body = "*Article 52*\n\nText.\n\n#  {#title-iva}\n\n1.  The placing on the market.\n"
    assert _located(body) == [
        ("Article 52", "Text."),
        ("Title IVA", "1. The placing on the market."),
    ]


def test_the_commission_column_of_an_amendment_table_is_located_by_the_targets():
    doc = extract("page", (FIXTURES / "ep-amendments-left.txt").read_bytes(), url="https://x/l.txt",
                  content_type="text/plain")  # fmt: skip
    blocks = [(b.location, b.anchor, b.text[:20]) for b in doc.blocks]
    assert blocks == [
        ("Article 3 > 1 > (43)", "amendment-198", "(43) ‘national compe"),
        ("Article 3 > 1 > (44) > introduc", "amendment-199", "(44) ‘serious incide"),
        ("Article 3 > 1 > (44) > introduc", "amendment-199", "led or might lead to"),
        ("Article 3 > 1 > (44a)", "amendment-200", ""),  # new text: only a place
        ("Article 3 > 1 > (44b)", "amendment-201", ""),
        ("Article 3 > 1 > (44c)", "amendment-202", ""),
        ("Article 3 > 1 > (44d)", "amendment-203", ""),
        ("Article 3 > 1 > (44e)", "amendment-204", ""),
    ]  # fmt: skip
    assert "the national supervisory authority" in doc.blocks[0].text
    assert not any("Text proposed" in b.text or "Proposal for" in b.text for b in doc.blocks)


def test_the_parliament_column_of_an_amendment_table_is_anchored_by_amendment():
    doc = extract("page", (FIXTURES / "ep-amendments-right.txt").read_bytes(), url="https://x/r.txt",
                  content_type="text/plain")  # fmt: skip
    assert {b.location for b in doc.blocks} == {""}  # the targets are in the other column
    anchors = [b.anchor for b in doc.blocks]
    assert anchors == ["amendment-1", "amendment-2", "amendment-2", "amendment-3", "amendment-4",
                       "amendment-5", "amendment-5", "amendment-6", "amendment-7", "amendment-7"]  # fmt: skip
    texts = " ".join(b.text for b in doc.blocks)
    assert doc.blocks[7].text.startswith('(44d) "deep fake" means manipulated or synthetic')
    assert "Amendment" not in texts and "ctory part" not in texts  # headers, a target's tail


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("Article 3 – paragraph 1 – point 44 d (new)", "Article 3 > 1 > (44d)"),
        ("Recital 1 a (new)", "Recital 1a"),
        ("Citation 4 a (new)", "Citation 4a"),
        ("Article 2 – paragraph 2 – introductory part", "Article 2 > 2 > introductory part"),
        ("Annex III – paragraph 1 – point 1 – point a a", "Annex III > 1 > (1) > (aa)"),
        ("ANNEX VIII – SECTION B (new)", "Annex VIII > Section B"),
        ("Article - 57 a (new) – SECTION 2 – title", "Article -57a > Section 2 > title"),
        ("Title III – Chapter 3 – title", "Title III > Chapter 3 > title"),
        ("Article 15 – paragraph 3 – subparagraph 2", "Article 15 > 3 > subparagraph 2"),
    ],
)
def test_amendment_targets_read_as_locations(target: str, location: str) -> None:
    assert amendment_target(target) == location


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not available")
def test_the_proposals_financial_statement_is_not_filed_under_its_last_article():
    path = CORPUS / "versions" / "2021-04-21_COM-2021-206_commission_proposal.md"
    doc = extract("page", path.read_bytes(), url="https://x/p.md", content_type="text/markdown")
    where = Counter(b.location.split(" > ")[0] for b in doc.blocks)
    assert where["Legislative financial statement"] > 150
    assert where["Article 85"] == 7  # its title and six paragraphs
    assert where["Signatures"] == 3
