"""The Atom feed of changes (RFC 4287), filtered by the same parameters as ``/changes``.

Built with ElementTree, so every string is XML-escaped; characters XML 1.0 forbids (control
characters that a scraped page may carry) are dropped first. Entry ids are the change pages'
URLs, which stay stable; links to the watched page are kept only when they are http(s).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import escape

from observatory import dimensions
from observatory.store import changes
from observatory.store.models import ChangeRow, iso
from observatory.templating import safe_url
from observatory.web import filters, render

router = APIRouter(include_in_schema=False)
ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    return _NOT_XML.sub("", str(value or ""))


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = xml_text(text)
    return element


def entry_html(row: ChangeRow) -> str:
    """The entry's content: where, which dimensions, and the word-level diff (escaped HTML)."""
    dims = ", ".join(dimensions.label(d) for d in row.dimensions) or "none"
    where = escape(xml_text(row.location or "(no location)"))
    return (
        f"<p><strong>{where}</strong> ({escape(row.kind)}; dimensions: {escape(dims)})</p>"
        f"<p>{xml_text(render.diff_html(row.diff))}</p>"
    )


def build_feed(rows: Sequence[ChangeRow], *, base_url: str, self_url: str, title: str) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "title", title)
    _add(feed, "id", self_url if base_url else "urn:observatory:feed" + self_url)
    _add(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    _add(feed, "link", rel="alternate", href=base_url + "/changes", type="text/html")
    updated = rows[0].detected_at if rows else datetime(2000, 1, 1, tzinfo=UTC)
    _add(feed, "updated", iso(updated))
    author = _add(feed, "author")
    _add(author, "name", "Observatory")
    _add(feed, "generator", "Observatory")
    for row in rows:
        entry = _add(feed, "entry")
        page = f"{base_url}/changes/{row.id}"
        _add(entry, "id", page if base_url else f"urn:observatory:change:{row.id}")
        _add(entry, "title", f"{row.source_id}: {row.title or row.location or row.kind}")
        _add(entry, "updated", iso(row.detected_at))
        _add(entry, "link", rel="alternate", href=page, type="text/html")
        watched = safe_url(row.url)
        if watched:
            _add(entry, "link", rel="related", href=watched)
        for dimension in row.dimensions:
            _add(entry, "category", term=dimension, label=dimensions.label(dimension))
        _add(entry, "content", entry_html(row), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


@router.get("/feed.atom")
def atom_feed(request: Request) -> Response:
    params = filters.from_query(request.query_params)
    result = changes.page_of_changes(
        request.app.state.engine,
        params.to_filter(),
        limit=FEED_SIZE,
        fts=request.app.state.fts,
    )
    # Links and ids come from settings.public_url, never from the request's Host header (which
    # a client chooses); without public_url, links are relative to the feed and ids are URNs.
    base = (request.app.state.config.settings.public_url or "").rstrip("/")
    title = "Observatory: changes" + (
        " (" + ", ".join(f"{k}={v}" for k, v in params.pairs()) + ")" if params.active else ""
    )
    body = build_feed(
        result.rows, base_url=base, self_url=base + "/feed.atom" + params.query(), title=title
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")
