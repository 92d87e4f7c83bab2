"""The lxml path (``_tree`` and the page/EUR-Lex/listing extractors) gives the Documents the
BeautifulSoup reference (``bs4_reference``, kept here as an oracle) gives: on every HTML fixture,
the real EUR-Lex page, and odd markup; selectors cssselect cannot run are refused up front.

A page without ``select`` is compared as ``select: body``: whole-page mode finds the main
content with a library (``extract/main_content.py``, tested in ``test_main_content.py``), which
the oracle has no counterpart for; everything after the region is chosen is compared."""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml

from observatory.config import parse_config
from observatory.document import Document
from observatory.errors import ConfigError, ExtractError
from observatory.extract import ExtractOptions, choose, extract
from observatory.extract._base import clean
from observatory.extract._tree import check_selector, css_xpath
from tests.extract import bs4_reference as ref

TESTS = Path(__file__).parents[1]
EURLEX = TESTS.parents[1] / "shared" / "corpus" / "ai-act" / "eurlex-oj-l-202401689-en.html"
URL = "https://www.ema.europa.eu/en/a/b.html"
REFERENCE = {
    "page": ref.extract_page_bs4,
    "eurlex": ref.extract_eurlex_bs4,
    "listing": ref.extract_listing_bs4,
}


def outcome(fn, *args, **kw) -> str:
    try:
        result = fn(*args, **kw)
    except ExtractError as exc:
        return f"ExtractError: {exc}"
    assert isinstance(result, Document)
    return result.to_json()


def same(kind: str, body: bytes, **kw) -> str:
    """Extract with both implementations, assert equal outcomes, return the new one."""
    name = choose(kind, body, kw.get("content_type", ""))
    if name == "page" and not kw.get("select") and b"<body" in body.lower():
        kw["select"] = "body"  # the oracle has no main-content finder: compare on the body
    old = outcome(REFERENCE[name], body, ExtractOptions(url=URL, **kw))
    new = outcome(extract, kind, body, url=URL, **kw)
    assert new == old
    return new


HTML_FIXTURES = sorted((TESTS / "fixtures").rglob("*.html"))


@pytest.mark.parametrize("path", HTML_FIXTURES, ids=lambda p: p.relative_to(TESTS).as_posix())
def test_fixtures_give_identical_documents(path):
    body = path.read_bytes()
    same("page", body)
    same("listing", body, items="li")
    if b"<main" in body:
        same("page", body, select="main", ignore=(".related-links", "nav"))
        same("listing", body, select="main", items="main p")


@pytest.mark.skipif(not EURLEX.exists(), reason="corpus page not present")
def test_whole_eurlex_page_gives_an_identical_document():
    assert '"Article 5 > 1 > (a)"' in same("page", EURLEX.read_bytes())


ODD = {
    "comments and PIs split strings": b"<main><p>a<!-- c -->b<?pi x?>c</p><h2>H<!--x-->2</h2>"
    b"<p>d</p></main>",
    "ruby and script inside headings": b"<main><h2>Kan<ruby>\xe6\xbc\xa2<rt>kan</rt><rp>(</rp>"
    b"</ruby><script>x()</script></h2><p>t<ruby>x<rt>y</rt></ruby></p></main>",
    "noise between strings keeps them apart": b'<main><div id="rct_1">one<script>s</script>two'
    b'<span hidden>h</span> three<input type="HIDDEN" value="v"></div></main>',
    "banners and aria-hidden": b'<body><div class="x Cookie-banner">c</div><main id="consent">'
    b'<p aria-hidden="TRUE">h</p><p class="a\tb">kept</p></main></body>',
    "br in eurlex table cells": b'<div class="eli-subdivision" id="art_1"><p class="oj-ti-art">'
    b"Article 1</p><table><tr><td><p>(a)</p></td><td><p>x<br>y</p>z<span>w</span></td></tr>"
    b"<tr><td>1<br>2</td><td>3</td><td>4</td></tr></table><p>p<br/>q</p></div>",
    "eurlex strays and chrome": b'<div id="TOC">toc</div><div id="docHtml"><div '
    b'class="eli-subdivision" id="rct_2">(2) text<template>t</template> after</div>'
    b"<grammarly-desktop-integration>g</grammarly-desktop-integration></div>",
    "no body, no title, h1 only": b"<h1>Only <b>heading</b></h1><p>text</p>",
    "base href and document links": b'<html><head><base href="https://e.org/d/"></head><body>'
    b'<a href="x.PDF#p">a</a><a href="x.pdf">b</a><a href="mailto:x@y.pdf">m</a>'
    b'<a href="">e</a><p>t</p></body></html>',
    "nested noise and tails": b"<main><div><nav>n<form>f</form></nav>tail<svg><title>t</title>"
    b"</svg>more</div><br>after br<li>item</li></main>",
}


@pytest.mark.parametrize("name", ODD)
def test_odd_markup_gives_identical_documents(name):
    body = ODD[name]
    same("page", body)
    same("page", body, select="main")
    same("listing", body, items="li, p, div")


CP1252 = "text/html; charset=windows-1252"
HTTP_EQUIV = b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15">'
ENCODINGS = [
    ("latin-1 via meta", "<meta charset='latin-1'><p>caf\u00e9 \u00bd</p>".encode("latin-1"), ""),
    ("http charset wins", '<meta charset="utf-8"><p>caf\u00e9</p>'.encode("cp1252"), CP1252),
    ("utf-8 BOM", b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", ""),
    ("utf-16 BOM", "\ufeff<p>caf\u00e9</p>".encode("utf-16-le"), ""),
    ("undeclared cp1252", "<p>caf\u00e9 \u201cq\u201d</p>".encode("cp1252"), ""),
    ("unknown charset", b"<p>caf\xc3\xa9</p>", "text/html; charset=x-nonsense"),
    ("http-equiv meta", HTTP_EQUIV + b"<p>\xa4</p>", ""),
]  # fmt: skip


@pytest.mark.parametrize(("name", "body", "ctype"), ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_encodings_are_chosen_as_bs4_chose_them(name, body, ctype):
    same("page", body, content_type=ctype)


def test_every_configured_and_tested_selector_runs_on_lxml():
    config = yaml.safe_load((TESTS.parent / "sources.yaml").read_text(encoding="utf-8"))
    selectors = {"main", "main#content", "article.news-item", "li.entry", "main .missing"}
    selectors |= {".related-links", ".last-updated", ".eli-main-title", "#docHtml"}
    for source in config["sources"]:
        selectors |= {source[k] for k in ("select", "items") if source.get(k)}
        selectors |= set(source.get("ignore") or ())
    for selector in selectors:
        css_xpath(selector)  # raises ValueError when cssselect cannot run it


NOT_RUNNABLE = [
    "p:-soup-contains('Workplan')",
    "p:not(:-soup-contains(x))",
    "p:first-child::first-line",
]


@pytest.mark.parametrize("selector", NOT_RUNNABLE)
def test_selectors_cssselect_cannot_run_are_refused_by_the_configuration(selector):
    with pytest.raises(ValueError, match="invalid CSS selector"):
        check_selector(selector)
    text = f"sources:\n  - id: a\n    url: https://example.org/\n    select: {selector!r}\n"
    with pytest.raises(ConfigError, match="select: invalid CSS selector"):
        parse_config(text)


def test_items_selector_may_name_the_region_itself():
    body = b"<body><main><ul><li><a href='/a'>A</a></li><li>B 2024-01-02</li></ul></main></body>"
    doc = Document.from_json(same("listing", body, select="main", items="main li"))
    assert [i.title for i in doc.items] == ["A", "B 2024-01-02"]
    same("listing", body, select="ul", items="ul > li:first-child")


@pytest.mark.parametrize("bad", ["div[", "..a", "p:nth-child(x)", "a >", ":unknown-pseudo"])
def test_invalid_selectors_are_an_extract_error_when_called_directly(bad):
    body = (TESTS / "fixtures" / "extract" / "ema_ai.html").read_bytes()
    with pytest.raises(ExtractError, match="invalid CSS selector"):
        extract("page", body, url=URL, select="main", ignore=(bad,))


def _old_clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(
        dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
    )
    return re.sub(r"\s+", " ", text).strip()


def test_clean_matches_the_regex_version_on_every_space_and_invisible():
    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c)))
    samples = [
        f"a{spaces}b",
        f"{spaces}x\u200b y\u00ad{spaces}",
        " \u200b ",
        "Cafe\u0301 \u00a0 ok\u2028\u2029\x1c\x1f\x85",
        "plain ascii \t\n\r\f\v text ",
        "",
    ]
    for sample in samples:
        assert clean(sample) == _old_clean(sample), repr(sample)
