"""An independent article splitter for the AI Act versions: the ground truth of the legal bench.

It shares no code with ``observatory.extract``: a few regular expressions over the raw files,
one reading per convention found in ``../shared/corpus/ai-act`` (checked by hand on each file):

* the Markdown versions (Commission proposal, Council texts): article headings are whole lines
  ``*Article 5*`` / ``*Article 4a Title*``; recitals are ``(N) text`` paragraphs between the
  paragraph ending ``Whereas:`` and ``HAVE ADOPTED THIS REGULATION``; annexes start at a line
  ``ANNEX IX`` (with or without ``#``); the signatures (``For the European Parliament``), a
  ``Done at`` line and the ``LEGISLATIVE FINANCIAL STATEMENT`` are end matter;
* the final act (plain text from EUR-Lex): ``Article 5`` and ``ANNEX III`` alone on a line,
  recitals ``(N)`` alone on a line, footnotes after the signatures;
* the Parliament's amendments of 14 June 2023, one file per column: the left column holds
  ``Amendment N`` / ``Proposal for a regulation`` / the target (``Article 3 – paragraph 1 –
  point 44 d (new)``) / ``Text proposed by the Commission`` / the Commission's text; the right
  column holds ``Amendment`` / the amended text, in the same order (771 amendments in each), so
  the k-th amendment of the right column has the target of amendment k of the left column.

``units(path)`` gives the labelled text spans of one version in order: ``Article 5``,
``Annex III``, ``Recital 12``, ``Citation 4a``, or ``front`` / ``between`` / ``end`` for text
that belongs to no article, annex or recital (title pages, chapter headings, signatures,
the financial statement, footnotes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FRONT, BETWEEN, END = "front", "between", "end"

_MD_ARTICLE = re.compile(r"^\*Article (\d+[a-z]*)\b[^*]*\*\s*$")
_TXT_ARTICLE = re.compile(r"^Article (\d+[a-z]*)\s*$")
_ANNEX = re.compile(r"^(?:#+\s*)?ANNEX ([IVXLC]+[a-z]*)\s*$")
_MD_CONTAINER = re.compile(r"^#+\s|^(TITLE|CHAPTER|SECTION) [IVXLC\d]+[A-Z]?\b")
# "(57)" alone: a recital deleted; "38) Actions" (the general approach): a parenthesis lost
_MD_RECITAL = re.compile(r"^\(?(\d+[a-z]*)\\?\)(?: |$)")
_TXT_RECITAL = re.compile(r"^\((\d+[a-z]*)\)\s*$")
_END = re.compile(r"^\*?For the European Parliament|^Done at |^LEGISLATIVE FINANCIAL STATEMENT\s*$")
_TARGET_UNIT = re.compile(
    r"^(Article|Recital|Citation|Annex|ANNEX|Title)\s*(-?\s*\d+(?:\s[a-z])?|[IVXLC]+)?\b"
)

_LEFT_MARK = re.compile(r"(?m)^[ \t\f]*Amendment (\d+)[ \t]*$")  # pages start with a form feed
_RIGHT_MARK = re.compile(r"(?m)^[ \t\f]*Amendment[ \t]*$")


@dataclass(frozen=True)
class Unit:
    label: str
    text: str


def units(path: Path) -> list[Unit]:
    """The labelled text spans of one AI Act version, in order."""
    text = path.read_text(encoding="utf-8")
    name = path.name
    if "left-column" in name:
        front = Unit(FRONT, re.split(_LEFT_MARK, text, maxsplit=1)[0].strip())
        return [front, *(Unit(label, body) for _, label, body in _left_column(text))]
    if "right-column" in name:
        left = path.with_name(name.replace("right-column_EP-text", "left-column_COM-text"))
        return _right_column(text, [label for _, label, _ in _left_column(left.read_text())])
    if name.endswith(".md"):
        return _markdown(text)
    return _final(text)


def _flush(out: list[Unit], label: str, lines: list[str]) -> None:
    body = "\n".join(lines).strip()
    if body:
        out.append(Unit(label, body))
    lines.clear()


def _follows(number: str, label: str) -> bool:
    """Recitals are numbered in order: "(4) of this Regulation" at the start of a line in the
    middle of recital 25 (a conversion's paragraph break) does not start recital 4."""
    if not label.startswith("Recital "):
        return True
    key = re.compile(r"(\d+)([a-z]*)")
    new, old = key.fullmatch(number), key.fullmatch(label.split(" ", 1)[1])
    assert new and old
    return (int(new[1]), new[2]) > (int(old[1]), old[2])


def _markdown(text: str) -> list[Unit]:
    out: list[Unit] = []
    label, lines = FRONT, []
    state = "citations"  # citations -> recitals -> enacting -> end
    # "... in all Member States. Done at Brussels,": the signatures start mid-paragraph
    for para in re.split(r"\n\s*\n|(?<=\.) (?=Done at Brussels)", text):
        first = para.strip().split("\n", 1)[0].strip()
        if state == "citations":
            lines.append(para)
            if para.rstrip().endswith("Whereas:"):
                _flush(out, label, lines)
                state = "recitals"
            continue
        if state == "recitals":
            if first.startswith("HAVE ADOPTED THIS REGULATION"):
                _flush(out, label, lines)
                label, state = BETWEEN, "enacting"
            elif (m := _MD_RECITAL.match(first)) and _follows(m[1], label):
                _flush(out, label, lines)
                label = f"Recital {m[1]}"
            lines.append(para)
            continue
        if m := _MD_ARTICLE.match(first):
            _flush(out, label, lines)
            label = f"Article {m[1]}"
        elif m := _ANNEX.match(first):
            _flush(out, label, lines)
            label = f"Annex {m[1]}"
        elif _END.match(first) and not label.startswith("Annex"):
            _flush(out, label, lines)
            label = END
        elif _MD_CONTAINER.match(first) and label != END and not label.startswith("Annex"):
            _flush(out, label, lines)
            label = BETWEEN
        lines.append(para)
    _flush(out, label, lines)
    return out


def _final(text: str) -> list[Unit]:
    out: list[Unit] = []
    label, lines = FRONT, []
    state = "citations"
    for raw in text.split("\n"):
        line = raw.strip()
        if state == "citations":
            if line == "Whereas:":
                lines.append(raw)
                _flush(out, label, lines)
                state = "recitals"
            else:
                lines.append(raw)
            continue
        if state == "recitals":
            if line.startswith("HAVE ADOPTED THIS REGULATION"):
                _flush(out, label, lines)
                label, state = BETWEEN, "enacting"
            elif (m := _TXT_RECITAL.match(line)) and _follows(m[1], label):
                _flush(out, label, lines)
                label = f"Recital {m[1]}"
            lines.append(raw)
            continue
        if m := _TXT_ARTICLE.match(line):
            _flush(out, label, lines)
            label = f"Article {m[1]}"
        elif m := _ANNEX.match(line):
            _flush(out, label, lines)
            label = f"Annex {m[1]}"
        elif _END.match(line) and not label.startswith("Annex"):
            _flush(out, label, lines)
            label = END
        elif re.match(r"^(CHAPTER|SECTION) [IVXLC\d]+$", line) and label != END:
            _flush(out, label, lines)
            label = BETWEEN
        elif line.startswith("ELI: http"):
            _flush(out, label, lines)
            label = END
        lines.append(raw)
    _flush(out, label, lines)
    return out


def target_label(target: str) -> str:
    """``Article 3 – paragraph 1 – point 44 d (new)`` -> ``Article 3``; ``Recital 1 a (new)``
    -> ``Recital 1a``; ``ANNEX VIII – SECTION B (new)`` -> ``Annex VIII``."""
    m = _TARGET_UNIT.match(target)
    if not m:
        return BETWEEN
    kind, num = m[1].capitalize(), (m[2] or "").replace(" ", "")
    if kind == "Title" or not num:
        return BETWEEN
    return f"{kind} {num}"


def _left_column(text: str) -> list[tuple[int, str, str]]:
    """(amendment number, unit label, Commission text) per amendment, in order."""
    out: list[tuple[int, str, str]] = []
    parts = re.split(_LEFT_MARK, text)
    for number, body in zip(parts[1::2], parts[2::2], strict=True):
        head, sep, rest = body.partition("Text proposed by the Commission")
        assert sep, f"amendment {number} has no column header"
        target = " ".join(head.split()).removeprefix("Proposal for a regulation").strip()
        out.append((int(number), target_label(target), rest.strip()))
    return out


def _right_column(text: str, labels: list[str]) -> list[Unit]:
    parts = re.split(_RIGHT_MARK, text)
    bodies = parts[1:]
    assert len(bodies) == len(labels), (len(bodies), len(labels))
    out = [Unit(FRONT, parts[0].strip())]
    out += [Unit(label, body.strip()) for label, body in zip(labels, bodies, strict=True)]
    return out


# -- comparison ---------------------------------------------------------------------------

_SPAN = re.compile(r"\[([^\]]*)\]\{[^}]*\}")  # Pandoc ``[text]{.smallcaps}``
_MARKUP = re.compile(
    r"\{[#.][^}]*\}|```(?:\{=html\})?|<!--|-->|^[ \t]*#+|[*_]+|\\(?=[\\`*_{}\[\]()#+\-.!'\"])", re.M
)


def words(text: str) -> list[str]:
    """The words and punctuation marks of *text* once Markdown markup (headings' ``#``,
    emphasis, escapes, attributes) is dropped; spacing does not count."""
    return re.findall(r"\w+|[^\w\s]", _MARKUP.sub(" ", _SPAN.sub(r"\1", text)))


def by_label(version: list[Unit]) -> dict[str, list[str]]:
    """Unit label -> its words (the spans of one label joined in order)."""
    out: dict[str, list[str]] = {}
    for unit in version:
        out.setdefault(unit.label, []).extend(words(unit.text))
    return out


def is_unit(label: str) -> bool:
    """An article, annex, recital or citation (not front / between / end matter)."""
    return label not in (FRONT, BETWEEN, END)
