"""Scores a diff of two AI Act versions against the independent splitter (``legal_units``).

* **Article locations.** The articles and annexes that really changed are those whose words
  differ between the two versions under the same label (or that exist in one version only). The
  articles and annexes the diff reports are read from its changes' locations: ``Article 5 > 1``
  names Article 5; ``Article 99 (was Article 71)`` names Article 99 of the new version and
  Article 71 of the old; ``Article 4 (old numbering)`` names Article 4 of the old version;
  ``Title IVA (was Article 52a)`` names Article 52a of the old version and no article of the
  new.
  Precision and recall compare the two sets.
* **Labels.** A change is labelled correctly when each of its new texts is found, word for word,
  in the unit its label names in the new version, and each of its old texts in the unit named in
  the old version; a change labelled outside any article, annex, recital or citation (a chapter
  heading, the signatures) must have its text outside all of them. Every change is checked (the
  issue asked for a sample of at least 100 per pair: all of them is a larger sample).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.realdata.legal_units import Unit, by_label, is_unit, units, words

AI_ACT = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "ai-act"
VERSIONS = AI_ACT / "versions"
PROPOSAL = "2021-04-21_COM-2021-206_commission_proposal.md"
SI = "2021-11-29_council_SI-presidency_compromise_art1-7.md"
FR = "2022-06-15_council_FR-presidency_consolidated.md"
CZ1 = "2022-07-15_council_CZ-presidency_1st_proposal.md"
CZ2 = "2022-11-03_council_CZ_draft_for_coreper.md"
GA = "2022-12-06_council_general_approach_ST-15698-2022.md"
EP_LEFT = "2023-06-14_EP_amendments_TA-9-2023-0236_left-column_COM-text.txt"
EP_RIGHT = "2023-06-14_EP_amendments_TA-9-2023-0236_right-column_EP-text.txt"
FINAL = "../final-2024-1689.txt"

PAIRS: list[tuple[str, str, str]] = [
    ("proposal -> SI compromise", PROPOSAL, SI),
    ("SI compromise -> FR consolidated", SI, FR),
    ("FR consolidated -> CZ 1st proposal", FR, CZ1),
    ("CZ 1st proposal -> CZ for Coreper", CZ1, CZ2),
    ("CZ for Coreper -> general approach", CZ2, GA),
    ("proposal -> general approach", PROPOSAL, GA),
    ("EP left -> right column", EP_LEFT, EP_RIGHT),
    ("general approach -> final act", GA, FINAL),
]

_UNIT = r"(Article|Annex|Recital|Citation) (-?\w+)"
_LOCATION = re.compile(rf"^{_UNIT}(?: \(was {_UNIT}\))?( \(old numbering\))?(?: >|$)")
_WAS = re.compile(rf" \(was {_UNIT}\)$")
OTHER = "other"


def path_of(name: str) -> Path:
    return (VERSIONS / name).resolve()


def labels_of(location: str) -> tuple[str, str]:
    """(label in the new version, label in the old version) that a change's location names;
    ``other`` for a location outside any article, annex, recital or citation."""
    m = _LOCATION.match(location)
    if not m:
        was = _WAS.search(location.split(" > ", 1)[0])
        return OTHER, f"{was[1]} {was[2]}" if was else OTHER
    first = f"{m[1]} {m[2]}"
    if m[3]:
        return first, f"{m[3]} {m[4]}"
    if m[5]:
        return OTHER, first
    return first, first


def _scored(label: str) -> bool:
    return label.startswith(("Article ", "Annex "))


@dataclass
class Version:
    units: list[Unit]
    words: dict[str, list[str]] = field(init=False)
    joined: dict[str, str] = field(init=False)
    outside: str = field(init=False)

    def __post_init__(self) -> None:
        self.words = by_label(self.units)
        self.joined = {k: f" {' '.join(v)} " for k, v in self.words.items() if is_unit(k)}
        rest = [w for k, v in self.words.items() if not is_unit(k) for w in v]
        self.outside = f" {' '.join(rest)} "

    def holds(self, label: str, text: str) -> bool:
        if text == label:  # a renumbering's text is the unit's number itself
            return label in self.joined
        needle = " ".join(words(text))
        if not needle:
            return True
        haystack = self.outside if label == OTHER else self.joined.get(label, "")
        return f" {needle} " in haystack


def load(name: str) -> Version:
    return Version(units(path_of(name)))


def changed_labels(old: Version, new: Version) -> set[str]:
    """Articles and annexes whose words differ between the versions (or exist in one only)."""
    labels = {k for k in (*old.words, *new.words) if _scored(k)}
    return {k for k in labels if old.words.get(k) != new.words.get(k)}


def reported_labels(changes: Iterable[Any]) -> set[str]:
    out: set[str] = set()
    for change in changes:
        new_label, old_label = labels_of(change.location)
        if change.kind != "removed":
            out.add(new_label)
        if change.kind != "added":
            out.add(old_label)
    return {k for k in out if _scored(k)}


def label_ok(change: Any, old: Version, new: Version) -> bool:
    new_label, old_label = labels_of(change.location)
    return all(new.holds(new_label, t) for t in change.added) and all(
        old.holds(old_label, t) for t in change.removed
    )


@dataclass
class Score:
    changes: int
    truth: int
    reported: int
    precision: float
    recall: float
    labels_ok: int
    renumbered: int
    missed: list[str]
    spurious: list[str]
    mislabelled: list[Any]

    @property
    def label_rate(self) -> float:
        return self.labels_ok / self.changes if self.changes else 1.0


def score(changes: list[Any], old: Version, new: Version) -> Score:
    truth = changed_labels(old, new)
    reported = reported_labels(changes)
    hit = truth & reported
    bad = [c for c in changes if not label_ok(c, old, new)]
    return Score(
        changes=len(changes),
        truth=len(truth),
        reported=len(reported),
        precision=len(hit) / len(reported) if reported else 1.0,
        recall=len(hit) / len(truth) if truth else 1.0,
        labels_ok=len(changes) - len(bad),
        renumbered=sum(1 for c in changes if " (was " in c.location),
        missed=sorted(truth - reported),
        spurious=sorted(reported - truth),
        mislabelled=bad,
    )
