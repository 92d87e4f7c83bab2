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

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from observatory.document import Block, Document
from observatory.errors import ExtractError
from observatory.extract._base import (
    ExtractOptions,
    base_url,
    clean,
    document_links,
    meaningful_id,
    page_title,
    parse_html,
    remove_noise,
    select_region,
)

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
_SKIP_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)


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

    def heading(self, tag: Tag, level: int, anchor: str | None) -> None:
        self.flush()
        if level == 1 and self.skip_h1:
            return
        text = clean(tag.get_text(" "))
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        own = meaningful_id(tag.get("id")) or anchor
        self.headings.append((level, text, own))

    def row(self, tr: Tag, anchor: str | None) -> None:
        self.flush()
        cells = [clean(c.get_text(" ")) for c in tr.find_all(["td", "th"], recursive=False)]
        cells = [c for c in cells if c]
        if cells:
            self.emit(" | ".join(cells), meaningful_id(tr.get("id")) or anchor)

    def walk(self, node: Tag, anchor: str | None) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, _SKIP_STRINGS):
                    if not self.buffer:
                        self.buffer_anchor = anchor
                    self.buffer.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            own = meaningful_id(child.get("id")) or anchor
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


def blocks_of(region: Tag) -> list[Block]:
    """The ordered, located blocks of an already cleaned region."""
    skip_h1 = region.find("h2") is not None
    walker = _Walker(skip_h1=skip_h1)
    walker.walk(region, None)
    walker.flush()
    return walker.blocks


def prepare(body: bytes, opts: ExtractOptions) -> tuple[BeautifulSoup, Tag, str]:
    """Parse, pick the region, remove noise: (soup, region, base URL)."""
    soup = parse_html(body, opts.content_type)
    region = select_region(soup, opts.select)
    remove_noise(region, opts.ignore)
    return soup, region, base_url(soup, opts.url)


def extract_page(body: bytes, opts: ExtractOptions) -> Document:
    soup, region, base = prepare(body, opts)
    blocks = blocks_of(region)
    if not blocks:
        where = f"select {opts.select!r}" if opts.select else "the page"
        raise ExtractError(f"{where} has no text")
    return Document(
        blocks=tuple(blocks),
        links=document_links(region, base),
        title=page_title(soup),
        meta={"extractor": "page"},
    )
