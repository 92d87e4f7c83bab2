"""The registry of extractors, and ``extract()``: which one reads these bytes, and reading them."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence

from observatory.document import Document
from observatory.errors import ExtractError
from observatory.extract._base import ExtractOptions, Extractor
from observatory.extract.eurlex import looks_like_eurlex


class _Registry(Mapping[str, Extractor]):
    """Extractor name -> function, each module imported when first used: a poll that finds
    nothing new, or a run without PDFs or feeds, never loads pypdf, feedparser or trafilatura."""

    def __init__(self, places: dict[str, str]) -> None:
        self._places = places  # name -> "module:function"

    def __getitem__(self, name: str) -> Extractor:
        module, function = self._places[name].split(":")
        extractor: Extractor = getattr(importlib.import_module(module), function)
        return extractor

    def __iter__(self) -> Iterator[str]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._places)


EXTRACTORS: Mapping[str, Extractor] = _Registry(
    {
        "page": "observatory.extract.html:extract_page",
        "eurlex": "observatory.extract.eurlex:extract_eurlex",
        "listing": "observatory.extract.listing:extract_listing",
        "feed": "observatory.extract.feed:extract_feed",
        "pdf": "observatory.extract.pdf:extract_pdf",
        "text": "observatory.extract.text:extract_text",
    }
)
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
    if name not in EXTRACTORS:
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
    extractor = EXTRACTORS[name]
    try:
        return extractor(body, options)
    except (ValueError, LookupError, UnicodeError, RecursionError, OverflowError) as exc:
        # a parser that gave up on hostile or broken input: an error on the source, stated
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ExtractError(f"the {name} could not be read ({first})") from None
