"""Test oracle: the BeautifulSoup implementation of the page, EUR-Lex and listing extractors.

This is the code the lxml path (``_tree``, ``html``, ``eurlex``, ``listing``) replaced, kept
as the reference that ``test_tree.py`` and ``bench/extract_bench.py`` compare the runtime path
with, Document for Document, on an explicit region (``select``; ``<body>`` without one). It
follows the rules the runtime adopted since (form controls dropped but not forms, locations
from landmarks or "Page", stamp labels joined to their stamp); the runtime's whole-page mode
(main content found by a library) has no counterpart here. It is never on the runtime path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from observatory.document import Block, Document, Item
from observatory.errors import ExtractError
from observatory.extract._base import (
    DATE,
    DOCUMENT_SUFFIXES,
    FORM_CONTROLS,
    ExtractOptions,
    absolute_http,
    charset_of,
    clean,
    meaningful_id,
    require_body,
)
from observatory.extract.html import join_stamps

# Elements that never carry watched text.
NOISE_TAGS = frozenset(
    {"script", "style", "noscript", "template", "iframe", "svg", "nav", "audio", "video"}
    | {"select", "textarea", "datalist"}
)
_HEADED = ("h1", "h2", "h3", "h4", "h5", "h6", "summary", "dt")
_LANDMARKS = {"header": "Header", "footer": "Footer", "aside": "Sidebar"}
_ROLES = {"banner": "Header", "contentinfo": "Footer", "complementary": "Sidebar"}
_LABELLED = frozenset({"section", "aside", "nav", "header", "footer", "form", "div"})
_BANNER = re.compile(r"cookie|consent|gdpr", re.I)
_KEEP = frozenset({"html", "body", "main"})


def parse_html(body: bytes, content_type: str = "") -> BeautifulSoup:
    require_body(body)
    return BeautifulSoup(body, "lxml", from_encoding=charset_of(content_type))


def base_url(soup: BeautifulSoup, url: str) -> str:
    base = soup.find("base", href=True)
    if isinstance(base, Tag):
        return urljoin(url, str(base["href"]))
    return url


def _select(root: Tag, selector: str, what: str) -> list[Tag]:
    try:
        return list(root.select(selector))
    except Exception as exc:  # soupsieve raises SelectorSyntaxError and friends
        first_line = str(exc).splitlines()[0]
        raise ExtractError(f"invalid CSS selector in {what}: {selector!r} ({first_line})") from None


def select_region(soup: BeautifulSoup, select: str | None) -> Tag:
    """The watched region: the first match of ``select``, else ``<body>`` (else the document)."""
    if select:
        found = _select(soup, select, "select")
        if not found:
            raise ExtractError(f"select {select!r} matched nothing")
        return found[0]
    body = soup.body
    return body if body is not None else soup


def _is_banner(tag: Tag) -> bool:
    classes: list[str] = list(tag.get("class") or [])
    label = " ".join(
        [str(tag.get("id") or ""), " ".join(classes), str(tag.get("aria-label") or "")]
    )
    return bool(label.strip()) and bool(_BANNER.search(label))


def is_noise(tag: Tag) -> bool:
    """Scripts and the like, hidden inputs and elements, cookie/consent banners."""
    name = tag.name
    if name in NOISE_TAGS:
        return True
    attrs = tag.attrs
    if not attrs:
        return False
    if name == "input" and str(attrs.get("type", "")).lower() == "hidden":
        return True
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    return name not in _KEEP and _is_banner(tag)


def is_form_control(tag: Tag) -> bool:
    if tag.name not in FORM_CONTROLS or tag.find_parent("form") is None:
        return False
    return tag.name != "button" or tag.find_parent(_HEADED) is None


def site_landmark(tag: Tag) -> bool:
    role = str(tag.get("role") or "").strip().lower()
    if role in _ROLES or tag.name == "aside":
        return True
    scoped = tag.find_parent(["article", "aside", "main", "nav", "section"]) is not None
    return tag.name in ("header", "footer") and not scoped


def landmark(tag: Tag) -> str | None:
    label = clean(str(tag.get("aria-label") or ""))
    if label and tag.name in _LABELLED:
        return label
    role = str(tag.get("role") or "").strip().lower()
    return _ROLES.get(role) or _LANDMARKS.get(tag.name)


def remove_noise(region: Tag, ignore: Sequence[str] = ()) -> None:
    """Drop, inside ``region`` (never the region itself), everything that is not watched text.

    One pass in Python rather than a soupsieve selector: on a 1.3 MB page it is ten times faster.
    """
    doomed = [tag for tag in region.find_all(True) if is_noise(tag) or is_form_control(tag)]
    for selector in ignore:
        doomed.extend(_select(region, selector, "ignore"))
    for tag in doomed:
        if tag is not region and not tag.decomposed:
            tag.decompose()


def document_links(region: Tag, base: str) -> tuple[str, ...]:
    """Absolute http(s) links to documents (.pdf, .docx, .xlsx) in the region, in order, once."""
    seen: dict[str, None] = {}
    for anchor in region.find_all("a", href=True):
        link = absolute_http(base, str(anchor["href"]))
        if link and urlsplit(link).path.lower().endswith(DOCUMENT_SUFFIXES):
            seen.setdefault(link, None)
    return tuple(seen)


def page_title(soup: BeautifulSoup) -> str:
    if soup.title is not None:
        title = clean(soup.title.get_text())
        if title:
            return title
    h1 = soup.find("h1")
    return clean(h1.get_text(" ")) if isinstance(h1, Tag) else ""


# --- page --------------------------------------------------------------------------------

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
class _PageWalker:
    skip_h1: bool
    blocks: list[Block] = field(default_factory=list)
    headings: list[tuple[int, str, str | None]] = field(default_factory=list)
    buffer: list[str] = field(default_factory=list)
    buffer_anchor: str | None = None
    landmarks: list[str] = field(default_factory=list)

    @property
    def location(self) -> str:
        path = " > ".join(text for _, text, _ in self.headings if text)
        return path or (self.landmarks[-1] if self.landmarks else "Page")

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
                label = landmark(child)
                self.landmarks += [label] if label else []
                outer = self.headings
                if site_landmark(child):
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


def blocks_of(region: Tag) -> list[Block]:
    """The ordered, located blocks of an already cleaned region."""
    skip_h1 = region.find("h2") is not None
    walker = _PageWalker(skip_h1=skip_h1)
    label = landmark(region) if isinstance(region, Tag) and region.name else None
    walker.landmarks = [label] if label else []
    walker.walk(region, None)
    walker.flush()
    return join_stamps(walker.blocks)


def prepare(body: bytes, opts: ExtractOptions) -> tuple[BeautifulSoup, Tag, str]:
    """Parse, pick the region, remove noise: (soup, region, base URL)."""
    soup = parse_html(body, opts.content_type)
    region = select_region(soup, opts.select)
    remove_noise(region, opts.ignore)
    return soup, region, base_url(soup, opts.url)


def extract_page_bs4(body: bytes, opts: ExtractOptions) -> Document:
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


# --- eurlex --------------------------------------------------------------------------------

_CHROME_IDS = ("TOC", "volume-booster-visusalizer")  # table of contents, browser-extension debris
_EXTENSION_TAGS = ["grammarly-desktop-integration"]
_POINT_LABEL = re.compile(r"^(\(\w{1,6}\)|\d{1,3}[a-z]{0,2}\.|[—–-]|•)$")
_PARAGRAPH_ID = re.compile(r"^(\d{3})\.(\d{3})([a-z]*)$")
_UNIT_ID = re.compile(r"^(rct|art|anx|cpt|cit|pbl|fnp|tit|enc)_([^.]+)(?:\.(sct|tit)_(\w+))?$")
_ANNEX_LABEL = re.compile(r"^ANNEX\b", re.I)
_LABEL_CLASSES = frozenset({"oj-ti-art", "oj-ti-section-1"})


@dataclass(frozen=True, slots=True)
class _Ctx:
    path: tuple[str, ...] = ()
    anchor: str | None = None
    numbered: bool = True  # do point labels add a level? (not the "(12)" of recital 12)
    annex: bool = False

    @property
    def location(self) -> str:
        return " > ".join(self.path)


def _unit_context(tag_id: str, ctx: _Ctx) -> _Ctx:
    match = _UNIT_ID.match(tag_id)
    if match:
        kind, num, sub, sub_num = match.groups()
        if sub == "tit":  # the title wrapper of the unit we are already in
            return ctx
        if kind == "rct":
            return _Ctx((f"Recital {num}",), tag_id, numbered=False)
        if kind == "art":
            return _Ctx((f"Article {num}",), tag_id)
        if kind == "anx":
            return _Ctx((f"Annex {num}",), tag_id, annex=True)
        if kind == "cpt":
            path = (f"Chapter {num}",) + ((f"Section {sub_num}",) if sub == "sct" else ())
            return _Ctx(path, tag_id)
        if kind in ("cit", "pbl"):
            return _Ctx(("Preamble",), tag_id)
        if kind == "fnp":
            return _Ctx(("Signature",), tag_id)
        return _Ctx((), tag_id)
    paragraph = _PARAGRAPH_ID.match(tag_id)
    if paragraph:
        return _Ctx((*ctx.path, f"{int(paragraph.group(2))}{paragraph.group(3)}"), tag_id)
    return ctx


def _act_rows(table: Tag) -> list[Tag]:
    rows: list[Tag] = []
    for child in table.find_all(True, recursive=False):
        if child.name == "tr":
            rows.append(child)
        elif child.name in ("thead", "tbody", "tfoot"):
            rows.extend(child.find_all("tr", recursive=False))
    return rows


def _act_text(tag: Tag) -> str:
    for br in tag.find_all("br"):
        br.replace_with(" ")
    return clean(tag.get_text())


@dataclass
class _ActWalker:
    blocks: list[Block] = field(default_factory=list)
    label: str = ""

    def emit(self, text: str, ctx: _Ctx, anchor: str | None = None) -> None:
        if self.label:
            text, self.label = f"{self.label} {text}".strip(), ""
        if text:
            self.blocks.append(Block(text, ctx.location, anchor or ctx.anchor))

    def container(self, node: Tag, ctx: _Ctx) -> None:
        for child in node.children:
            if isinstance(child, Tag):
                self.element(child, ctx)
            elif isinstance(child, NavigableString) and type(child) is NavigableString:
                stray = clean(str(child))
                if stray:
                    self.emit(stray, ctx)
        if self.label:  # a point label with nothing after it
            self.emit("", ctx)

    def element(self, tag: Tag, ctx: _Ctx) -> None:
        name = tag.name
        if name == "p":
            self.paragraph(tag, ctx)
        elif name == "table":
            self.table(tag, ctx)
        elif name in ("hr", "img", "col", "colgroup"):
            return
        else:
            tag_id = tag.get("id")
            self.container(tag, _unit_context(tag_id, ctx) if isinstance(tag_id, str) else ctx)

    def paragraph(self, p: Tag, ctx: _Ctx) -> None:
        classes = set(p.get("class") or ())
        if classes & _LABEL_CLASSES:
            return
        text = _act_text(p)
        if "oj-doc-ti" in classes and ctx.annex and _ANNEX_LABEL.match(text):
            return
        if "oj-note" in classes:
            note = p.find("a", id=True)
            anchor = str(note["id"]) if isinstance(note, Tag) else None
            self.emit(text, ctx if ctx.path else _Ctx(("Footnotes",)), anchor)
            return
        self.emit(text, ctx)

    def table(self, table: Tag, ctx: _Ctx) -> None:
        for row in _act_rows(table):
            cells = row.find_all(["td", "th"], recursive=False)
            label = _act_text(cells[0]) if len(cells) == 2 else ""
            if label and _POINT_LABEL.match(label):
                level = label.rstrip(".") if label[0].isdigit() else label
                deeper = ctx.numbered and level not in ("—", "–", "-", "•")
                path = (*ctx.path, level) if deeper else ctx.path
                self.label = label
                self.container(cells[1], _Ctx(path, ctx.anchor, True, ctx.annex))
                continue
            texts = [t for t in (_act_text(c) for c in cells) if t]
            if texts:
                self.emit(" | ".join(texts), ctx)


def extract_eurlex_bs4(body: bytes, opts: ExtractOptions) -> Document:
    soup = parse_html(body, opts.content_type)
    for chrome in [soup.find(id=i) for i in _CHROME_IDS] + soup.find_all(_EXTENSION_TAGS):
        if isinstance(chrome, Tag) and not chrome.decomposed:
            chrome.decompose()
    select = opts.select or ("#docHtml" if soup.find(id="docHtml") else None)
    region = select_region(soup, select)
    remove_noise(region, opts.ignore)
    walker = _ActWalker()
    walker.container(region, _Ctx())
    if not walker.blocks:
        raise ExtractError(f"select {select!r} has no text" if select else "the act has no text")
    main_title = soup.select_one(".eli-main-title")
    title = _act_text(main_title) if main_title is not None else page_title(soup)
    return Document(
        blocks=tuple(walker.blocks),
        links=document_links(region, base_url(soup, opts.url)),
        title=title,
        meta={"extractor": "eurlex"},
    )


# --- listing --------------------------------------------------------------------------------


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


def listing_item_of(tag: Tag, base: str) -> Item | None:
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


def extract_listing_bs4(body: bytes, opts: ExtractOptions) -> Document:
    if not opts.items:
        raise ExtractError("a listing needs an 'items' selector (CSS of one item)")
    soup, region, base = prepare(body, opts)
    matches = _select(region, opts.items, "items")
    if not matches:
        raise ExtractError(f"items {opts.items!r} matched nothing")
    items: list[Item] = []
    seen: set[str] = set()
    for match in matches:
        item = listing_item_of(match, base)
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
