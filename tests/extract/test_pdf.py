"""The pdf extractor: text per page from a real (generated) PDF, bounded in pages and time."""

# ruff: noqa: E501  (expected texts read better whole, one per line)
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from observatory.errors import ExtractError
from observatory.extract import extract

FIXTURES = Path(__file__).parents[1] / "fixtures"
_spec = importlib.util.spec_from_file_location("make_pdfs", FIXTURES / "site" / "make_pdfs.py")
assert _spec is not None and _spec.loader is not None
make_pdfs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_pdfs)
URL = "https://www.ema.europa.eu/en/documents/ai.pdf"


def test_pages_become_located_paragraphs():
    doc = extract("pdf", (FIXTURES / "site" / "v1" / "doc.pdf").read_bytes(), url=URL)
    assert [(b.location, b.text) for b in doc.blocks] == [
        ("Page 1", "Reflection paper on the use of artificial intelligence in the medicinal product lifecycle"),
        ("Page 1", "This paper reflects on the principles that apply when AI and machine learning are used across the lifecycle of medicines."),
        ("Page 1", "Applicants should take a risk-based approach to the development, deployment and performance monitoring of AI tools."),
        ("Page 2", "Regulatory interactions"),
        ("Page 2", "Early interaction with regulators is recommended where AI is used in clinical development."),
    ]  # fmt: skip
    assert doc.meta["pages"] == 2


def test_legal_pdf_is_located_by_article():
    body = make_pdfs.build_pdf(
        [["Article 4", "AI literacy", "", "Providers shall ensure AI literacy."],
         ["Article 5", "", "The following practices shall be prohibited."]]
    )  # fmt: skip
    doc = extract("pdf", body, url=URL)
    located = [(b.location, b.text) for b in doc.blocks]
    assert ("Article 4", "Providers shall ensure AI literacy.") in located
    assert located[-1] == ("Article 5", "The following practices shall be prohibited.")


def test_page_limit():
    body = make_pdfs.build_pdf([[f"Page text {n}."] for n in range(1, 6)])
    doc = extract("pdf", body, url=URL, pdf_max_pages=2)
    assert [b.location for b in doc.blocks] == ["Page 1", "Page 2"]
    assert doc.meta == {"extractor": "pdf", "pages": 5, "pages_read": 2}


def test_not_a_pdf_and_broken_pdf_are_errors():
    with pytest.raises(ExtractError, match="not a PDF"):
        extract("pdf", (FIXTURES / "extract" / "not_a_pdf.pdf").read_bytes(), url=URL)
    with pytest.raises(ExtractError, match="unreadable PDF"):
        extract("pdf", b"%PDF-1.4\n1 0 obj garbage", url=URL)
    with pytest.raises(ExtractError, match="empty"):
        extract("pdf", b"", url=URL)


def test_a_pdf_without_text_is_an_error():
    with pytest.raises(ExtractError, match="no extractable text"):
        extract("pdf", make_pdfs.build_pdf([[]]), url=URL)


def test_deadline_kills_the_parser():
    body = (FIXTURES / "site" / "v1" / "doc.pdf").read_bytes()
    with pytest.raises(ExtractError, match="longer than"):
        extract("pdf", body, url=URL, pdf_timeout=0.001)
