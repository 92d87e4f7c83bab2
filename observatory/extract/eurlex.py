"""The EUR-Lex extractor: Official Journal HTML (ELI markup) -> blocks located by legal unit.

Recognises the markup EUR-Lex publishes acts in: recitals ``div.eli-subdivision#rct_N``,
articles ``#art_N`` (``p.oj-ti-art`` number, ``p.oj-sti-art`` title), numbered paragraphs
``div#005.001``, points as two-cell tables (``(a)`` | text), chapters and sections
``#cpt_III.sct_1``, annexes ``div.eli-container#anx_III`` and footnotes ``p.oj-note``.
Locations read ``Recital 12``, ``Article 5 > 1 > (a)``, ``Annex III > 5 > (b)``,
``Chapter III > Section 1``; anchors are the ELI ids (``rct_12``, ``art_5``, ``005.001``,
``anx_III``). A unit's number lives in its location; a title (``Prohibited AI practices``) is a
block of its own at that location; point labels stay at the head of their block's text.
The table of contents, scripts and browser-extension debris are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import NavigableString, Tag

from observatory.document import Block, Document
from observatory.errors import ExtractError
from observatory.extract._base import (
    ExtractOptions,
    base_url,
    clean,
    document_links,
    page_title,
    parse_html,
    remove_noise,
    select_region,
)

MARKERS = (b"eli-subdivision", b"oj-ti-art")
_CHROME_IDS = ("TOC", "volume-booster-visusalizer")  # table of contents, browser-extension debris
_EXTENSION_TAGS = ["grammarly-desktop-integration"]
_POINT_LABEL = re.compile(r"^(\(\w{1,6}\)|\d{1,3}[a-z]{0,2}\.|[—–-]|•)$")
_PARAGRAPH_ID = re.compile(r"^(\d{3})\.(\d{3})([a-z]*)$")
_UNIT_ID = re.compile(r"^(rct|art|anx|cpt|cit|pbl|fnp|tit|enc)_([^.]+)(?:\.(sct|tit)_(\w+))?$")
_ANNEX_LABEL = re.compile(r"^ANNEX\b", re.I)
_LABEL_CLASSES = frozenset({"oj-ti-art", "oj-ti-section-1"})


def looks_like_eurlex(body: bytes) -> bool:
    return any(marker in body for marker in MARKERS)


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


def _rows(table: Tag) -> list[Tag]:
    rows: list[Tag] = []
    for child in table.find_all(True, recursive=False):
        if child.name == "tr":
            rows.append(child)
        elif child.name in ("thead", "tbody", "tfoot"):
            rows.extend(child.find_all("tr", recursive=False))
    return rows


def _text(tag: Tag) -> str:
    for br in tag.find_all("br"):
        br.replace_with(" ")
    return clean(tag.get_text())


@dataclass
class _Walker:
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
        text = _text(p)
        if "oj-doc-ti" in classes and ctx.annex and _ANNEX_LABEL.match(text):
            return
        if "oj-note" in classes:
            note = p.find("a", id=True)
            anchor = str(note["id"]) if isinstance(note, Tag) else None
            self.emit(text, ctx if ctx.path else _Ctx(("Footnotes",)), anchor)
            return
        self.emit(text, ctx)

    def table(self, table: Tag, ctx: _Ctx) -> None:
        for row in _rows(table):
            cells = row.find_all(["td", "th"], recursive=False)
            label = _text(cells[0]) if len(cells) == 2 else ""
            if label and _POINT_LABEL.match(label):
                level = label.rstrip(".") if label[0].isdigit() else label
                deeper = ctx.numbered and level not in ("—", "–", "-", "•")
                path = (*ctx.path, level) if deeper else ctx.path
                self.label = label
                self.container(cells[1], _Ctx(path, ctx.anchor, True, ctx.annex))
                continue
            texts = [t for t in (_text(c) for c in cells) if t]
            if texts:
                self.emit(" | ".join(texts), ctx)


def extract_eurlex(body: bytes, opts: ExtractOptions) -> Document:
    soup = parse_html(body, opts.content_type)
    for chrome in [soup.find(id=i) for i in _CHROME_IDS] + soup.find_all(_EXTENSION_TAGS):
        if isinstance(chrome, Tag) and not chrome.decomposed:
            chrome.decompose()
    select = opts.select or ("#docHtml" if soup.find(id="docHtml") else None)
    region = select_region(soup, select)
    remove_noise(region, opts.ignore)
    walker = _Walker()
    walker.container(region, _Ctx())
    if not walker.blocks:
        raise ExtractError(f"select {select!r} has no text" if select else "the act has no text")
    main_title = soup.select_one(".eli-main-title")
    title = _text(main_title) if main_title is not None else page_title(soup)
    return Document(
        blocks=tuple(walker.blocks),
        links=document_links(region, base_url(soup, opts.url)),
        title=title,
        meta={"extractor": "eurlex"},
    )
