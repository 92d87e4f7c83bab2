"""The ``text`` extractor: plain text or Markdown of legal texts -> located paragraph blocks.

Paragraphs are separated by blank lines; hard-wrapped lines inside one are joined. Legal headings
(``observatory.extract.legal``) set the location of what follows: ``Article 5``, ``Annex III``,
``Chapter II``, ``Title I``, ``Section 2``; Markdown ``#`` headings nest as a heading path. A
heading's own words (``*Article 1 Subject matter*``) become a block at that location. A lone
point label (``(a)``, ``1.``) is joined to the paragraph after it.

Recitals (``Recital 12``) are the numbered paragraphs of the recitals section only: from the
citations' ``Whereas:`` (or, in a text without it, the first numbered paragraph before any
heading) to ``HAVE ADOPTED THIS REGULATION`` or the first heading; a numbered paragraph inside
an article is a point of that article. The signatures (``Done at Brussels``, ``For the European
Parliament``), the legislative financial statement and the Official Journal's publication details
end the last article, each a location of its own.

Amendment tables of the Parliament come as one column per text: in the Commission's column each
``Amendment 12`` is followed by ``Proposal for a regulation``, the target (``Article 3 – paragraph
1 – point 44 d (new)``) and the column header ``Text proposed by the Commission``; the text is
located at the target (``Article 3 > 1 > (44d)``). An amendment that inserts new text has no
text in that column: it leaves a block without text that only marks the place. In the
Parliament's column each ``Amendment`` header is followed by the amended text alone: its blocks
have no location. Every block of an amendment carries the anchor ``amendment-12`` (the twelfth
amendment), so that the diff labels the Parliament's text with the target of its counterpart.
Column headers are never text.

The pdf extractor reuses ``Locator`` for PDFs of legal texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from observatory.document import Block, Document
from observatory.errors import ExtractError
from observatory.extract._base import ExtractOptions, clean, decode_text, require_body
from observatory.extract.legal import (
    AMENDMENT,
    COLUMN_HEADER,
    PROPOSAL_FOR,
    SIGNATURES,
    Heading,
    amendment_target,
    end_matter,
    heading_of,
    split_signature,
    unmark,
)

_RAW_HTML = re.compile(r"^```\{=html\}\n.*?\n```$", re.S | re.M)  # Pandoc raw-HTML fences
_BLANK = re.compile(r"\n[ \t\r\f\v]*\n")
_RECITAL = re.compile(r"^\(?(\d{1,3}[a-z]{0,3})\)(?:\s|$)")  # "38) Actions": a paren lost
_OWN_LABEL = re.compile(r"^(\(\w{1,6}\)|\d{1,3}[a-z]?\.)\s")
_LABEL = re.compile(r"^(\(\w{1,6}\)|\d{1,3}[a-z]?\.|[a-z]\)|[—–-])$")
_ENACTING = "HAVE ADOPTED THIS REGULATION"
_WHEREAS = re.compile(r"Whereas:\s*$", re.M)
_FOOTNOTES = "Footnotes"
_TAIL_WORDS = 3


def split_paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each with its line breaks kept (see ``join_lines``)."""
    text = _RAW_HTML.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [p.strip("\n") for p in _BLANK.split(text) if p.strip()]


@dataclass
class _Amendment:
    """The amendment being read: its anchor, and whether its header is still being read."""

    anchor: str
    in_header: bool
    target: list[str] = field(default_factory=list)
    has_text: bool = False


@dataclass
class Locator:
    """Turns paragraphs, in order, into blocks located under the headings seen so far."""

    legal_seen: bool = False
    location: str = ""
    container: str = ""
    md_path: list[tuple[int, str]] = field(default_factory=list)
    label: str = ""
    blocks: list[Block] = field(default_factory=list)
    whereas: bool = False  # the text has a "Whereas:": recitals start after it
    recitals: bool = False  # inside the recitals section
    recitals_done: bool = False
    amendment: _Amendment | None = None
    amendments: int = 0

    def _set_markdown(self, heading: Heading) -> None:
        while self.md_path and self.md_path[-1][0] >= heading.level:
            self.md_path.pop()
        self.md_path.append((heading.level, heading.location))
        self.location = " > ".join(t for _, t in self.md_path)

    def _enter(self, heading: Heading) -> None:
        self.flush_label()
        if not heading.legal:
            self._set_markdown(heading)
            return
        self._close_recitals()
        self.legal_seen = True
        self.md_path = []
        kind = heading.location.split(" ", 1)[0].lower()
        if kind in ("section", "part") and self.container:
            self.location = f"{self.container} > {heading.location}"
        else:
            self.location = heading.location
        if kind in ("chapter", "title", "annex"):
            self.container = heading.location

    def _close_recitals(self) -> None:
        if self.recitals:
            self.recitals, self.recitals_done = False, True

    def _emit(self, text: str, location: str) -> None:
        text = clean(text)
        if self.label:
            text, self.label = f"{self.label} {text}" if text else self.label, ""
        if text:
            anchor = self.amendment.anchor if self.amendment else None
            self.blocks.append(Block(text, location, anchor))
            if self.amendment:
                self.amendment.has_text = True

    def flush_label(self) -> None:
        """A lone point label still waiting for its text becomes a block of its own."""
        if self.label:
            self._emit("", self.location)

    def feed(self, paragraph: str, fallback: str = "") -> None:
        lines = [s for ln in paragraph.split("\n") if (s := ln.strip(" \t\f\v"))]
        start = 0
        for k in range(1, len(lines)):  # an amendment header ends the text before it
            if marker := AMENDMENT.match(lines[k]):
                if not (k == 1 and not marker.group(1) and len(lines[0].split()) <= _TAIL_WORDS):
                    self._feed_lines(lines[start:k], fallback)
                # else: the end of a long target ("ctory part", "a (new)") that the Parliament's
                # column caught just above its column header: not text
                start = k
        self._feed_lines(lines[start:], fallback)

    def _feed_lines(self, lines: list[str], fallback: str) -> None:
        lines = self._amendment_lines(lines)
        if not lines:
            return
        if self.amendment is not None:  # an amendment's text: its headings are text
            self._text(lines, fallback)
            return
        heading = heading_of("\n".join(lines))
        if heading is not None and not heading.legal and self.legal_seen:
            # A Markdown heading inside an article or annex is its text, not a new place.
            self._emit(heading.location, self.location)
            return
        if heading is not None:
            self._enter(heading)
            if heading.rest:
                self._emit(heading.rest, self.location)
            return
        self._text(lines, fallback)

    def _text(self, lines: list[str], fallback: str, alone: bool = False) -> None:
        text = clean(unmark(" ".join(lines)))
        if not alone and _LABEL.match(text):
            self.label = f"{self.label} {text}".strip()
            return
        if self.label:
            if _OWN_LABEL.match(text):  # "(57)" then "(58) Given ...": (57) stands alone
                pending, self.label = self.label, ""
                self._text([pending], fallback, alone=True)
            else:
                text, self.label = f"{self.label} {text}", ""
        if self.amendment is None:
            text = self._place(text)
        if text:
            self._emit(text, self.location or fallback)

    def _place(self, text: str) -> str:
        """Moves the location for a paragraph of the main text (recitals, end matter); returns
        the text left to emit there (a closing formula may first go to the current place)."""
        if not self.legal_seen:
            if text.startswith(_ENACTING):
                self._close_recitals()
                self.recitals_done, self.location = True, ""
            elif text.endswith("Whereas:"):
                self.recitals = True
            elif (recital := _RECITAL.match(text)) and self._opens_recital(recital.group(1)):
                self.recitals = True
                self.location = f"Recital {recital.group(1)}"
            return text
        before, after = split_signature(text)
        if after:
            self._emit(before, self.location)
            text = after
        place = end_matter(text)
        if place is not None and (place != SIGNATURES or self.container != place):
            self.location = self.container = place
            self.md_path = []
        elif self.location == SIGNATURES and _RECITAL.match(text):
            self.location = self.container = _FOOTNOTES
        return text

    def _opens_recital(self, number: str) -> bool:
        """Whether a paragraph numbered *number* opens a recital: inside the recitals section
        (after ``Whereas:`` when the text has one) and after the current recital ("(4) of this
        Regulation", cut from the middle of recital 25, is not recital 4)."""
        if self.recitals_done or not (self.recitals or not self.whereas):
            return False
        if not self.location.startswith("Recital "):
            return True
        return _ordinal(number) > _ordinal(self.location.removeprefix("Recital "))

    def _amendment_lines(self, lines: list[str]) -> list[str]:
        """*lines* without the amendment headers and column headers that they hold."""
        out: list[str] = []
        for line in lines:
            amendment = self.amendment
            marker = AMENDMENT.match(line)
            if marker:
                self._close_amendment()
                self.amendments += 1
                number = marker.group(1) or str(self.amendments)
                self.amendment = _Amendment(f"amendment-{number}", bool(marker.group(1)))
                self.location = ""
                self.legal_seen = True
                self._close_recitals()
            elif amendment is not None and amendment.in_header:
                if line == COLUMN_HEADER:
                    amendment.in_header = False
                    self.location = amendment_target(" ".join(amendment.target))
                elif not PROPOSAL_FOR.match(line):
                    amendment.target.append(line)
            elif line != COLUMN_HEADER:
                out.append(line)
        return out

    def _close_amendment(self) -> None:
        """An amendment that left no text (new text inserted) leaves a marker of its place."""
        self.flush_label()
        amendment = self.amendment
        if amendment is not None and not amendment.has_text and self.location:
            self.blocks.append(Block("", self.location, amendment.anchor))

    def finish(self) -> None:
        self.flush_label()
        self._close_amendment()
        self.amendment = None


def _ordinal(number: str) -> tuple[int, str]:
    """``12a`` -> (12, "a"): recital numbers in reading order."""
    digits = number.rstrip("abcdefghijklmnopqrstuvwxyz")
    return int(digits), number[len(digits) :]


def extract_text(body: bytes, opts: ExtractOptions) -> Document:
    require_body(body)
    text = decode_text(body, opts.content_type)
    locator = Locator(whereas=_WHEREAS.search(text) is not None)
    for paragraph in split_paragraphs(text):
        locator.feed(paragraph)
    locator.finish()
    if not any(b.text for b in locator.blocks):
        raise ExtractError("the text has no paragraphs")
    title = next((b.text for b in locator.blocks if not b.location and b.text), "")
    return Document(blocks=tuple(locator.blocks), title=title[:200], meta={"extractor": "text"})
