"""The ``listing`` extractor: a page of news or documents -> one ``Item`` per ``items`` match.

For each match: the title is its first heading (else its first link's text, else its first
child's text), the link the
absolute href of its first link, the date a ``<time datetime>`` (else date-looking text), the
summary the rest of its text. The key is the link, or the title when there is no link.
"""

from __future__ import annotations

from observatory.document import Document, Item
from observatory.errors import ExtractError
from observatory.extract import _tree
from observatory.extract._base import DATE, ExtractOptions, absolute_http, clean
from observatory.extract._tree import El
from observatory.extract.html import prepare

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _date(item: El, text: str) -> tuple[str | None, str]:
    """(date, the text it was read from) of an item."""
    time_tag = next(item.iterdescendants("time"), None)
    if time_tag is not None:
        shown = clean(_tree.text_of(time_tag, " "))
        value = time_tag.get("datetime")
        return (value.strip() if value else shown) or None, shown
    match = DATE.search(text)
    return (match.group(1), match.group(1)) if match else (None, "")


def _remove_once(text: str, part: str) -> str:
    if not part:
        return text
    return clean(text.replace(part, " ", 1))


def item_of(tag: El, base: str) -> Item | None:
    text = clean(_tree.text_of(tag, " "))
    if not text:
        return None
    heading = next(tag.iterdescendants(*_HEADINGS), None)
    first_link = next((a for a in tag.iterdescendants("a") if a.get("href") is not None), None)
    if heading is not None and clean(_tree.text_of(heading, " ")):
        title = clean(_tree.text_of(heading, " "))
    elif first_link is not None and clean(_tree.text_of(first_link, " ")):
        title = clean(_tree.text_of(first_link, " "))
    else:
        parts = (clean(_tree.text_of(c, " ")) for c in _tree.children(tag))
        title = next((p for p in parts if p and not DATE.fullmatch(p)), text)[:200]
    link = ""
    if first_link is not None:
        link = absolute_http(base, first_link.get("href", "")) or ""
    date, date_text = _date(tag, text)
    summary = _remove_once(_remove_once(text, title), date_text)
    return Item(key=link or title, title=title, link=link, date=date, summary=summary)


def extract_listing(body: bytes, opts: ExtractOptions) -> Document:
    if not opts.items:
        raise ExtractError("a listing needs an 'items' selector (CSS of one item)")
    page = prepare(body, opts)
    matches = _tree.select_in(page.region, opts.items)
    if not matches:
        raise ExtractError(f"items {opts.items!r} matched nothing")
    items: list[Item] = []
    seen: set[str] = set()
    for match in matches:
        item = item_of(match, page.base)
        if item is not None and item.key not in seen:
            seen.add(item.key)
            items.append(item)
    if not items:
        raise ExtractError(f"items {opts.items!r} have no text")
    return page.document("listing", items=tuple(items))
