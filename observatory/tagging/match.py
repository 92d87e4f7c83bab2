"""Run one set of compiled phrase patterns over a text and give the phrases found, as evidence.

A ``RuleSet`` is the gate, one dimension, one concept or one subject of the AI Act; a ``Pattern``
one compiled phrase pattern (built by ``observatory.tagging.rules``); a ``Text`` a text with its
lower-cased twin, made once and read by every rule set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_WORD = re.compile(r"\w")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


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
class Text:
    """A text and its lower-cased form, with the same offsets."""

    original: str
    folded: str

    @classmethod
    def of(cls, text: str) -> Text:
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

    def phrases(self, text: str | Text, *, first_only: bool = False) -> list[str]:
        """Phrases matched outside excluded spans, in text order, whitespace collapsed,
        deduplicated; where two patterns overlap, the earlier and longer match wins."""
        hay = text if isinstance(text, Text) else Text.of(text)
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


def _matches(pattern: Pattern, hay: Text) -> Iterator[tuple[int, int]]:
    text = hay.folded if pattern.folded else hay.original
    if pattern.literal not in text:
        return
    for match in pattern.regex.finditer(text):
        start = match.start()
        # whole words: the regex ends with (?!\w); the start is checked here, since a leading
        # look-behind would switch off the regex engine's fast literal search
        if start == 0 or not _WORD.match(hay.original, start - 1):
            yield start, match.end()
