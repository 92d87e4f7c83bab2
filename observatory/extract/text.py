"""The ``text`` extractor: plain text or Markdown of legal texts -> located paragraph blocks.

Paragraphs are separated by blank lines; hard-wrapped lines inside one are joined. Legal headings
set the location of what follows: ``Article 5``, ``Annex III``, ``Chapter II``, ``Title I``,
``Section 2``; numbered recitals before the first article read ``Recital 12``; Markdown ``#``
headings nest as a heading path. A heading's own words (``*Article 1 Subject matter*``) become a
block at that location. A lone point label (``(a)``, ``1.``) is joined to the paragraph after it.
The pdf extractor reuses ``Locator`` for PDFs of legal texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from observatory.document import Block, Document
from observatory.errors import ExtractError
from observatory.extract._base import ExtractOptions, clean, decode_text, require_body

_RAW_HTML = re.compile(r"^```\{=html\}\n.*?\n```$", re.S | re.M)  # Pandoc raw-HTML fences
_BLANK = re.compile(r"\n[ \t\r\f\v]*\n")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_EMPHASIS = re.compile(r"^[*_\s]+|[*_\s]+$")
_SMALLCAPS = re.compile(r"\[([^\]]*)\]\{[^}]*\}")
_ATTRS = re.compile(r"\{[#.][^}]*\}")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")
_ROMAN = r"[IVXLC]+"
_LEGAL = re.compile(
    rf"^(?P<kind>article|annex|chapter|title|section|part)\s+"
    rf"(?P<num>\d+[a-z]{{0,3}}|{_ROMAN}[a-z]{{0,3}}|[A-Z])\b\.?\s*(?:[-–—:.]\s*)?(?P<rest>.*)$",
    re.I,
)
_RECITAL = re.compile(r"^\((\d{1,3}[a-z]{0,3})\)\s+\S")
_LABEL = re.compile(r"^(\(\w{1,6}\)|\d{1,3}[a-z]?\.|[a-z]\)|[—–-])$")
_AMENDMENT = re.compile(r"^Amendment(\s+\d+)?$")
_AMENDMENT_NOISE = frozenset({"Proposal for a regulation", "Text proposed by the Commission"})
_TARGET = re.compile(r"^(Recital|Citation|Article|Annex)\s+\S+(\s+[–-]\s+.*)?$")
_PART_KINDS = ("chapter", "title", "section", "part")
_MAX_HEADING = 160


@dataclass(frozen=True, slots=True)
class Heading:
    location: str
    rest: str = ""
    legal: bool = True
    level: int = 0


def unmark(line: str) -> str:
    """A Markdown line without emphasis markers, ``[x]{.class}`` spans and escapes."""
    line = _ATTRS.sub("", _SMALLCAPS.sub(r"\1", line))
    line = _ESCAPE.sub(r"\1", line)
    return _EMPHASIS.sub("", line)


def _legal_heading(text: str) -> Heading | None:
    match = _LEGAL.match(text)
    if not match or len(text) > _MAX_HEADING:
        return None
    rest = match.group("rest").strip()
    # "Article 4 of Regulation (EU) 2016/679;" is a reference, not a heading.
    if rest and (rest[0].islower() or rest[0] in "(0123456789" or rest[-1] in ",;"):
        return None
    kind = match.group("kind").lower()
    num = match.group("num")
    if kind in ("annex", "chapter", "title") and num.isalpha() and not num.isupper():
        return None
    level = 1 if kind in _PART_KINDS else 2
    return Heading(f"{kind.capitalize()} {num}", rest, True, level)


def heading_of(paragraph: str) -> Heading | None:
    """The heading a one-line paragraph is, if any (legal or Markdown)."""
    if "\n" in paragraph.strip():
        return None
    line = paragraph.strip()
    md = _MD_HEADING.match(line)
    if md:
        text = clean(unmark(md.group(2)))
        legal = _legal_heading(text)
        if legal:
            return legal
        return Heading(text[:_MAX_HEADING], "", False, len(md.group(1))) if text else None
    return _legal_heading(clean(unmark(line)))


def split_paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each with its line breaks kept (see ``join_lines``)."""
    text = _RAW_HTML.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [p.strip("\n") for p in _BLANK.split(text) if p.strip()]


@dataclass
class Locator:
    """Turns paragraphs, in order, into blocks located under the headings seen so far."""

    legal_seen: bool = False
    location: str = ""
    container: str = ""
    md_path: list[tuple[int, str]] = field(default_factory=list)
    label: str = ""
    blocks: list[Block] = field(default_factory=list)

    def _set_markdown(self, heading: Heading) -> None:
        while self.md_path and self.md_path[-1][0] >= heading.level:
            self.md_path.pop()
        self.md_path.append((heading.level, heading.location))
        self.location = " > ".join(t for _, t in self.md_path)

    def _enter(self, heading: Heading) -> None:
        self.label = ""
        if not heading.legal:
            self._set_markdown(heading)
            return
        self.legal_seen = True
        self.md_path = []
        kind = heading.location.split(" ", 1)[0].lower()
        if kind in ("section", "part") and self.container:
            self.location = f"{self.container} > {heading.location}"
        else:
            self.location = heading.location
        if kind in ("chapter", "title", "annex"):
            self.container = heading.location

    def _emit(self, text: str, location: str) -> None:
        text = clean(text)
        if self.label:
            text, self.label = f"{self.label} {text}", ""
        if text:
            self.blocks.append(Block(text, location))

    def feed(self, paragraph: str, fallback: str = "") -> None:
        lines = [ln for ln in paragraph.split("\n") if ln.strip()]
        if lines and _AMENDMENT.match(lines[0].strip()):
            lines = [ln for ln in lines[1:] if ln.strip() not in _AMENDMENT_NOISE]
            if lines and _TARGET.match(lines[0].strip()):
                self.location, self.legal_seen = clean(lines[0]), True
                lines = lines[1:]
            if not lines:
                return
            paragraph = "\n".join(lines)
        heading = heading_of(paragraph)
        if heading is not None and not heading.legal and self.legal_seen:
            # A Markdown heading inside an article or annex is its text, not a new place.
            self._emit(heading.location, self.location)
            return
        if heading is not None:
            self._enter(heading)
            if heading.rest:
                self._emit(heading.rest, self.location)
            return
        text = clean(unmark(" ".join(lines)))
        if _LABEL.match(text):
            self.label = f"{self.label} {text}".strip()
            return
        if self.label:
            text, self.label = f"{self.label} {text}", ""
        recital = _RECITAL.match(text)
        if recital and (not self.legal_seen or self.location.startswith("Recital ")):
            self.location = f"Recital {recital.group(1)}"
        self._emit(text, self.location or fallback)


def extract_text(body: bytes, opts: ExtractOptions) -> Document:
    require_body(body)
    text = decode_text(body, opts.content_type)
    locator = Locator()
    for paragraph in split_paragraphs(text):
        locator.feed(paragraph)
    if locator.label:
        locator._emit("", locator.location)
    if not locator.blocks:
        raise ExtractError("the text has no paragraphs")
    title = next((b.text for b in locator.blocks if not b.location), "")
    return Document(blocks=tuple(locator.blocks), title=title[:200], meta={"extractor": "text"})
