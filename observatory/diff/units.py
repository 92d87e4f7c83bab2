"""Numbered units of legal texts (articles, recitals, annexes) followed across versions.

A block's unit is the first part of its location when that is an article, recital, annex or
citation with its number (``Article 71 > 2`` is in ``Article 71``). Between two versions:

1. **Labels through anchors.** A block without a location (the Parliament's column of an
   amendment table) takes the location that the other version gives its anchor (the target of
   the same amendment in the Commission's column).
2. **Pairing by content** (``observatory.diff.unit_pairs``): old and new units are paired by
   their anchors, then by the similarity of their texts, numbers kept winning ties. A pair with
   two numbers is a renumbering.
3. **Locations.** Both sides of a renumbered unit are located under the new number with the old
   shown: ``Article 99 (was Article 71) > 2``; an old unit paired with nobody whose number now
   names another unit says so: ``Article 4 (old numbering)``. So no label means two things.
4. **Order and slots.** The old blocks are put in the order of the new units they were paired
   with, and every block gets a slot: the new position of its unit (or of the unit before it).
   The block diff (``observatory.diff.blocks``) aligns and pairs blocks only within a slot, so
   it compares a moved unit with its new self, and never with a neighbour that happens to share
   a sentence; a block of a unit that moved to another unit is removed there and added here.

A renumbered unit whose text did not change yields no block change: ``renumbered`` gives the
events that report it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from observatory.diff.sides import Event, Side, Words
from observatory.diff.unit_pairs import LABEL, Units, pair_units, unit_of
from observatory.document import Block

_SHOWN = re.compile(rf"^({LABEL})(?: \(was ({LABEL})\))?(?: \(old numbering\))?(?= >|$)")
OLD_NUMBERING = "(old numbering)"


def borrow_locations(olds: list[Block], news: list[Block]) -> tuple[list[Block], list[Block]]:
    """Blocks without a location located where the other version puts their anchor."""

    def placed(blocks: list[Block]) -> dict[str, str]:
        out: dict[str, str] = {}
        for b in blocks:
            if b.anchor and b.location:
                out.setdefault(b.anchor, b.location)
        return out

    def lent(blocks: list[Block], where: dict[str, str]) -> list[Block]:
        return [
            replace(b, location=where[b.anchor])
            if not b.location and b.anchor and b.anchor in where
            else b
            for b in blocks
        ]

    if not any(not b.location and b.anchor for b in (*olds, *news)):
        return olds, news
    return lent(olds, placed(news)), lent(news, placed(olds))


@dataclass
class Renumbering:
    """The outcome of ``align``: renumbered pairs (old label, new label, new position of the
    unit's first block) and each block's slot: the new position of the unit it belongs to
    (sorted on both sides), so that the block diff compares a unit only with its partner."""

    moved: list[tuple[str, str, int]] = field(default_factory=list)
    old_slots: list[int] = field(default_factory=list)
    new_slots: list[int] = field(default_factory=list)


def _relabel(side: Side, label: str) -> None:
    location = side.block.location
    side.block = replace(side.block, location=label + location[len(unit_of(location) or "") :])


def align(olds: list[Side], news: list[Side]) -> tuple[list[Side], Renumbering]:
    """Old sides relabelled and reordered after their new units; the renumberings found and the
    slot of every block (see ``Renumbering``)."""
    old, new = Units(olds), Units(news)
    found = Renumbering()
    if not old.at or not new.at:
        return olds, found
    pairs = pair_units(old, new)
    for a, b in pairs.items():
        if a != b:
            shown = f"{b} (was {a})"
            for i in old.at[a]:
                _relabel(olds[i], shown)
            for j in new.at[b]:
                _relabel(news[j], shown)
            found.moved.append((a, b, new.at[b][0]))
    for a in old.at.keys() - pairs.keys():
        if a in new.at:
            for i in old.at[a]:
                _relabel(olds[i], f"{a} {OLD_NUMBERING}")
    found.new_slots = _slots(len(news), new, {b: new.at[b][0] for b in new.at}, True)
    old_slots = _slots(len(olds), old, {a: new.at[b][0] for a, b in pairs.items()}, False)
    order = sorted(range(len(olds)), key=lambda i: (old_slots[i], i))
    found.old_slots = [old_slots[i] for i in order]
    return [olds[i] for i in order], found


def _slots(count: int, units: Units, place: dict[str, int], rising: bool) -> list[int]:
    """Each block's slot: the new position of its unit (of the unit before it, for a block
    outside units or in a unit paired with nothing); if *rising*, never below the slot before
    (the new version's blocks, kept in their order)."""
    unit_at = {i: label for label, positions in units.at.items() for i in positions}
    slots: list[int] = []
    current = -1
    for i in range(count):
        label = unit_at.get(i)
        if label is not None and label in place:
            current = max(current, place[label]) if rising else place[label]
        slots.append(current)
    return slots


@lru_cache(maxsize=8192)
def in_unit(location: str) -> bool:
    """Whether *location* (as ``align`` leaves it) is in an article, recital, annex or citation."""
    return _SHOWN.match(location) is not None


def across(old: str, new: str) -> str:
    """The location of a block edited from *old* (a location) to *new*: *new*, or when the old
    block came from another unit than the one *new* stands for, ``Article 9 (was Article 7)``."""
    o, n = _SHOWN.match(old), _SHOWN.match(new)
    if not o or not new:
        return new
    origin = o.group(2) or o.group(1)
    if not n:  # from an article to a place outside any: "Title IVA (was Article 52a)"
        first, sep, rest = new.partition(" > ")
        return f"{first} (was {origin}){sep}{rest}"
    if origin == (n.group(2) or n.group(1)):
        return new
    return f"{n.group(1)} (was {origin}){new[n.end() :]}"


def renumbered(found: Renumbering, words: Words) -> dict[int, Event]:
    """New position -> the event reporting a renumbering, for each unit renumbered."""
    events: dict[int, Event] = {}
    for a, b, j in found.moved:
        location = f"{b} (was {a})"
        old = Side(Block(a, location), a, words)
        new = Side(Block(b, location), b, words)
        events[j] = Event("modified", [old], [new], [("-", a), ("+", b)], note="renumbered")
    return events
