"""The ``feed`` extractor: RSS or Atom -> one ``Item`` per entry, keyed by guid/id or link.

The bytes are first parsed by defusedxml with entity declarations and external references
forbidden, so an entity-expansion attack ("billion laughs") is refused before feedparser sees it;
feedparser then reads the same bytes from memory (never a URL or a file name). Summaries are
stripped of HTML.
"""

from __future__ import annotations

import io
import re
import time
import xml.etree.ElementTree as ET
from typing import Any

import feedparser
from bs4 import BeautifulSoup
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from observatory.document import Document, Item
from observatory.errors import ExtractError
from observatory.extract._base import ExtractOptions, absolute_http, clean, require_body

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)


def refuse_entities(body: bytes) -> None:
    """Raise ExtractError if the XML declares entities or references external ones."""
    if _ENTITY_DECL.search(body):
        raise ExtractError("feed refused: it declares XML entities (possible entity expansion)")
    try:
        fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ExtractError(f"feed refused: {type(exc).__name__}") from None
    except (ET.ParseError, ValueError):
        pass  # not well-formed, or an encoding expat lacks: feedparser may still read it


def strip_html(value: str) -> str:
    if "<" not in value and "&" not in value:
        return clean(value)
    return clean(BeautifulSoup(value, "html.parser").get_text(" "))


def _date(entry: Any) -> str | None:
    for key in ("published", "updated", "created"):
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed)
        if entry.get(key):
            return clean(str(entry.get(key)))
    return None


def item_of(entry: Any, base: str) -> Item | None:
    link = absolute_http(base, str(entry.get("link") or "")) or ""
    title = strip_html(str(entry.get("title") or ""))
    raw = entry.get("summary") or ""
    if not raw and entry.get("content"):
        raw = entry["content"][0].get("value", "")
    summary = strip_html(str(raw))
    key = clean(str(entry.get("id") or "")) or link or title
    if not key:
        return None
    return Item(key=key, title=title or link, link=link, date=_date(entry), summary=summary)


def extract_feed(body: bytes, opts: ExtractOptions) -> Document:
    require_body(body, "feed")
    refuse_entities(body)
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-location": opts.url, "content-type": opts.content_type or ""},
        resolve_relative_uris=False,
        sanitize_html=True,
    )
    # bozo alone is not fatal (a wrong Content-Type sets it); no entries and no feed version is.
    if not parsed.entries and parsed.get("bozo") and not parsed.get("version"):
        reason = parsed.get("bozo_exception")
        raise ExtractError(f"not a readable feed: {reason}")
    items: list[Item] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        item = item_of(entry, opts.url)
        if item is not None and item.key not in seen:
            seen.add(item.key)
            items.append(item)
    return Document(
        items=tuple(items),
        title=strip_html(str(parsed.feed.get("title") or "")),
        meta={"extractor": "feed", "version": parsed.get("version", "")},
    )
