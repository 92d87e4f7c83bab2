"""The ``page`` extractor: the watched region of an HTML page -> ordered, located text blocks.

Blocks are paragraphs, list items, table rows (cells joined with `` | ``) and any other run of
text between block-level elements. Headings are not blocks: they set the ``location`` of the
blocks under them as a heading path (``Workplan > Dimensions``). When the region has ``h2``
headings, its ``h1`` is taken as the page title and left out of the path, so locations stay
short. A block's ``anchor`` is the nearest meaningful element id (the block's own, an ancestor's
inside the region, or the current heading's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from observatory.document import Block, Document
from observatory.errors import ExtractError
from observatory.extract import _tree
from observatory.extract._base import ExtractOptions, clean, meaningful_id
from observatory.extract._tree import El

_HEADING = re.compile(r"^h([1-6])$")
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "header",
        "hgroup",
        "hr",
        "li",
        "main",
        "menu",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "ul",
    ]
)


@dataclass
class _Walker:
    skip_h1: bool
    blocks: list[Block] = field(default_factory=list)
    headings: list[tuple[int, str, str | None]] = field(default_factory=list)
    buffer: list[str] = field(default_factory=list)
    buffer_anchor: str | None = None

    @property
    def location(self) -> str:
        return " > ".join(text for _, text, _ in self.headings if text)

    def heading_anchor(self) -> str | None:
        for _, _, anchor in reversed(self.headings):
            if anchor:
                return anchor
        return None

    def emit(self, text: str, anchor: str | None) -> None:
        text = clean(text)
        if text:
            self.blocks.append(Block(text, self.location, anchor or self.heading_anchor()))

    def flush(self) -> None:
        if self.buffer:
            self.emit("".join(self.buffer), self.buffer_anchor)
        self.buffer = []
        self.buffer_anchor = None

    def heading(self, tag: El, level: int, anchor: str | None) -> None:
        self.flush()
        if level == 1 and self.skip_h1:
            return
        text = clean(_tree.text_of(tag, " "))
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        own = meaningful_id(tag.get("id")) or anchor
        self.headings.append((level, text, own))

    def row(self, tr: El, anchor: str | None) -> None:
        self.flush()
        cells = [clean(_tree.text_of(c, " ")) for c in tr if c.tag in ("td", "th")]
        cells = [c for c in cells if c]
        if cells:
            self.emit(" | ".join(cells), meaningful_id(tr.get("id")) or anchor)

    def string(self, text: str, anchor: str | None) -> None:
        if not self.buffer:
            self.buffer_anchor = anchor
        self.buffer.append(text)

    def walk(self, node: El, anchor: str | None) -> None:
        if node.text:
            self.string(node.text, anchor)
        for child in node:
            name = child.tag
            if isinstance(name, str):
                self.element(child, name, anchor)
            if child.tail:
                self.string(child.tail, anchor)

    def element(self, child: El, name: str, anchor: str | None) -> None:
        tag_id = child.get("id")
        own = (meaningful_id(tag_id) or anchor) if tag_id else anchor
        match = _HEADING.match(name)
        if match:
            self.heading(child, int(match.group(1)), anchor)
        elif name == "tr":
            self.row(child, own)
        elif name == "br":
            self.buffer.append(" ")
        elif name in BLOCK_TAGS:
            self.flush()
            self.walk(child, own)
            self.flush()
        else:
            if not self.buffer:
                self.buffer_anchor = own
            self.walk(child, own)


def blocks_of(region: El) -> list[Block]:
    """The ordered, located blocks of an already cleaned region."""
    skip_h1 = next(region.iterdescendants("h2"), None) is not None
    walker = _Walker(skip_h1=skip_h1)
    walker.walk(region, None)
    walker.flush()
    return walker.blocks


@dataclass(frozen=True)
class Page:
    """A parsed page: its root, the watched region (noise removed) and the base URL."""

    root: El
    region: El
    base: str

    def document(self, extractor: str, **parts: Any) -> Document:
        """A Document of *parts* (blocks or items) with the region's links and the page title."""
        links = _tree.document_links(self.region, self.base)
        title = _tree.page_title(self.root)
        return Document(links=links, title=title, meta={"extractor": extractor}, **parts)


def prepare(body: bytes, opts: ExtractOptions) -> Page:
    """Parse, pick the region, remove noise."""
    root = _tree.parse_html(body, opts.content_type)
    region = _tree.select_region(root, opts.select)
    _tree.remove_noise(region, opts.ignore)
    return Page(root, region, _tree.base_url(root, opts.url))


def extract_page(body: bytes, opts: ExtractOptions) -> Document:
    page = prepare(body, opts)
    blocks = blocks_of(page.region)
    if not blocks:
        where = f"select {opts.select!r}" if opts.select else "the page"
        raise ExtractError(f"{where} has no text")
    return page.document("page", blocks=tuple(blocks))
