"""Which article, recital or annex of the old version is which of the new one: pairing numbered
units by content (used by ``observatory.diff.units``).

Two units of one number whose blocks share an anchor are one unit (EUR-Lex ids; the two columns
of an amendment table). Other units are paired by the similarity of their whole texts
(word-level ``fuzz.ratio``, best pairs first; a unit keeping its number wins ties by
``SAME_NUMBER_BONUS``; a text ``REWRITTEN`` beyond recognition is still its namesake under an
alike title). Two units of one number paired with nobody else are one unit rewritten, unless
their texts and titles are both unrelated (then the number names another unit now).

Cost control: a unit whose blocks are unchanged is its namesake at once; a unit ``SURE`` of its
namesake is compared with no other; the others are compared first by their openings and only
the ``SHORTLIST`` best by their whole texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from observatory.diff.sides import Side

LABEL = r"(?:Article|Recital|Annex|Citation) -?[0-9IVXLC]+[a-z]*"
_UNIT = re.compile(rf"^{LABEL}(?= >|$)")
SAME_NUMBER_BONUS = 15.0  # added to a pair's ratio when both units have the same number
UNIT_RATIO = 50.0  # word-level ratio from which two units are one unit (renumbered or not)
UNIT_CONTAINED = 0.8  # ... or this share of the shorter unit's words in the longer one,
UNIT_SPREAD = 3.0  # ... when the longer is at most this many times as long
SURE = UNIT_RATIO  # a unit this alike to its namesake is not compared with other units
REWRITTEN = 25.0  # texts less alike than this are unrelated, whatever their titles
PLACEHOLDER = 3  # a unit of at most this many words ("[deleted]") is a placeholder
TITLE_ALIKE = 90.0  # titles (first blocks) this alike make one unit of texts not unrelated
TITLE_KEPT = 50.0  # ... and of one number, texts however unrelated ("Subject matter`")
OPENING = 64  # words of a unit's opening, compared first to shortlist its possible partners
SHORTLIST = 16  # units of the shortlist whose whole texts are compared


@lru_cache(maxsize=8192)  # locations recur across blocks and polls
def unit_of(location: str) -> str | None:
    match = _UNIT.match(location)
    return match.group(0) if match else None


@dataclass
class Units:
    """The units of one version: label -> positions of its sides, in order of appearance."""

    sides: list[Side]
    at: dict[str, list[int]] = field(default_factory=dict)
    _ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, side in enumerate(self.sides):
            if label := unit_of(side.block.location):
                self.at.setdefault(label, []).append(i)

    def ids(self, label: str) -> str:
        """The unit's word string (its blocks' word strings joined)."""
        ids = self._ids.get(label)
        if ids is None:
            ids = self._ids[label] = "".join([self.sides[i].ids for i in self.at[label]])
        return ids

    def size(self, label: str) -> int:
        """The unit's number of words."""
        return sum([self.sides[i].word_count for i in self.at[label]])

    def anchors(self, label: str) -> set[str]:
        return {a for i in self.at[label] if (a := self.sides[i].block.anchor)}

    def title(self, label: str) -> str:
        """The word string of the unit's first block (an article's title, when it has one)."""
        return self.sides[self.at[label][0]].ids


def _kind(label: str) -> str:
    return label.split(" ", 1)[0]


def _alike(a: int, b: int, ratio: float) -> bool:
    """Whether two units of *a* and *b* words, *ratio* alike, are alike enough to be one."""
    if ratio >= UNIT_RATIO:
        return True
    short, long = sorted((a, b))
    common = ratio * (a + b) / 200
    return long <= UNIT_SPREAD * short and common >= UNIT_CONTAINED * short


def _one_unit(old: Units, new: Units, a: str, b: str, ratio: float) -> bool:
    """Whether old unit *a* and new unit *b* (texts *ratio* alike) are one unit: alike texts,
    or texts not unrelated (``REWRITTEN``) under alike titles (their first blocks)."""
    if _alike(old.size(a), new.size(b), ratio):
        return True
    return ratio >= REWRITTEN and fuzz.ratio(old.title(a), new.title(b)) >= TITLE_ALIKE


def _rewritten(old: Units, new: Units, label: str, ratio: float) -> bool:
    """Whether two units of one number, paired with nothing else, are one unit rewritten: texts
    not unrelated, titles alike, or one side only a placeholder ("[deleted]")."""
    if ratio >= REWRITTEN or min(old.size(label), new.size(label)) <= PLACEHOLDER:
        return True
    return fuzz.ratio(old.title(label), new.title(label)) >= TITLE_KEPT


def _namesake_ratio(old: Units, new: Units, label: str) -> float:
    """How alike the two units of one number are (0-100), as a word-level ratio: the words of
    blocks found unchanged in both, plus the common words (LCS) of the others. Only the changed
    blocks' word strings are needed, which the block diff needs anyway."""
    olds = [old.sides[i] for i in old.at[label]]
    news = [new.sides[j] for j in new.at[label]]
    if len(olds) == len(news) and all(a.norm == b.norm for a, b in zip(olds, news, strict=True)):
        return 100.0  # most units of consecutive versions
    old_texts, new_texts = {s.norm for s in olds}, {s.norm for s in news}
    shared = sum(s.word_count for s in olds if s.norm in new_texts)
    total = sum(s.word_count for s in olds) + sum(s.word_count for s in news)
    changed_old = "".join([s.ids for s in olds if s.norm not in new_texts])
    changed_new = "".join([s.ids for s in news if s.norm not in old_texts])
    common = shared + LCSseq.similarity(changed_old, changed_new)
    return 200.0 * common / total


def _renumbered_candidates(old: Units, new: Units, sure: set[str]) -> list[tuple[float, str, str]]:
    """(ratio, old label, new label) of units of two numbers that are one unit. Each old unit
    not ``SURE`` of its namesake is compared with the new units of its kind that are not either:
    first by their openings (``OPENING`` words: a unit's title and first lines), then, for the
    ``SHORTLIST`` best, by their whole texts."""
    found: list[tuple[float, str, str]] = []
    open_new: dict[str, tuple[list[str], list[str]]] = {}  # kind -> (labels, openings)
    for label in old.at:
        kind = _kind(label)
        if label in sure:
            continue
        if kind not in open_new:
            labels = [n for n in new.at if n not in sure and _kind(n) == kind]
            open_new[kind] = labels, [new.ids(n)[:OPENING] for n in labels]
        labels, openings = open_new[kind]
        query = old.ids(label)
        shortlist = process.extract(query[:OPENING], openings, scorer=fuzz.ratio, limit=SHORTLIST)
        for _, _, k in shortlist:
            ratio = fuzz.ratio(query, new.ids(labels[k]), score_cutoff=REWRITTEN)
            if ratio and labels[k] != label and _one_unit(old, new, label, labels[k], ratio):
                found.append((ratio, label, labels[k]))
    return found


def pair_units(old: Units, new: Units) -> dict[str, str]:
    """Old label -> new label, best pairs first (see the module's docstring)."""
    candidates: list[tuple[float, str, str]] = []
    sure: set[str] = set()
    ratios = {label: _namesake_ratio(old, new, label) for label in old.at.keys() & new.at.keys()}
    for label, ratio in ratios.items():
        if old.anchors(label) & new.anchors(label):  # one place by its anchors: one unit
            candidates.append((1000.0, label, label))
            sure.add(label)
        elif _alike(old.size(label), new.size(label), ratio):
            candidates.append((ratio + SAME_NUMBER_BONUS, label, label))
            if ratio >= SURE:
                sure.add(label)
    candidates += _renumbered_candidates(old, new, sure)
    candidates.sort(key=lambda c: -c[0])
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for _, a, b in candidates:
        if a not in pairs and b not in taken:
            pairs[a] = b
            taken.add(b)
    for label, ratio in ratios.items():  # much rewritten, same number: still one unit
        if label not in pairs and label not in taken and _rewritten(old, new, label, ratio):
            pairs[label] = label
    return pairs
