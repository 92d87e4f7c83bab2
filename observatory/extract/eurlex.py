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

from observatory.document import Block, Document
from observatory.errors import ExtractError
from observatory.extract import _tree
from observatory.extract._base import ExtractOptions, clean
from observatory.extract._tree import STRING_CONTAINERS, El

MARKERS = (b"eli-subdivision", b"oj-ti-art")
_CHROME_IDS = ("TOC", "volume-booster-visusalizer")  # table of contents, browser-extension debris
_EXTENSION_TAGS = ("grammarly-desktop-integration",)
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


def _rows(table: El) -> list[El]:
    rows: list[El] = []
    for child in _tree.children(table):
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(c for c in child if c.tag == "tr")
    return rows


def _cells(row: El) -> list[El]:
    return [c for c in row if c.tag in ("td", "th")]


def _text(tag: El) -> str:
    """The text of a tag, a ``<br>`` read as a space."""
    return clean("".join(_tree.strings(tag, br_as_space=True)))


@dataclass
class _Walker:
    blocks: list[Block] = field(default_factory=list)
    label: str = ""

    def emit(self, text: str, ctx: _Ctx, anchor: str | None = None) -> None:
        if self.label:
            text, self.label = f"{self.label} {text}".strip(), ""
        if text:
            self.blocks.append(Block(text, ctx.location, anchor or ctx.anchor))

    def container(self, node: El, ctx: _Ctx, special: bool = False) -> None:
        """Walk a node's children; ``special``: its strings are in a script, rt, ... (skipped)."""
        if node.text and not special:
            self.stray(node.text, ctx)
        for child in node:
            if isinstance(child.tag, str):
                self.element(child, ctx, special or child.tag in STRING_CONTAINERS)
            if child.tail and not special:
                self.stray(child.tail, ctx)
        if self.label:  # a point label with nothing after it
            self.emit("", ctx)

    def stray(self, text: str, ctx: _Ctx) -> None:
        stray = clean(text)
        if stray:
            self.emit(stray, ctx)

    def element(self, tag: El, ctx: _Ctx, special: bool) -> None:
        name = tag.tag
        if name == "p":
            self.paragraph(tag, ctx)
        elif name == "table":
            self.table(tag, ctx)
        elif name in ("hr", "img", "col", "colgroup"):
            return
        else:
            tag_id = tag.get("id")
            inner = _unit_context(tag_id, ctx) if tag_id is not None else ctx
            self.container(tag, inner, special)

    def paragraph(self, p: El, ctx: _Ctx) -> None:
        classes = set((p.get("class") or "").split())
        if classes & _LABEL_CLASSES:
            return
        text = _text(p)
        if "oj-doc-ti" in classes and ctx.annex and _ANNEX_LABEL.match(text):
            return
        if "oj-note" in classes:
            note = next((a for a in p.iterdescendants("a") if a.get("id") is not None), None)
            anchor = str(note.get("id")) if note is not None else None
            self.emit(text, ctx if ctx.path else _Ctx(("Footnotes",)), anchor)
            return
        self.emit(text, ctx)

    def table(self, table: El, ctx: _Ctx) -> None:
        for row in _rows(table):
            cells = _cells(row)
            label = _text(cells[0]) if len(cells) == 2 else ""
            if label and _POINT_LABEL.match(label):
                level = label.rstrip(".") if label[0].isdigit() else label
                deeper = ctx.numbered and level not in ("—", "–", "-", "•")
                path = (*ctx.path, level) if deeper else ctx.path
                self.label = label
                cell = cells[1]
                self.container(cell, _Ctx(path, ctx.anchor, True, ctx.annex), _special(cell))
                continue
            texts = [t for t in (_text(c) for c in cells) if t]
            if texts:
                self.emit(" | ".join(texts), ctx)


def _special(el: El) -> bool:
    return (
        el.tag in STRING_CONTAINERS or next(el.iterancestors(*STRING_CONTAINERS), None) is not None
    )


def _first_with_id(root: El, wanted: str) -> El | None:
    return next((e for e in root.iter() if e.get("id") == wanted), None)


def extract_eurlex(body: bytes, opts: ExtractOptions) -> Document:
    root = _tree.parse_html(body, opts.content_type)
    chrome = [_first_with_id(root, i) for i in _CHROME_IDS] + list(root.iter(*_EXTENSION_TAGS))
    for element in chrome:
        if element is not None:
            _tree.drop(element)
    select = opts.select or ("#docHtml" if _first_with_id(root, "docHtml") is not None else None)
    region = _tree.select_region(root, select)
    _tree.remove_noise(region, opts.ignore)
    walker = _Walker()
    walker.container(region, _Ctx(), _special(region))
    if not walker.blocks:
        raise ExtractError(f"select {select!r} has no text" if select else "the act has no text")
    main_title = next(iter(_tree.select_all(root, ".eli-main-title")), None)
    title = _text(main_title) if main_title is not None else _tree.page_title(root)
    return Document(
        blocks=tuple(walker.blocks),
        links=_tree.document_links(region, _tree.base_url(root, opts.url)),
        title=title,
        meta={"extractor": "eurlex"},
    )
