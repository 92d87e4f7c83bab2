"""extract() dispatch, the registry, and the shared fixture site's intended v1 -> v2 changes."""

# ruff: noqa: E501  (expected texts read better whole, one per line)
from __future__ import annotations

from pathlib import Path

import pytest

from observatory.document import Document
from observatory.errors import ExtractError
from observatory.extract import EXTRACTORS, choose, extract

SITE = Path(__file__).parents[1] / "fixtures" / "site"


def test_registry_lists_every_extractor():
    assert {"page", "listing", "feed", "pdf", "text", "eurlex"} <= set(EXTRACTORS)
    assert all(callable(f) for f in EXTRACTORS.values())


@pytest.mark.parametrize(
    ("kind", "body", "ctype", "expected"),
    [
        ("page", b"<p>x</p>", "text/html", "page"),
        ("page", b"# x", "text/markdown; charset=utf-8", "text"),
        ("page", b"x", "text/plain", "text"),
        ("page", b'<div class="eli-subdivision" id="art_1">', "text/html", "eurlex"),
        ("feed", b"<rss/>", "text/html", "feed"),
        ("pdf", b"%PDF-", "", "pdf"),
    ],
)
def test_choose(kind, body, ctype, expected):
    assert choose(kind, body, ctype) == expected


def test_unknown_kind_is_an_error():
    with pytest.raises(ExtractError, match="unknown kind"):
        extract("json", b"{}", url="https://x")


def site(version: int, name: str, kind: str = "page", **kw) -> Document:
    body = (SITE / f"v{version}" / name).read_bytes()
    return extract(kind, body, url=f"http://127.0.0.1/{name}", **kw)


def changed(a: Document, b: Document) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    old = [(x.location, x.text) for x in a.blocks]
    new = [(x.location, x.text) for x in b.blocks]
    return [x for x in old if x not in new], [x for x in new if x not in old]


def test_site_ai_page_changes():
    removed, added = changed(
        site(1, "ai.html", select="main#content"), site(2, "ai.html", select="main#content")
    )
    assert [loc for loc, _ in removed] == ["Workplan", "Large language models"]
    assert "regulatory sandbox pilot" in added[0][1] and added[0][0] == "Workplan"
    assert added[1][1].startswith("A training programme for assessors")
    assert added[2] == ("Large language models", "Last updated: 3 June 2025")
    ignored = [site(v, "ai.html", select="main#content", ignore=[".last-updated"]) for v in (1, 2)]
    assert len(changed(*ignored)[1]) == 2


def test_site_noisy_page_differs_only_by_noise():
    kw = {"select": "main#content", "ignore": [".meta", ".request-id"]}
    assert site(1, "noisy.html", **kw) == site(2, "noisy.html", **kw)
    removed, added = changed(
        site(1, "noisy.html", select="main#content"), site(2, "noisy.html", select="main#content")
    )
    assert [t for _, t in removed] == ["Last updated: 12 March 2025", "Request ID: 7f3a9c0e12ab"]
    assert [t for _, t in added] == ["Last updated: 4 June 2025", "Request ID: b51d0e77c9f2"]


def test_site_vanish_region():
    assert site(1, "vanish.html", select="main#content").blocks
    with pytest.raises(ExtractError, match="matched nothing"):
        site(2, "vanish.html", select="main#content")


def test_site_act_changes():
    removed, added = changed(site(1, "act.html"), site(2, "act.html"))
    assert [loc for loc, _ in removed] == ["Article 4", "Article 57 > 9 > (b)"]
    assert [loc for loc, _ in added] == ["Article 4", "Article 57 > 9 > (b)"]


def test_site_listing_and_feed_add_one_item():
    v1, v2 = (site(v, "news.html", "listing", items="article.news-item") for v in (1, 2))
    new = [i for i in v2.items if i not in v1.items]
    assert len(v1.items) == 3 and [i.title for i in new] == [
        "Reflection paper on AI in the medicinal product lifecycle adopted"
    ]
    f1, f2 = (site(v, "feed.xml", "feed") for v in (1, 2))
    new_entries = [i for i in f2.items if i not in f1.items]
    assert [i.key for i in new_entries] == ["ai-office-2025-07-18-gpai-guidelines"]


def test_site_pdf_changes_one_sentence():
    removed, added = changed(site(1, "doc.pdf", "pdf"), site(2, "doc.pdf", "pdf"))
    assert removed == [
        (
            "Page 2",
            "Early interaction with regulators is recommended where AI is used in clinical development.",
        )
    ]
    assert added == [
        (
            "Page 2",
            "Early interaction with regulators is recommended where AI is used in clinical development, for example through scientific advice.",
        )
    ]
