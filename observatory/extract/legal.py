"""What the lines of a legal text are: headings, amendment headers and their targets, end matter.

Pure functions over one line or one paragraph, shared by the ``text`` extractor and the ``pdf``
extractor (through ``observatory.extract.text.Locator``):

* ``heading_of``: ``Article 5``, ``Annex III``, ``Chapter II``, ``Title I``, ``Section 2``,
  ``Part A`` (with or without Markdown emphasis or ``#``), or a Markdown heading;
* ``amendment_target``: the target of an amendment of the Parliament (``Article 3 – paragraph 1
  – point 44 d (new)``) as a location (``Article 3 > 1 > (44d)``);
* ``end_matter``: where the enacting terms end: the signatures (``Done at Brussels``,
  ``For the European Parliament``), the legislative financial statement, the publication details
  of the Official Journal (``ELI:``, ``ISSN``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from observatory.extract._base import clean

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
_PART_KINDS = ("chapter", "title", "section", "part")
_NAMED_ID = re.compile(r"\{#(title|chapter|section|part)-([0-9ivxlc]+[a-z]?)\}")
MAX_HEADING = 160

# Amendment tables: "Amendment 12" (the Commission's column, with its header) or "Amendment"
# (the Parliament's column); the header: "Proposal for a regulation", the target, the column
# header "Text proposed by the Commission".
AMENDMENT = re.compile(r"^Amendment(?:\s+(\d+))?$")
PROPOSAL_FOR = re.compile(r"^Proposal for an? (regulation|directive|decision)$", re.I)
COLUMN_HEADER = "Text proposed by the Commission"
_TARGET_UNIT = re.compile(
    r"^(Article|Recital|Citation|Annex|Title)\s*(-?\s*\d+(?:\s+[a-z]{1,2}\b)*|[IVXLC]+\b)?", re.I
)
_TARGET_PART = re.compile(r"^(paragraph|point|subparagraph|indent)\s+(.+)$", re.I)
_NEW = re.compile(r"\s*\(new\)\s*", re.I)

_SIGNATURES = re.compile(r"^(Done at [A-Z]\w+|For the European Parliament\b|For the Council\b)")
_DONE_AT = re.compile(r"(?<=[.;:])\s+(?=Done at [A-Z]\w+,)")
_FINANCIAL = re.compile(r"^LEGISLATIVE FINANCIAL STATEMENT$", re.I)
_PUBLICATION = re.compile(r"^(ELI: https?://|ISSN \d{4}-\d{3}[\dX]\b)")
SIGNATURES = "Signatures"
FINANCIAL_STATEMENT = "Legislative financial statement"
PUBLICATION = "Publication details"


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
    if not match or len(text) > MAX_HEADING:
        return None
    rest = match.group("rest").strip()
    # "Article 4 of Regulation (EU) 2016/679;" is a reference, not a heading.
    if rest and (rest[0].islower() or rest[0] in "(0123456789" or rest[-1] in ",;"):
        return None
    kind = match.group("kind").lower()
    num = match.group("num")
    if kind in ("annex", "chapter", "title") and num.isalpha() and not num[0].isupper():
        return None  # "annex to", "title of": words, not numbers ("Annex VIIIa" is a number)
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
        if not text and (named := _NAMED_ID.search(md.group(2))):
            # "#  {#title-iva}": the converter kept the heading's id, not its words
            return Heading(f"{named.group(1).capitalize()} {named.group(2).upper()}", "", True, 1)
        legal = _legal_heading(text)
        if legal:
            return legal
        return Heading(text[:MAX_HEADING], "", False, len(md.group(1))) if text else None
    return _legal_heading(clean(unmark(line)))


def amendment_target(target: str) -> str:
    """An amendment's target as a location: ``Article 3 – paragraph 1 – point 44 d (new)`` ->
    ``Article 3 > 1 > (44d)``; ``Recital 1 a (new)`` -> ``Recital 1a``; ``ANNEX VIII – SECTION B
    (new)`` -> ``Annex VIII > Section B``; ``Article - 57 a (new)`` -> ``Article -57a``."""
    target = _NEW.sub(" ", clean(target)).strip()
    unit = _TARGET_UNIT.match(target)
    if not unit or not unit.group(2):
        return target
    kind = unit.group(1).capitalize()
    parts = [f"{kind} {unit.group(2).replace(' ', '')}"]
    for part in re.split(r"\s+[–—-]\s+", target[unit.end() :].strip(" –—-"))[0:]:
        if not part:
            continue
        named = _TARGET_PART.match(part)
        if named is None:
            first, _, rest = part.partition(" ")  # "SECTION B" -> "Section B"
            parts.append(f"{first.capitalize()} {rest}".strip() if first.isupper() else part)
            continue
        what, number = named.group(1).lower(), named.group(2).replace(" ", "")
        if what == "paragraph":
            parts.append(number)
        elif what == "point":
            parts.append(f"({number})")
        else:
            parts.append(f"{what} {number}")
    return " > ".join(parts)


def end_matter(line: str) -> str | None:
    """The location that a paragraph starting with *line* opens after the enacting terms, if any
    (signatures, financial statement, publication details)."""
    if _SIGNATURES.match(line):
        return SIGNATURES
    if _FINANCIAL.match(line):
        return FINANCIAL_STATEMENT
    if _PUBLICATION.match(line):
        return PUBLICATION
    return None


def split_signature(text: str) -> tuple[str, str]:
    """(*text* before ``Done at Brussels,``, the rest): the last article's closing formula and
    the signatures share a paragraph in some conversions."""
    if "Done at " not in text:  # most paragraphs: no regular expression to run
        return text, ""
    parts = _DONE_AT.split(text, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (text, "")
