"""Run compiled tagging rules over a text: the AI gate, then each dimension's phrases as evidence.

``Taxonomy`` holds the compiled rules (built by ``observatory.tagging.rules``); a ``RuleSet`` is
the gate or one dimension, a ``Pattern`` one compiled phrase pattern. ``tag_text`` tags a text,
``ai_terms`` gives the phrases that put it through the gate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from observatory.dimensions import KEYS

HINT_EVIDENCE = "source hint"
_WORD = re.compile(r"\w")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Tagging:
    dimensions: list[str]
    evidence: dict[str, list[str]]

    def to_json(self) -> dict[str, Any]:
        return {
            "dimensions": list(self.dimensions),
            "evidence": {k: list(v) for k, v in self.evidence.items()},
        }


@dataclass(frozen=True, eq=False)
class Pattern:
    """One compiled pattern. ``folded`` ones run on the lower-cased text, so that the regex engine
    keeps its fast literal search (``re.IGNORECASE`` turns it off); ``literal`` must occur in that
    text for the pattern to match at all, a cheap test that spares most regex runs."""

    source: str
    regex: re.Pattern[str]
    literal: str
    folded: bool


@dataclass(frozen=True)
class _Text:
    original: str
    folded: str

    @classmethod
    def of(cls, text: str) -> _Text:
        folded = text.lower()
        if len(folded) != len(text):  # a few characters lower-case to two; keep offsets aligned
            folded = text.translate(_ASCII_LOWER)
        return cls(text, folded)


@dataclass(frozen=True, eq=False)
class RuleSet:
    """The compiled patterns of the gate or of one dimension."""

    name: str
    patterns: tuple[Pattern, ...]
    excludes: tuple[Pattern, ...] = ()

    def phrases(self, text: str | _Text, *, first_only: bool = False) -> list[str]:
        """Phrases matched outside excluded spans, in text order, whitespace collapsed,
        deduplicated; where two patterns overlap, the earlier and longer match wins."""
        hay = text if isinstance(text, _Text) else _Text.of(text)
        excluded: list[tuple[int, int]] | None = None
        spans: list[tuple[int, int]] = []
        for pattern in self.patterns:
            haystack = hay.folded if pattern.folded else hay.original
            if pattern.literal not in haystack:
                continue  # the common case: this pattern cannot match
            for match in pattern.regex.finditer(haystack):
                start, end = match.span()
                if start and _WORD.match(hay.original, start - 1):
                    continue  # starts inside a word (see _matches)
                if excluded is None:
                    excluded = [span for p in self.excludes for span in _matches(p, hay)]
                if excluded and any(s < end and start < e for s, e in excluded):
                    continue
                if first_only:
                    return [" ".join(hay.original[start:end].split())]
                spans.append((start, end))
        found: dict[str, str] = {}
        last_end = -1
        for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
            if start < last_end:
                continue
            last_end = end
            phrase = " ".join(hay.original[start:end].split())
            found.setdefault(phrase.casefold(), phrase)
        return list(found.values())


def _matches(pattern: Pattern, hay: _Text) -> Iterator[tuple[int, int]]:
    text = hay.folded if pattern.folded else hay.original
    if pattern.literal not in text:
        return
    for match in pattern.regex.finditer(text):
        start = match.start()
        # whole words: the regex ends with (?!\w); the start is checked here, since a leading
        # look-behind would switch off the regex engine's fast literal search
        if start == 0 or not _WORD.match(hay.original, start - 1):
            yield start, match.end()


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """Parsed, validated and compiled tagging rules."""

    path: str
    gate: RuleSet
    dimensions: dict[str, RuleSet]  # ordered as dimensions.KEYS


def tag_text(
    text: str, taxonomy: Taxonomy, hints: Sequence[str] = (), *, context: str = ""
) -> Tagging:
    """Dimensions of ``text`` with evidence; nothing at all when the text is not about AI.

    ``context`` is optional framing of the change, such as the heading path of the changed block
    ("Article 60 Testing of high-risk AI systems in real world conditions > 5"). It is read like
    the text: a paragraph of Article 60 is about AI and about real-world testing even when its
    own words name neither.
    """
    unknown = [h for h in hints if h not in KEYS]
    if unknown:
        raise ValueError(f"unknown dimension hint {unknown[0]!r}")
    parts = [_Text.of(t) for t in (text, context) if t]
    if not any(taxonomy.gate.phrases(t, first_only=True) for t in parts):
        return Tagging([], {})
    evidence: dict[str, list[str]] = {}
    for key in KEYS:
        rules = taxonomy.dimensions.get(key)
        phrases = _merge(rules.phrases(t) for t in parts) if rules else []
        if key in hints:
            phrases.append(HINT_EVIDENCE)
        if phrases:
            evidence[key] = phrases
    return Tagging(list(evidence), evidence)


def _merge(lists: Iterable[list[str]]) -> list[str]:
    merged: dict[str, str] = {}
    for phrases in lists:
        for phrase in phrases:
            merged.setdefault(phrase.casefold(), phrase)
    return list(merged.values())


def ai_terms(text: str, taxonomy: Taxonomy) -> list[str]:
    """The phrases that put ``text`` through the AI gate (empty: not about AI)."""
    return taxonomy.gate.phrases(text)
