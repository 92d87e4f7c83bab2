"""Precision, recall and F1 of tagging against labelled cases, per dimension and micro-averaged."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from observatory.dimensions import KEYS


@dataclass(frozen=True)
class Score:
    """Precision, recall and F1 of one dimension (or of all, micro-averaged)."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(pairs: Iterable[tuple[Collection[str], Collection[str]]]) -> dict[str, Score]:
    """Per-dimension and ``"micro"`` scores of (expected, got) dimension sets."""
    counts = {key: [0, 0, 0] for key in KEYS}
    for expected, got in pairs:
        for key in KEYS:
            row = counts[key]
            row[0] += key in expected and key in got
            row[1] += key in got and key not in expected
            row[2] += key in expected and key not in got
    scores = {key: Score(*row) for key, row in counts.items()}
    scores["micro"] = Score(*(sum(s) for s in zip(*counts.values(), strict=True)))
    return scores
