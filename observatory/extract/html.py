"""The ``page`` extractor: the watched region of an HTML page -> ordered, located text blocks.

Blocks are paragraphs, list items, table rows (cells joined with `` | ``) and any other run of
text between block-level elements. Headings are not blocks: they set the ``location`` of the
blocks under them as a heading path (``Workplan > Dimensions``); the diff reports a renamed
heading from those paths. When the region has ``h2`` headings, its ``h1`` is taken as the page
title and left out of the path, so locations stay short. Before any heading, a block is located
by its landmark (an ``aria-label``, "Header", "Footer", "Sidebar"), else at "Page": a location is
for people and is never an element id. A block's ``anchor`` is the nearest meaningful element id
(the block's own, an ancestor's inside the region, or the current heading's); generated ids
(``dnn_ctr668_…``, ``block-system-main``, ``flexslider-1``) are never anchors.

The region is the ``select`` match; without ``select``, the elements that hold the page's main
content (``main_content``). A stamp label alone in its element ("Last updated:") is joined to
the stamp in the next one, so that the stamp is masked as noise like an inline one.
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
from observatory.extract.main_content import main_regions
from observatory.noise import is_stamp_label

PAGE = "Page"  # the location of a block under no heading and in no named landmark
_LANDMARKS = {"header": "Header", "footer": "Footer", "aside": "Sidebar"}
_LANDMARK_ROLES = {"banner": "Header", "contentinfo": "Footer", "complementary": "Sidebar"}
_LABELLED = frozenset({"section", "aside", "nav", "header", "footer", "form", "div"})
_SCOPING = ("article", "aside", "main", "nav", "section")
_STAMP_VALUE_MAX = 60  # characters: a date and a time, with room for a time zone

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
    landmarks: list[str] = field(default_factory=list)

    @property
    def location(self) -> str:
        path = " > ".join(text for _, text, _ in self.headings if text)
        return path or (self.landmarks[-1] if self.landmarks else PAGE)

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
            label = landmark_label(child)
            if label:
                self.landmarks.append(label)
            outer = self.headings
            if is_site_landmark(child):  # the page's headings do not reach into its footer
                self.headings = []
            self.walk(child, own)
            self.flush()
            self.headings = outer
            if label:
                self.landmarks.pop()
        else:
            if not self.buffer:
                self.buffer_anchor = own
            self.walk(child, own)


def landmark_label(el: El) -> str | None:
    """What a reader calls this part of a page: its ``aria-label``, or its landmark's name."""
    label = el.get("aria-label")
    if label and el.tag in _LABELLED and clean(label):
        return clean(label)
    role = (el.get("role") or "").strip().lower()
    return _LANDMARK_ROLES.get(role) or _LANDMARKS.get(str(el.tag))


def is_site_landmark(el: El) -> bool:
    """The page's own header, footer or sidebar (a header or footer inside an article or section
    belongs to it)."""
    role = (el.get("role") or "").strip().lower()
    if role in _LANDMARK_ROLES or el.tag == "aside":
        return True
    return el.tag in ("header", "footer") and next(el.iterancestors(*_SCOPING), None) is None


def blocks_of(*regions: El) -> list[Block]:
    """The ordered, located blocks of already cleaned regions (in document order)."""
    skip_h1 = any(next(r.iterdescendants("h2"), None) is not None for r in regions)
    walker = _Walker(skip_h1=skip_h1)
    for region in regions:
        label = landmark_label(region)
        walker.landmarks = [label] if label else []
        walker.walk(region, None)
        walker.flush()
    return join_stamps(walker.blocks)


def join_stamps(blocks: list[Block]) -> list[Block]:
    """A block that is only a stamp label ("Last Updated:") joined to the short block after it
    (the stamp, "10/05/2017 - 11:32"): one block, so the stamp is masked like an inline one."""
    out: list[Block] = []
    k = 0
    while k < len(blocks):
        block = blocks[k]
        after = blocks[k + 1] if k + 1 < len(blocks) else None
        if (
            after is not None
            and len(after.text) <= _STAMP_VALUE_MAX
            and after.location == block.location
            and is_stamp_label(block.text)
        ):
            out.append(Block(f"{block.text} {after.text}", block.location, block.anchor))
            k += 2
        else:
            out.append(block)
            k += 1
    return out


@dataclass(frozen=True)
class Page:
    """A parsed page: its root, the watched regions (noise removed) and the base URL."""

    root: El
    regions: tuple[El, ...]
    base: str

    @property
    def region(self) -> El:
        return self.regions[0]

    def document(self, extractor: str, **parts: Any) -> Document:
        """A Document of *parts* (blocks or items) with the regions' links and the page title."""
        links = tuple(
            dict.fromkeys(link for r in self.regions for link in _tree.document_links(r, self.base))
        )
        title = _tree.page_title(self.root)
        return Document(links=links, title=title, meta={"extractor": extractor}, **parts)


def prepare(body: bytes, opts: ExtractOptions, *, find_main: bool = False) -> Page:
    """Parse, pick the region (with *find_main* and no ``select``: the main content), remove
    noise."""
    root = _tree.parse_html(body, opts.content_type)
    if find_main and not opts.select:
        regions = tuple(main_regions(root))
    else:
        regions = (_tree.select_region(root, opts.select),)
    for region in regions:
        _tree.remove_noise(region, opts.ignore)
    return Page(root, regions, _tree.base_url(root, opts.url))


def extract_page(body: bytes, opts: ExtractOptions) -> Document:
    page = prepare(body, opts, find_main=True)
    blocks = blocks_of(*page.regions)
    if not blocks:
        where = f"select {opts.select!r}" if opts.select else "the page"
        raise ExtractError(f"{where} has no text")
    return page.document("page", blocks=tuple(blocks))
