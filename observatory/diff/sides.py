"""Blocks prepared for comparison: normalised once, words interned as characters, noise found
lazily; and the events (same, added, removed, modified) that the block diff produces.

A block's *word string* (``Side.ids``) holds one character per word, so that rapidfuzz compares
word sequences as strings (one C call per comparison). Only equality of characters matters:
which character a word gets is arbitrary, so words are interned in whatever order they come.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Literal

from observatory.diff._model import Op
from observatory.document import Block
from observatory.noise import Span, apply_spans, noise_spans


class Words:
    """Interns words as single characters, in order of first sight from code point 0 and
    skipping surrogates: room for ~1.1M distinct words. The frequent words, met first, get
    characters below 256, for which rapidfuzz uses direct tables rather than a hash map. A new
    word gets its character from a C-level callable: encoding a word list runs no Python
    frame per word."""

    def __init__(self) -> None:
        codes = itertools.chain(range(0xD800), itertools.count(0xE000))
        self.chars: defaultdict[str, str] = defaultdict(map(chr, codes).__next__)

    def encode(self, words: list[str]) -> str:
        if not words:
            return ""
        # itemgetter looks all words up in one C call (a 1-word lookup gives a 1-char str)
        return "".join(itemgetter(*words)(self.chars))


@dataclass(eq=False, slots=True)
class Side:
    """One block: normalised text, and lazily its words, word string and noise spans."""

    block: Block
    norm: str
    words: Words
    _split: list[str] | None = None
    _ids: str | None = None
    _spans: list[Span] | None = None
    _masked: str | None = None

    @property
    def split(self) -> list[str]:
        """The words of ``norm`` (single spaces: ``norm.split(" ")``); do not mutate."""
        if self._split is None:
            self._split = self.norm.split(" ")
        return self._split

    @property
    def ids(self) -> str:
        if self._ids is None:
            self._ids = self.words.encode(self.split)
        return self._ids

    def opening(self, count: int) -> str:
        """The word string of the first *count* words (``ids[:count]``)."""
        if self._ids is not None:
            return self._ids[:count]
        return self.words.encode(self.norm.split(" ", count)[:count])

    @property
    def word_count(self) -> int:
        return len(self._ids) if self._ids is not None else self.norm.count(" ") + 1

    @property
    def spans(self) -> list[Span]:
        if self._spans is None:
            self._spans = noise_spans(self.norm)
        return self._spans

    @property
    def masked(self) -> str:
        if self._masked is None:
            self._masked = apply_spans(self.norm, self.spans) if self.spans else self.norm
        return self._masked

    def tokens(self) -> tuple[list[str], list[str]]:
        """(comparison keys, shown words); a noise span is one word keyed by its placeholder."""
        if not self.spans:
            return self.split, self.split
        keys: list[str] = []
        shown: list[str] = []
        pos = 0
        for start, end, placeholder in self.spans:
            words = self.norm[pos:start].split()
            keys += [*words, placeholder.strip()]
            shown += [*words, self.norm[start:end].strip()]
            pos = end
        words = self.norm[pos:].split()
        return keys + words, shown + words


@dataclass(eq=False, slots=True)
class Event:
    kind: Literal["added", "removed", "modified", "same"]
    olds: list[Side] = field(default_factory=list)
    news: list[Side] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    note: str = ""  # a title of its own ("renumbered") instead of the summary of its ops


def joined(sides: list[Side]) -> str:
    """The normalised texts of *sides* as one text."""
    return sides[0].norm if len(sides) == 1 else " ".join([s.norm for s in sides])


def joined_masked(sides: list[Side]) -> str:
    return sides[0].masked if len(sides) == 1 else " ".join([s.masked for s in sides])


def joined_ids(sides: list[Side]) -> str:
    return sides[0].ids if len(sides) == 1 else "".join([s.ids for s in sides])
