"""The page extractor on an EMA-like page: noise dropped, blocks located, document links."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatory.errors import ExtractError
from observatory.extract import extract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "extract"
URL = "https://www.ema.europa.eu/en/about-us/how-we-work/artificial-intelligence"


def page(select: str | None = "main", ignore: tuple[str, ...] = ()):
    body = (FIXTURES / "ema_ai.html").read_bytes()
    return extract("page", body, url=URL, select=select, ignore=ignore)


def test_noise_is_dropped():
    text = page(select=None).as_text()
    for noise in (
        "dataLayer", "ecl-page-header", "cookies", "privacy", "Share this page", "Hidden draft",
        "Template text", "SVG label", "form-9f8e7d6c", "Medicines", "pixel",
    ):  # fmt: skip
        assert noise not in text, noise
    assert "EMA and the HMA are working" in text
    assert "Domenico Scarlattilaan" not in text  # no select: the main content, not the footer
    footer = next(b for b in page(select="body").blocks if "Domenico" in b.text)
    assert footer.location == "Footer"  # a landmark names a block under no heading


def test_blocks_are_located_under_headings_and_whitespace_normalised():
    doc = page()
    blocks = {b.text: b for b in doc.blocks}
    intro = next(b for b in doc.blocks if b.text.startswith("EMA and the HMA"))
    assert intro.text == (
        "EMA and the HMA are working to harness the benefits of artificial intelligence (AI) "
        "while managing its risks."
    )
    assert intro.location == "Page"  # before the first h2; the h1 is the page title
    assert blocks["AI tools and technology"].location == "Workplan"
    assert blocks["AI tools and technology"].anchor == "workplan"
    assert blocks["Secure AI platform for the network"].location == "Workplan"
    assert blocks["Dimension | Lead"].location == "Workplan > Dimensions"
    assert blocks["Experimentation | HMA"].anchor == "dimensions"
    assert doc.title == "Artificial intelligence | European Medicines Agency (EMA)"


def test_document_links_are_absolute_http_and_deduplicated():
    assert page().links == (
        "https://www.ema.europa.eu/en/about-us/how-we-work/ai-workplan_en.pdf",
        "https://www.ema.europa.eu/en/documents/other/data-ai-workplan_en.xlsx",
    )


def test_ignore_selectors_are_removed():
    texts = [b.text for b in page(ignore=(".related-links", ".last-updated")).blocks]
    assert "Related: EMA news" not in texts
    assert not any(t.startswith("Last updated") for t in texts)
    assert "Related: EMA news" in [b.text for b in page().blocks]


def test_attribute_order_and_whitespace_do_not_matter():
    a = b'<html><body><main><p class="x" id="p1">Hello   <b>world</b>\n!</p></main></body></html>'
    b = b'<html><body><main><p id="p1" class="x">Hello <b>world</b>!</p></main></body></html>'
    da = extract("page", a, url=URL, select="main")
    db = extract("page", b, url=URL, select="main")
    assert [x.text for x in da.blocks] == ["Hello world !"]
    assert da.blocks[0].anchor == db.blocks[0].anchor == "p1"
    assert extract("page", "<p>Cafe\u0301</p>".encode(), url=URL).blocks[0].text == "Café"


def test_select_matching_nothing_is_an_error():
    with pytest.raises(ExtractError, match=r"select 'main \.missing' matched nothing"):
        page(select="main .missing")


def test_empty_body_and_empty_region_are_errors():
    with pytest.raises(ExtractError, match="empty"):
        extract("page", b"  \n", url=URL)
    with pytest.raises(ExtractError, match="no text"):
        extract("page", b"<main><script>x()</script></main>", url=URL, select="main")


def test_invalid_ignore_selector_is_an_error():
    with pytest.raises(ExtractError, match="invalid CSS selector"):
        page(ignore=("div[",))
