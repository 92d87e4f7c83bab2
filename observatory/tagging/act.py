"""The AI Act's structure: which unit of the act a change sits in, and what subjects that adds.

The codebook files the AI Act's own text (an article, recital or annex, as published or amended)
under guidance, plus whatever its subject adds: Article 4 on AI literacy is also collaboration,
Article 57 on sandboxes also experimentation. A paragraph of the act need not name its subject
("5. Any subjects of the testing may withdraw their consent"), nor even AI, so the unit is read
from the change's context, the heading path the extractor gives ("Article 57 > 9 > (b)") and the
page title ("Regulation (EU) 2024/1689 ... (Artificial Intelligence Act)").

``ActMap.locate`` finds the unit: a heading segment "Article N [title]", "Recital N" or
"Annex N [title]" in the context, taken as the act's own when

- the context names the act (``names``: "AI Act", "2024/1689", "COM(2021) 206", ...), or names
  no other act ("Regulation (EU) 2017/745") and
  - the heading's title is the act's title of that number ("Article 113 Entry into force and
    application"), or close to one of the act's article titles (an earlier version, renumbered:
    "Article 53 AI regulatory sandboxes" of the 2021 proposal), or
  - the text or context is about AI (the gate passed): an article or annex of a text about AI
    is rules about AI ("legal text about AI" when the act is not named), or
  - for a bare "Recital N", the text reads as legislation ("this Regulation", "Member States").

The map of subjects by number (``articles``, ``annexes``, ``recitals``) holds for the final text
only: when the context names an earlier version (``earlier``), numbers differ and only the words
of the heading's title and of the text give the subject.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from observatory.dimensions import KEYS
from observatory.tagging.match import RuleSet, Text
from observatory.tagging.patterns import Fail, rule_set

_HEADING = re.compile(
    r"^\s*((?i:article|recital)\s+\d+(?:\s?[a-z](?![a-z]))?|(?i:annex)\s+[IVXLC]+\b)\.?\s*(.*?)\s*$"
)
_OTHER_ACT = re.compile(  # a context naming some act of the EU: not the AI Act unless named so
    r"\b(?:Regulation|Directive|Decision)\s*\((?:EU|EC|EEC|Euratom)\)\s*(?:No\s*)?\d+/\d+"
)
_OTHER_PART = re.compile(r"^\s*((?:Chapter|Section)\s+[IVXLC0-9]+|Preamble|Footnotes|Signature)\b")
_SEGMENTS = re.compile(r"\s+>\s+|\n")
_WORDS = re.compile(r"[a-z0-9]+")
SAME_NUMBER_SIMILARITY = 80  # rapidfuzz token_set_ratio of a heading title and the act's title
OTHER_NUMBER_SIMILARITY = 88  # token_sort_ratio to take a title of another number as the act's


@dataclass(frozen=True)
class Entry:
    """One numbered unit of the final act: its title and the subjects it adds to guidance."""

    title: str
    dimensions: tuple[str, ...]


@dataclass(frozen=True)
class ActUnit:
    """Where in the AI Act (or in another legal text about AI) a change sits, and the dimensions
    its place adds, each with its evidence."""

    label: str  # "AI Act, Article 57", "Recital 139", "legal text about AI, Article 12"
    subjects: dict[str, str]  # dimension -> evidence, from the map of the act's structure


@dataclass(frozen=True, eq=False)
class ActMap:
    """The AI Act's structure as the taxonomy describes it (see the module docstring)."""

    names: RuleSet
    earlier: RuleSet
    legal: RuleSet
    subjects: Mapping[str, RuleSet]
    articles: Mapping[str, Entry]
    annexes: Mapping[str, Entry]
    recitals: Mapping[int, tuple[str, ...]]

    def locate(self, context: Text | None, text: Text, *, about_ai: bool) -> ActUnit | None:
        """The act's unit named by the context's heading path, or None (see the module doc)."""
        if context is None:
            return None
        heading = _heading(context.original)
        if heading is None:
            return self._other_part(context)
        kind, number, title = heading
        named = bool(self.names.phrases(context, first_only=True))
        if not named and _OTHER_ACT.search(context.original):
            # another act's "Article 3 Definitions" is not the AI Act's, though titled alike
            return ActUnit(f"legal text about AI, {kind} {number}", {}) if about_ai else None
        final = not self.earlier.phrases(context, first_only=True)
        where = f"{kind} {number}"
        if kind == "Recital":
            if not (named or about_ai or self.legal.phrases(text, first_only=True)):
                return None
            dims = self.recitals.get(int(number), ()) if final and number.isdigit() else ()
            return ActUnit(f"AI Act, {where}", {d: f"AI Act, {where}" for d in dims})
        entry = (self.articles if kind == "Article" else self.annexes).get(number)
        if entry is not None and (
            fuzz.token_set_ratio(title.lower(), entry.title.lower()) >= SAME_NUMBER_SIMILARITY
            if title
            else named and final
        ):
            return ActUnit(f"AI Act, {where}", _subjects(where, entry))
        if named or (kind == "Article" and self._known_title(title)):
            return ActUnit(f"AI Act, {where}", {})
        if about_ai:
            return ActUnit(f"legal text about AI, {where}", {})
        return None

    def _other_part(self, context: Text) -> ActUnit | None:
        """A chapter or section heading, the preamble, a footnote of the act (named in the
        context): guidance, and only what the text's words add."""
        if not self.names.phrases(context, first_only=True):
            return None
        for segment in _SEGMENTS.split(context.original):
            match = _OTHER_PART.match(segment)
            if match:
                return ActUnit(f"AI Act, {' '.join(match[1].split())}", {})
        return None

    def _known_title(self, title: str) -> bool:
        if len(_WORDS.findall(title.lower())) < 3:
            return False  # "Definitions", "Scope": every act has them
        return any(
            _similar(title, e.title, OTHER_NUMBER_SIMILARITY) for e in self.articles.values()
        )


def _subjects(label: str, entry: Entry) -> dict[str, str]:
    return {d: f"AI Act, {label} {entry.title}" for d in entry.dimensions}


def _heading(context: str) -> tuple[str, str, str] | None:
    """The last "Article N title" / "Recital N" / "Annex N title" segment of a heading path."""
    found = None
    for segment in _SEGMENTS.split(context):
        match = _HEADING.match(segment)
        if match:
            unit, title = match.groups()
            kind, number = unit.split(None, 1)
            found = (kind.capitalize(), number.replace(" ", ""), title)
    return found


def _similar(a: str, b: str, threshold: int) -> bool:
    return fuzz.token_sort_ratio(a.lower(), b.lower()) >= threshold


_ACT_KEYS = {"names", "earlier", "legal", "subjects", "articles", "annexes", "recitals"}
_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_act(spec: Any, fail: Fail) -> ActMap:
    """Validate and compile the ``ai_act`` section of a taxonomy.yaml."""
    where: tuple[str | int, ...] = ("ai_act",)
    if not isinstance(spec, dict):
        raise fail("ai_act: expected a mapping (names, subjects, articles, ...)", *where)
    for key in spec:
        if key not in _ACT_KEYS:
            raise fail(
                f"ai_act: unknown key {key!r} (expected {', '.join(sorted(_ACT_KEYS))})",
                *where,
                key,
            )

    def rules(key: str) -> RuleSet:
        value = spec.get(key) or {}
        if not isinstance(value, dict):
            raise fail(f"ai_act.{key}: expected a mapping with 'patterns'", *where, key)
        return rule_set(f"ai_act.{key}", value, fail, (*where, key))

    subjects = spec.get("subjects") or {}
    if not isinstance(subjects, dict):
        raise fail("ai_act.subjects: expected a mapping of dimension to patterns", *where)
    compiled = {}
    for key in subjects:
        _check_dimensions([key], fail, *where, "subjects", key)
        compiled[key] = rule_set(
            f"ai_act.subjects.{key}", subjects[key] or {}, fail, (*where, "subjects", key)
        )
    ordered = {k: compiled[k] for k in KEYS if k in compiled}
    return ActMap(
        names=rules("names"),
        earlier=rules("earlier"),
        legal=rules("legal"),
        subjects=ordered,
        articles=_entries(spec.get("articles"), ordered, fail, (*where, "articles")),
        annexes=_entries(spec.get("annexes"), ordered, fail, (*where, "annexes")),
        recitals=_recitals(spec.get("recitals"), fail, (*where, "recitals")),
    )


def _entries(
    spec: Any, subjects: Mapping[str, RuleSet], fail: Fail, where: tuple[str | int, ...]
) -> dict[str, Entry]:
    """``{number: title}`` or ``{number: {title: ..., dimensions: [...]}}``; a unit's subjects
    are its ``dimensions`` and those whose ``subjects`` phrases its title holds."""
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise fail(f"{where[-1]}: expected a mapping of number to title", *where)
    entries = {}
    for number, value in spec.items():
        if isinstance(value, str):
            value = {"title": value}
        if (
            not isinstance(value, dict)
            or not isinstance(value.get("title"), str)
            or (set(value) - {"title", "dimensions"})
        ):
            raise fail(
                f"{where[-1]} {number}: expected a title, or a mapping with 'title' and "
                "'dimensions'",
                *where,
                number,
            )
        dims = set(_check_dimensions(value.get("dimensions") or [], fail, *where, number))
        title = Text.of(value["title"])
        dims.update(k for k, rules in subjects.items() if rules.phrases(title, first_only=True))
        entries[str(number)] = Entry(value["title"], tuple(k for k in KEYS if k in dims))
    return entries


def _recitals(spec: Any, fail: Fail, where: tuple[str | int, ...]) -> dict[int, tuple[str, ...]]:
    """``{"20": [collaboration], "138-142": [experimentation]}`` -> one entry per recital."""
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise fail("recitals: expected a mapping of number or range to dimensions", *where)
    recitals = {}
    for key, dims in spec.items():
        match = _RANGE.match(str(key))
        if match is None or not isinstance(dims, list):
            raise fail(
                f"recitals {key}: expected a number or range (138-142) and a list of dimensions",
                *where,
                key,
            )
        first, last = int(match[1]), int(match[2] or match[1])
        for number in range(first, last + 1):
            recitals[number] = tuple(_check_dimensions(dims, fail, *where, key))
    return recitals


def _check_dimensions(dims: Any, fail: Fail, *where: str | int) -> list[str]:
    if not isinstance(dims, list) or not all(isinstance(d, str) for d in dims):
        raise fail(f"{where[-1]}: expected a list of dimensions", *where)
    for key in dims:
        if key not in KEYS:
            raise fail(f"unknown dimension {key!r} (known: {', '.join(KEYS)})", *where)
    return dims
