"""The ``listing`` extractor: a page of news or documents -> one ``Item`` per ``items`` match.

For each match: the title is its first heading (else its first link's text, else its first
child's text), the link the
absolute href of its first link, the date a ``<time datetime>`` (else date-looking text), the
summary the rest of its text. The key is the link, or the title when there is no link.
"""

from __future__ import annotations

import re

from bs4 import Tag

from observatory.document import Document, Item
from observatory.errors import ExtractError
from observatory.extract._base import (
    ExtractOptions,
    _select,
    absolute_http,
    clean,
    document_links,
    page_title,
)
from observatory.extract.html import prepare

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DATE = re.compile(
    rf"\b(\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}})?Z?)?"
    rf"|\d{{1,2}}[./]\d{{1,2}}[./]\d{{4}}"
    rf"|\d{{1,2}}\s+(?:{_MONTHS})\.?\s+\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}})\b",
    re.I,
)


def _date(item: Tag, text: str) -> tuple[str | None, str]:
    """(date, the text it was read from) of an item."""
    time_tag = item.find("time")
    if isinstance(time_tag, Tag):
        shown = clean(time_tag.get_text(" "))
        value = time_tag.get("datetime")
        return (str(value).strip() if value else shown) or None, shown
    match = DATE.search(text)
    return (match.group(1), match.group(1)) if match else (None, "")


def _remove_once(text: str, part: str) -> str:
    if not part:
        return text
    return clean(text.replace(part, " ", 1))


def item_of(tag: Tag, base: str) -> Item | None:
    text = clean(tag.get_text(" "))
    if not text:
        return None
    heading = tag.find(["h1", "h2", "h3", "h4", "h5", "h6"])
    first_link = tag.find("a", href=True)
    if isinstance(heading, Tag) and clean(heading.get_text(" ")):
        title = clean(heading.get_text(" "))
    elif isinstance(first_link, Tag) and clean(first_link.get_text(" ")):
        title = clean(first_link.get_text(" "))
    else:
        parts = (clean(c.get_text(" ")) for c in tag.find_all(True, recursive=False))
        title = next((p for p in parts if p and not DATE.fullmatch(p)), text)[:200]
    link = ""
    if isinstance(first_link, Tag):
        link = absolute_http(base, str(first_link["href"])) or ""
    date, date_text = _date(tag, text)
    summary = _remove_once(_remove_once(text, title), date_text)
    return Item(key=link or title, title=title, link=link, date=date, summary=summary)


def extract_listing(body: bytes, opts: ExtractOptions) -> Document:
    if not opts.items:
        raise ExtractError("a listing needs an 'items' selector (CSS of one item)")
    soup, region, base = prepare(body, opts)
    matches = _select(region, opts.items, "items")
    if not matches:
        raise ExtractError(f"items {opts.items!r} matched nothing")
    items: list[Item] = []
    seen: set[str] = set()
    for match in matches:
        item = item_of(match, base)
        if item is not None and item.key not in seen:
            seen.add(item.key)
            items.append(item)
    if not items:
        raise ExtractError(f"items {opts.items!r} have no text")
    return Document(
        items=tuple(items),
        links=document_links(region, base),
        title=page_title(soup),
        meta={"extractor": "listing"},
    )
