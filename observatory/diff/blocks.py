"""Block level: match old blocks to new ones and say, in document order, what happened to each.

How blocks are matched (old -> new):

1. **Anchors.** A block whose anchor (EUR-Lex ``art_5``, ``005.001``, ``rct_12``) occurs exactly
   once in each document is matched to its namesake.
2. **Exact alignment.** The block sequences are aligned on their keys (the anchor, or else the
   normalised text) with a C-backed LCS (``rapidfuzz.distance.Indel``).
3. **Moves.** A block left over on both sides with the same key was moved: no change (an
   anchored block that moved *and* changed is one "modified", shown where it now stands).
4. **Reflow.** A non-equal region whose words, read as one stream, are the same on both sides
   was only re-wrapped or re-cut (a page redesign): no change.
5. **Similarity.** Inside each remaining region old and new blocks are paired
   (``observatory.diff.pairing``); unpaired old blocks are "removed", unpaired new ones "added".

A matched pair (or group) whose words differ becomes "modified" with its word ops
(``observatory.diff.words``); one that differs only by noise or wrapping is no change.
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from collections.abc import Iterator, Sequence

from observatory.diff import units
from observatory.diff._model import Change
from observatory.diff.headings import heading_changes
from observatory.diff.pairing import align, pair
from observatory.diff.runs import runs
from observatory.diff.sides import Event, Side, Words, joined, joined_masked
from observatory.diff.units import borrow_locations
from observatory.diff.words import word_ops
from observatory.document import Block
from observatory.noise import may_hold_noise, normalise_text

_LAST = sys.maxsize


def diff_blocks(
    old_blocks: Sequence[Block], new_blocks: Sequence[Block], *, headings: bool = False
) -> list[Change]:
    """Change runs, in document order, from *old_blocks* to *new_blocks*; with *headings*,
    first the headings renamed, added or removed above unchanged blocks (``headings``)."""
    words = Words()
    norms: dict[str, str] = {}  # most texts recur in the other version: normalise them once
    old_blocks, new_blocks = borrow_locations(list(old_blocks), list(new_blocks))
    olds = [Side(b, norm, words) for b in old_blocks if (norm := _normalised(b.text, norms))]
    news = [Side(b, norm, words) for b in new_blocks if (norm := _normalised(b.text, norms))]
    olds, found = units.align(olds, news)
    (old_keys, new_keys), (old_moving, new_moving) = _keys(olds, news, found)
    steps = align(old_keys, new_keys)
    moved_out, moved_in = _moves(steps, old_moving, new_moving, olds)
    markers = units.renumbered(found, words)
    events: list[Event] = []
    relocated: list[tuple[Block, Block]] = []  # unchanged blocks now under other headings
    for equal, i1, i2, j1, j2 in steps:
        if markers:
            events += [markers[j] for j in sorted(markers) if j1 <= j < j2]
        if equal:  # equal keys: equal texts, or anchored blocks whose text may differ
            events += _equal_run(olds, news, (i1, i2, j1), relocated if headings else None)
            continue
        for a1, a2, b1, b2 in _chunks((i1, i2, j1, j2), found):
            region_old = olds[a1:a2]
            if moved_out:
                region_old = [s for i, s in enumerate(region_old, a1) if i not in moved_out]
            events.extend(_region(region_old, b1, news[b1:b2], moved_in))
    changes = runs(_without_needless(events, markers) if markers else events)
    return heading_changes(relocated) + changes if relocated else changes


def _equal_run(
    olds: list[Side],
    news: list[Side],
    run: tuple[int, int, int],
    relocated: list[tuple[Block, Block]] | None,
) -> list[Event]:
    """Events of a run of equal keys: anchored blocks whose text changed are modified; with
    *relocated*, unchanged first blocks of a section are collected (their heading may differ)."""
    i1, i2, j1 = run
    events = [Event("same")]
    for i in range(i1, i2):
        old, new = olds[i], news[j1 + i - i1]
        if old.norm != new.norm:
            events += [group_event([old], [new]), Event("same")]
        elif (
            relocated is not None
            and _first_of_section(olds, i)
            and _first_of_section(news, j1 + i - i1)
        ):
            relocated.append((old.block, new.block))
    return events


def _first_of_section(sides: list[Side], k: int) -> bool:
    """Is block *k* the first under its location (the block after a heading)?"""
    return k == 0 or sides[k - 1].block.location != sides[k].block.location


Keys = tuple[list[int], list[int]]


def _keys(olds: list[Side], news: list[Side], found: units.Renumbering) -> tuple[Keys, Keys]:
    """The blocks' keys for the alignment and for moves (old keys, new keys each): a unique
    anchor, or else the normalised text. In a legal text (unit slots, see ``units``) a block
    aligns only with blocks of its slot, and moves only inside its slot too when it is in an
    article, recital or annex: a heading between articles may move anywhere."""
    anchors = _unique_anchors(olds) & _unique_anchors(news)
    interned: dict[object, int] = {}  # an anchor as a 1-tuple: never a text
    old_keys, new_keys = [
        [
            interned.setdefault(
                (s.block.anchor,) if s.block.anchor in anchors else s.norm, len(interned)
            )
            for s in side
        ]
        for side in (olds, news)
    ]
    if not found.old_slots:
        return (old_keys, new_keys), (old_keys, new_keys)
    aligned: list[list[int]] = []
    moving: list[list[int]] = []
    for sides, slots, keys in (
        (olds, found.old_slots, old_keys),
        (news, found.new_slots, new_keys),
    ):
        slotted = [
            interned.setdefault(pair, len(interned)) for pair in zip(slots, keys, strict=True)
        ]
        aligned.append(slotted)
        moving.append(
            [
                slot_key if units.in_unit(side.block.location) else key
                for side, slot_key, key in zip(sides, slotted, keys, strict=True)
            ]
        )
    return (aligned[0], aligned[1]), (moving[0], moving[1])


def _moves(
    steps: list[tuple[bool, int, int, int, int]],
    old_keys: list[int],
    new_keys: list[int],
    olds: list[Side],
) -> tuple[set[int], dict[int, Side]]:
    """Moves: a key left over on both sides, matched across regions (old positions moved out,
    new position -> the old side moved in)."""
    waiting: dict[int, list[int]] = {}
    for equal, _, _, j1, j2 in steps:
        if not equal:
            for j in range(j1, j2):
                waiting.setdefault(new_keys[j], []).append(j)
    moved_out: set[int] = set()
    moved_in: dict[int, Side] = {}
    if waiting:
        for equal, i1, i2, _, _ in steps:
            if not equal:
                for i in range(i1, i2):
                    if waiting.get(old_keys[i]):
                        moved_in[waiting[old_keys[i]].pop(0)] = olds[i]
                        moved_out.add(i)
    return moved_out, moved_in


def _chunks(
    region: tuple[int, int, int, int], found: units.Renumbering
) -> Iterator[tuple[int, int, int, int]]:
    """A non-equal region cut where its blocks change unit slot (old and new slots both rise),
    so that blocks are paired only inside a unit and its partner."""
    i1, i2, j1, j2 = region
    old_slots, new_slots = found.old_slots, found.new_slots
    if not old_slots:
        yield region
        return
    a, b = i1, j1
    while a < i2 or b < j2:
        slot = min(old_slots[a] if a < i2 else _LAST, new_slots[b] if b < j2 else _LAST)
        a2 = bisect_right(old_slots, slot, a, i2)
        b2 = bisect_right(new_slots, slot, b, j2)
        yield a, a2, b, b2
        a, b = a2, b2


def _without_needless(events: list[Event], markers: dict[int, Event]) -> list[Event]:
    """*events* without the renumbering markers of units that have changes of their own (their
    locations already show the renumbering)."""
    changed = {
        (e.news or e.olds)[0].block.location.split(" > ", 1)[0]
        for e in events
        if e.kind != "same" and not e.note and (e.news or e.olds)
    }
    needless = {id(m) for m in markers.values() if m.news[0].block.location in changed}
    kept: list[Event] = []
    for e in events:
        if id(e) in needless:
            continue
        if e.note:  # a marker stands alone: never merged into a neighbouring run
            kept += [Event("same"), e, Event("same")]
        else:
            kept.append(e)
    return kept


def _normalised(text: str, seen: dict[str, str]) -> str:
    norm = seen.get(text)
    if norm is None:
        norm = seen[text] = normalise_text(text)
    return norm


def _unique_anchors(sides: list[Side]) -> set[str]:
    count: dict[str, int] = {}
    for s in sides:
        if anchor := s.block.anchor:
            count[anchor] = count.get(anchor, 0) + 1
    return {a for a, n in count.items() if n == 1}


def group_event(olds: list[Side], news: list[Side]) -> Event:
    """ "modified" with its word ops, or "same" when only noise or wrapping differs."""
    if _same_characters(joined(olds), joined(news)):
        return Event("same", olds, news)  # carries its blocks: they are used
    ops = word_ops(olds, news, masked=False)
    edited = " ".join([text for tag, text in ops if tag != "="])
    if may_hold_noise(edited) and any(s.spans for s in (*olds, *news)):
        if joined_masked(olds) == joined_masked(news):
            return Event("same", olds, news)  # carries its blocks: they are used
        ops = word_ops(olds, news, masked=True)
    return Event("modified", olds, news, ops)


def _same_characters(old: str, new: str) -> bool:
    """Equal, or equal but for where spaces fall ("high- risk" / "high-risk", words cut by a
    PDF conversion): not a change a reader would want."""
    if old == new:
        return True
    if len(old) - old.count(" ") != len(new) - new.count(" "):
        return False
    return old.replace(" ", "") == new.replace(" ", "")


def _region(
    olds: list[Side], j0: int, all_news: list[Side], moved_in: dict[int, Side]
) -> list[Event]:
    """Events of one non-equal region (new blocks from position *j0*), in document order."""
    news = [s for j, s in enumerate(all_news, j0) if j not in moved_in] if moved_in else all_news
    if joined(olds) == joined(news):
        return [Event("same")]  # reflow: the same words, cut or wrapped differently
    if not olds and len(news) == len(all_news):  # only insertions
        return [*(Event("added", news=[s]) for s in news), Event("same")]
    if not news:
        return [
            *(group_event([moved_in[j]], [s]) for j, s in enumerate(all_news, j0)),
            *(Event("removed", [s]) for s in olds),
            Event("same"),
        ]
    # Each event is placed at (position among new blocks, moved-in first, position among old
    # blocks or None); unpaired blocks become "removed"/"added" just before the next one.
    placed: list[tuple[int, int, int | None, Event]] = []
    used_old: set[int] = set()
    used_new: set[int] = set()
    for gi, gj in pair(olds, news):
        used_old.update(gi)
        used_new.update(gj)
        placed.append((gj[0], 1, gi[0], group_event([olds[i] for i in gi], [news[j] for j in gj])))
    if len(news) < len(all_news):
        before = 0
        for j, s in enumerate(all_news, j0):
            if j in moved_in:
                placed.append((before, 0, None, group_event([moved_in[j]], [s])))
            else:
                before += 1
    placed.sort(key=lambda p: (p[0], p[1]))
    placed.append((len(news), 2, len(olds), Event("same")))
    events: list[Event] = []
    oi = ni = 0
    for new_pos, _, old_pos, event in placed:
        if old_pos is not None:
            events += [Event("removed", [olds[i]]) for i in range(oi, old_pos) if i not in used_old]
            oi = max(oi, old_pos)
        events += [Event("added", news=[news[j]]) for j in range(ni, new_pos) if j not in used_new]
        ni = max(ni, new_pos)
        events.append(event)
    return events
