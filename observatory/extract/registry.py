"""The registry of extractors, and ``extract()``: which one reads these bytes, and reading them."""

from __future__ import annotations

from collections.abc import Sequence

from observatory.document import Document
from observatory.errors import ExtractError
from observatory.extract._base import ExtractOptions, Extractor
from observatory.extract.eurlex import extract_eurlex, looks_like_eurlex
from observatory.extract.feed import extract_feed
from observatory.extract.html import extract_page
from observatory.extract.listing import extract_listing
from observatory.extract.pdf import extract_pdf
from observatory.extract.text import extract_text

EXTRACTORS: dict[str, Extractor] = {
    "page": extract_page,
    "eurlex": extract_eurlex,
    "listing": extract_listing,
    "feed": extract_feed,
    "pdf": extract_pdf,
    "text": extract_text,
}

_TEXT_TYPES = ("text/plain", "text/markdown", "text/x-markdown")


def choose(kind: str, body: bytes, content_type: str = "") -> str:
    """The name of the extractor for a source ``kind`` and what was fetched."""
    if kind != "page":
        return kind
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in _TEXT_TYPES:
        return "text"
    if looks_like_eurlex(body):
        return "eurlex"
    return "page"


def extract(
    kind: str,
    body: bytes,
    *,
    url: str,
    content_type: str = "",
    select: str | None = None,
    ignore: Sequence[str] = (),
    items: str | None = None,
    pdf_max_pages: int = 400,
    pdf_timeout: float = 60.0,
) -> Document:
    """Turn fetched bytes into a Document; raises ``ExtractError`` (an unknown kind included)."""
    name = choose(kind, body, content_type)
    extractor = EXTRACTORS.get(name)
    if extractor is None:
        raise ExtractError(f"unknown kind {kind!r} (known: {', '.join(EXTRACTORS)})")
    options = ExtractOptions(
        url=url,
        content_type=content_type,
        select=select,
        ignore=tuple(ignore),
        items=items,
        pdf_max_pages=pdf_max_pages,
        pdf_timeout=pdf_timeout,
    )
    try:
        return extractor(body, options)
    except (ValueError, LookupError, UnicodeError, RecursionError, OverflowError) as exc:
        # a parser that gave up on hostile or broken input: an error on the source, stated
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ExtractError(f"the {name} could not be read ({first})") from None
