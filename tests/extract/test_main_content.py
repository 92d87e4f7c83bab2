"""Whole-page mode: the main content found with trafilatura, read with our own block walker;
forms keep their text; locations and anchors are for people; a stamp label meets its stamp.

Synthetic pages prove each rule; the real captures in ../shared/corpus/pages prove it holds on
markup nobody here wrote (tests/realdata polls them end to end)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from observatory.extract import extract
from observatory.extract._tree import parse_html
from observatory.extract.main_content import main_regions

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pages"
URL = "https://www.example.org/en/page"
PROSE = (
    "The Agency published its reflection paper on the use of artificial intelligence in the "
    "lifecycle of medicines, setting out the principles that developers should follow. "
)
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir() and not os.environ.get("CI"), reason="../shared/corpus not present"
)


def page(body: str) -> bytes:
    return f"<html><head><title>T</title></head><body>{body}</body></html>".encode()


SITE = page(
    '<header role="banner"><div class="flexslider" id="flexslider-1"><p>'
    + "A rotating story about manatees and the warbler, with a long caption. " * 4
    + "</p></div><ul><li><a href='/a'>Home</a></li><li><a href='/b'>News</a></li></ul></header>"
    + '<div id="block-system-main"><h1>Mission Statement</h1>'
    + f"<p>{PROSE * 3}</p><p>{PROSE * 2}</p></div>"
    + "<footer><p>Contact us</p><p>Privacy policy and accessibility statement</p></footer>"
)


def test_whole_page_mode_watches_the_main_content_not_the_furniture():
    doc = extract("page", SITE, url=URL)
    text = doc.as_text()
    assert "reflection paper" in text
    for furniture in ("manatees", "Home", "Privacy policy"):
        assert furniture not in text, furniture
    # with select, the page's own markup decides, as before
    assert "Privacy policy" in extract("page", SITE, url=URL, select="body").as_text()


def test_locations_and_anchors_are_never_generated_ids():
    blocks = extract("page", SITE, url=URL, select="body").blocks
    assert {b.location for b in blocks} <= {"Header", "Mission Statement", "Footer"}
    assert all(b.anchor is None for b in blocks)  # flexslider-1, block-system-main: generated
    kept = extract("page", page('<main><h2 id="workplan">Workplan</h2><p>x</p></main>'), url=URL)
    assert kept.blocks[0].anchor == "workplan"
    assert kept.blocks[0].location == "Workplan"


def test_aria_label_names_a_region_without_heading_and_page_is_the_last_resort():
    body = page('<main><p>first</p><section aria-label="Key dates"><p>second</p></section></main>')
    assert [(b.text, b.location) for b in extract("page", body, url=URL, select="main").blocks] == [
        ("first", "Page"),
        ("second", "Key dates"),
    ]


def test_a_form_keeps_its_text_and_loses_its_controls():
    body = page(
        '<form id="Form" action="/x"><input type="hidden" name="__VIEWSTATE" value="dDwtMTA">'
        "<label for=q>Search the site</label><input id=q name=q><button>Go</button>"
        "<select><option>English</option><option>Deutsch</option></select>"
        f"<div class='article'><h3><button>What is new?</button></h3><p>{PROSE}</p></div></form>"
    )
    blocks = extract("page", body, url=URL, select="body").blocks
    assert [(b.text[:20], b.location) for b in blocks] == [("The Agency published", "What is new?")]


def test_a_stamp_label_is_joined_to_the_stamp_in_the_next_element():
    body = page(
        f"<main><h2>Status</h2><p>{PROSE}</p><div class='field'><div class='label'>Last Updated:"
        "</div><div class='items'>10/05/2017 - 11:32</div></div></main>"
    )
    texts = [b.text for b in extract("page", body, url=URL, select="main").blocks]
    assert texts[-1] == "Last Updated: 10/05/2017 - 11:32"


def test_too_little_main_text_falls_back_to_the_body():
    root = parse_html(page("<p>Short page.</p><footer>f</footer>"))
    assert [r.tag for r in main_regions(root)] == ["body"]


@needs_corpus
def test_an_aspnet_page_inside_one_form_has_its_article_as_main_content():
    """NOAA's DotNetNuke page: the whole body is one <form>; it used to have "no text"."""
    body = (CORPUS / "edgi" / "pages" / "falsepos-num-views-a.html").read_bytes()
    doc = extract("page", body, url=URL)
    text = doc.as_text()
    assert "Overall model performance improved slightly in CMIP5" in text
    assert "Adopt a Drifter" not in text  # the site's menus and footer are not watched
    assert not any("dnn" in (b.anchor or "") + b.location for b in doc.blocks)


@needs_corpus
def test_an_image_caption_beside_the_article_body_is_kept():
    """DOE: the hero image's caption sits in a sibling of the body field."""
    body = (CORPUS / "edgi" / "pages" / "truepos-image-removal-a.html").read_bytes()
    text = extract("page", body, url=URL).as_text()
    assert "In November 2009, President Barack Obama and President Hu Jintao" in text
    assert "Energy collaboration between the United States and China is significant" in text
    assert "Whistleblower Protection" not in text
