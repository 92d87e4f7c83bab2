"""Two Documents -> the list of Changes a reader cares about: blocks first, then words.

How blocks are matched (old -> new):

1. **Anchors.** A block whose anchor (EUR-Lex ``art_5``, ``005.001``, ``rct_12``) occurs exactly
   once in each document is matched to its namesake.
2. **Exact alignment.** The block sequences are aligned on their keys (the anchor, or else the
   normalised text) with a C-backed LCS (``rapidfuzz.distance.Indel``).
3. **Moves.** A block left over on both sides with the same key was moved: no change (an
   anchored block that moved *and* changed is one "modified", shown where it now stands).
4. **Reflow.** A non-equal region whose words, read as one stream, are the same on both sides
   was only re-wrapped or re-cut (a page redesign): no change.
5. **Similarity.** Inside each remaining non-equal region, old and new blocks are paired by
   ``rapidfuzz.fuzz.ratio`` over their word sequences: a pair is one block edited when the ratio
   is >= ``PAIR_THRESHOLD`` (55), or when ``CONTAINED`` (80%) of the shorter block's words are in
   the longer one (a paragraph that grew a lot). Best pairs are taken first; a pair then absorbs
   free neighbouring blocks on either side while that raises the ratio (a paragraph split in
   two, or two merged into one, is one "modified"). Leftover short blocks that are equal once
   noise is masked pair too. Unpaired old blocks are "removed", unpaired new ones "added".
   Cost control: each old block is first compared with the new blocks at its own relative
   position (+-2) and looks further only if none reaches ``PAIR_SURE``; a region with more than
   ``PAIR_FULL`` old x new pairs is first cut at blocks that keep their opening words, and what
   is still too big compares only blocks within ``PAIR_BAND`` positions of its diagonal (a
   block edited *and* moved far is then "removed" + "added").

Then **words**: inside a modified block the word lists are aligned (Indel opcodes), a noise span
(stamp, token; see ``observatory.noise``) counting as one word compared by its placeholder, so a
block that differs only by noise yields no change. ``diff`` ops are word runs to be joined with
single spaces; ``=`` runs show the new wording; in a run of several modified blocks the blocks
are separated by an ``("=", "\\n")`` op.

**Runs.** Consecutive changes of the same kind and the same location merge into one Change
(an unchanged or moved block between them breaks the run). **Items** of listings and feeds are
matched by ``Item.key``: one Change per new, removed or modified item (title or summary changed;
a change of the date alone is noise), location ``"Items"``.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from observatory.document import Block, Document, Item
from observatory.noise import (
    Span,
    apply_spans,
    mask_noise,
    may_hold_noise,
    noise_spans,
    normalise_text,
)

Kind = Literal["added", "removed", "modified"]
Op = tuple[str, str]
Group = tuple[list[int], list[int]]  # positions of old blocks, positions of new blocks

PAIR_THRESHOLD = 55.0  # word-level fuzz.ratio (0-100) from which two blocks are one block edited
CONTAINED = 0.8  # ... or when this share of the shorter block's words is in the longer one
CONTAIN_WORDS = 8  # (containment counts for blocks of at least this many words)
CONTAIN_FLOOR = 30.0  # ratio below which containment is impossible (lengths 4.3x apart)
PAIR_SURE = 75.0  # a pair this similar near the diagonal ends the search for that block
PAIR_FULL = 10_000  # old x new block pairs compared exhaustively within one region
PAIR_BAND = 30  # beyond that, compare only blocks this close to the region's diagonal
OPENING_WORDS = 6  # big regions are first cut at blocks that keep this many opening words
NOISE_PAIR_WORDS = 12  # leftover blocks up to this long also pair when equal once masked
SNIPPET = 80


@dataclass(frozen=True)
class Change:
    kind: Kind
    location: str
    title: str
    added: list[str]
    removed: list[str]
    diff: list[tuple[str, str]]
    anchor: str | None = None
    item_link: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "location": self.location,
            "title": self.title,
            "added": list(self.added),
            "removed": list(self.removed),
            "diff": [list(op) for op in self.diff],
            "anchor": self.anchor,
            "item_link": self.item_link,
        }


def diff_documents(old: Document, new: Document) -> list[Change]:
    """Changes from *old* to *new*: block runs in document order, then listing/feed items,
    then documents (PDFs) newly linked from, or no longer linked from, the watched region."""
    return (
        _diff_blocks(old.blocks, new.blocks)
        + _diff_items(old.items, new.items)
        + _diff_links(old.links, new.links)
    )


LINKS_LOCATION = "Linked documents"


def _diff_links(old_links: Sequence[str], new_links: Sequence[str]) -> list[Change]:
    before, after = set(old_links), set(new_links)
    changes: list[Change] = []
    for link in new_links:
        if link not in before:
            name = link.rstrip("/").rsplit("/", 1)[-1] or link
            changes.append(
                Change(
                    "added",
                    LINKS_LOCATION,
                    f"New linked document: {name}",
                    added=[link],
                    removed=[],
                    diff=[("+", link)],
                    item_link=link,
                )
            )
    for link in old_links:
        if link not in after:
            name = link.rstrip("/").rsplit("/", 1)[-1] or link
            changes.append(
                Change(
                    "removed",
                    LINKS_LOCATION,
                    f"Linked document removed: {name}",
                    added=[],
                    removed=[link],
                    diff=[("-", link)],
                    item_link=link,
                )
            )
    return changes


def word_diff(old: str, new: str) -> list[Op]:
    """Word ops from *old* to *new* text: ("=", same), ("-", deleted), ("+", inserted)."""
    words = _Words()
    a = _Side(Block(old), normalise_text(old), words)
    b = _Side(Block(new), normalise_text(new), words)
    return _word_ops([a], [b]) if a.norm and b.norm else []


# -- prepared blocks -------------------------------------------------------------------------


class _Words:
    """Interns words as single characters, so rapidfuzz compares word sequences as strings."""

    def __init__(self) -> None:
        # Private-use code points and up: never a surrogate, room for ~1M distinct words.
        self.codes = itertools.count(0xE000)
        self.chars: defaultdict[str, str] = defaultdict(lambda: chr(next(self.codes)))

    def encode(self, words: list[str]) -> str:
        return "".join(map(self.chars.__getitem__, words))

    def encode_text(self, text: str) -> str:
        return "".join(map(self.chars.__getitem__, text.split(" ")))

    def encode_all(self, sides: list[_Side]) -> None:
        """Give every side its word string at once (C loops instead of one call per word)."""
        words = " ".join(s.norm for s in sides).split(" ")
        if not self.chars:
            self.chars.update(zip(dict.fromkeys(words), map(chr, self.codes), strict=False))
        encoded = self.encode(words)
        pos = 0
        for s in sides:
            end = pos + s.norm.count(" ") + 1
            s._ids = encoded[pos:end]
            pos = end


@dataclass(eq=False, slots=True)
class _Side:
    """One block: normalised text, and lazily its noise spans and its word string."""

    block: Block
    norm: str
    words: _Words
    _spans: list[Span] | None = None
    _ids: str | None = None

    @property
    def spans(self) -> list[Span]:
        if self._spans is None:
            self._spans = noise_spans(self.norm)
        return self._spans

    @property
    def masked(self) -> str:
        return apply_spans(self.norm, self.spans) if self.spans else self.norm

    @property
    def ids(self) -> str:
        if self._ids is None:
            self._ids = self.words.encode_text(self.norm)
        return self._ids

    def tokens(self) -> tuple[list[str], list[str]]:
        """(comparison keys, shown words); a noise span is one word keyed by its placeholder."""
        if not self.spans:
            words = self.norm.split(" ")
            return words, words
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
class _Event:
    kind: Literal["added", "removed", "modified", "same"]
    olds: list[_Side] = field(default_factory=list)
    news: list[_Side] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)


def _joined(sides: list[_Side], how: Literal["norm", "masked", "ids"] = "norm") -> str:
    if how == "ids":
        return "".join(s.ids for s in sides)
    return " ".join(s.masked if how == "masked" else s.norm for s in sides)


# -- block alignment -------------------------------------------------------------------------


def _opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[str, int, int, int, int]]:
    """LCS opcodes as plain tuples (tag, i1, i2, j1, j2)."""
    return Indel.opcodes(a, b).as_list()  # type: ignore[return-value]  # typed loosely upstream


def _align(old_keys: list[int], new_keys: list[int]) -> list[tuple[bool, int, int, int, int]]:
    """LCS alignment as (equal, i1, i2, j1, j2) steps, adjacent non-equal steps merged."""
    steps: list[tuple[bool, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in _opcodes(old_keys, new_keys):
        equal = tag == "equal"
        if not equal and steps and not steps[-1][0]:
            _, i1, _, j1, _ = steps.pop()
        steps.append((equal, i1, i2, j1, j2))
    return steps


def _unique_anchors(blocks: list[Block]) -> set[str]:
    count: dict[str, int] = {}
    for b in blocks:
        if b.anchor:
            count[b.anchor] = count.get(b.anchor, 0) + 1
    return {a for a, n in count.items() if n == 1}


def _diff_blocks(old_blocks: Sequence[Block], new_blocks: Sequence[Block]) -> list[Change]:
    words = _Words()
    olds = [(b, norm) for b in old_blocks if (norm := normalise_text(b.text))]
    news = [(b, norm) for b in new_blocks if (norm := normalise_text(b.text))]
    anchors = _unique_anchors([b for b, _ in olds]) & _unique_anchors([b for b, _ in news])
    interned: dict[tuple[str, str], int] = {}
    old_keys, new_keys = [
        [
            interned.setdefault(("a", b.anchor) if b.anchor in anchors else ("t", n), len(interned))
            for b, n in side
        ]
        for side in (olds, news)
    ]
    steps = _align(old_keys, new_keys)

    # Moves: a key left over on both sides, matched across regions.
    waiting: dict[int, list[int]] = {}
    for equal, _, _, j1, j2 in steps:
        for j in range(j1, j2) if not equal else ():
            waiting.setdefault(new_keys[j], []).append(j)
    moved_out: set[int] = set()
    moved_in: dict[int, _Side] = {}
    for equal, i1, i2, _, _ in steps:
        for i in range(i1, i2) if not equal else ():
            if waiting.get(old_keys[i]):
                moved_in[waiting[old_keys[i]].pop(0)] = _Side(*olds[i], words)
                moved_out.add(i)

    regions = [
        (
            [_Side(*olds[i], words) for i in range(i1, i2) if i not in moved_out],
            [(j, _Side(*news[j], words)) for j in range(j1, j2)],
        )
        for equal, i1, i2, j1, j2 in steps
        if not equal
    ]
    words.encode_all([s for r_old, r_new in regions for s in (*r_old, *(s for _, s in r_new))])
    events: list[_Event] = []
    for equal, i1, i2, j1, _ in steps:
        if equal:  # equal keys: equal texts, or anchored blocks whose text may differ
            events.append(_Event("same"))
            for i in range(i1, i2):
                (old, old_norm), (new, new_norm) = olds[i], news[j1 + i - i1]
                if old_norm != new_norm:
                    pair = [_Side(old, old_norm, words)], [_Side(new, new_norm, words)]
                    events += [_group_event(*pair), _Event("same")]
        else:
            region_old, region_new = regions.pop(0)
            events.extend(_region(region_old, region_new, moved_in))
    return _runs(events)


def _group_event(olds: list[_Side], news: list[_Side]) -> _Event:
    """ "modified" with its word ops, or "same" when only noise or wrapping differs."""
    if _joined(olds) == _joined(news):
        return _Event("same", olds, news)  # carries its blocks: they are used
    ops = _word_ops(olds, news, masked=False)
    edited = " ".join(text for tag, text in ops if tag != "=")
    if may_hold_noise(edited) and any(s.spans for s in (*olds, *news)):
        if _joined(olds, "masked") == _joined(news, "masked"):
            return _Event("same", olds, news)  # carries its blocks: they are used
        ops = _word_ops(olds, news, masked=True)
    return _Event("modified", olds, news, ops)


def _region(
    olds: list[_Side], indexed_news: list[tuple[int, _Side]], moved_in: dict[int, _Side]
) -> list[_Event]:
    """Events of one non-equal region, in document order."""
    news = [s for j, s in indexed_news if j not in moved_in]
    if _joined(olds) == _joined(news):
        return [_Event("same")]  # reflow: the same words, cut or wrapped differently
    # Each event is placed at (position among new blocks, moved-in first, position among old
    # blocks or None); unpaired blocks become "removed"/"added" just before the next one.
    placed: list[tuple[int, int, int | None, _Event]] = []
    for gi, gj in _pair(olds, news):
        placed.append((gj[0], 1, gi[0], _group_event([olds[i] for i in gi], [news[j] for j in gj])))
    before = 0
    for j, s in indexed_news:
        if j in moved_in:
            placed.append((before, 0, None, _group_event([moved_in[j]], [s])))
        else:
            before += 1
    placed.sort(key=lambda p: (p[0], p[1]))
    used = {id(s) for *_, e in placed for s in (*e.olds, *e.news)}
    events: list[_Event] = []
    oi = ni = 0
    for new_pos, _, old_pos, event in [*placed, (len(news), 2, len(olds), _Event("same"))]:
        if old_pos is not None:
            events.extend(_Event("removed", [s]) for s in olds[oi:old_pos] if id(s) not in used)
            oi = max(oi, old_pos)
        events.extend(_Event("added", news=[s]) for s in news[ni:new_pos] if id(s) not in used)
        ni = max(ni, new_pos)
        events.append(event)
    return events


def _pair(olds: list[_Side], news: list[_Side]) -> list[Group]:
    """Groups of similar old/new blocks of one region, then blocks equal but for noise."""
    if not olds or not news:
        return []
    candidates: list[tuple[float, int, int]] = []
    _candidates(olds, news, (0, len(olds)), (0, len(news)), candidates)
    candidates.sort(key=lambda c: (-c[0], abs(c[1] - c[2])))
    taken_old: set[int] = set()
    taken_new: set[int] = set()
    groups: list[Group] = []
    for _, i, j in candidates:
        if i not in taken_old and j not in taken_new:
            taken_old.add(i)
            taken_new.add(j)
            groups.append(_extend(([i], [j]), olds, news, taken_old, taken_new))
    # A short block can be far from its old self by ratio yet equal once noise is masked.
    free: dict[str, list[int]] = {}
    for i, s in enumerate(olds):
        if i not in taken_old and len(s.ids) <= NOISE_PAIR_WORDS:
            free.setdefault(s.masked, []).append(i)
    for j, s in enumerate(news):
        if j not in taken_new and len(s.ids) <= NOISE_PAIR_WORDS and free.get(s.masked):
            groups.append(([free[s.masked].pop(0)], [j]))
    return groups


def _candidates(
    olds: list[_Side],
    news: list[_Side],
    old_range: tuple[int, int],
    new_range: tuple[int, int],
    out: list[tuple[float, int, int]],
    cut: bool = True,
) -> None:
    """Append (ratio, i, j) for similar blocks; a big region is first cut at shared openings."""
    (i0, i1), (j0, j1) = old_range, new_range
    n, m = i1 - i0, j1 - j0
    if not n or not m:
        return
    if cut and n * m > PAIR_FULL:
        keys: dict[str, int] = {}
        old_keys = [keys.setdefault(_opening(olds[i]), len(keys)) for i in range(i0, i1)]
        new_keys = [keys.setdefault(_opening(news[j]), len(keys)) for j in range(j0, j1)]
        steps = _align(old_keys, new_keys)
        if len(steps) > 1:
            for equal, a1, a2, b1, b2 in steps:
                if not equal:
                    _candidates(olds, news, (i0 + a1, i0 + a2), (j0 + b1, j0 + b2), out, False)
                for k in range(a2 - a1) if equal else ():
                    i, j = i0 + a1 + k, j0 + b1 + k
                    score = fuzz.ratio(olds[i].ids, news[j].ids)
                    if _similar(olds[i].ids, news[j].ids, score):
                        out.append((100.0 + score, i, j))  # before any other candidate
            return
    texts = [news[j].ids for j in range(j0, j1)]
    band = n * m > PAIR_FULL
    for i in range(i0, i1):
        query = olds[i].ids
        centre = (i - i0) * m // n
        # Most edited blocks stay near the diagonal: look there first, and further only if
        # nothing close enough is found.
        lo, hi = max(0, centre - 2), min(m, centre + 3)
        found = process.extract(
            query, texts[lo:hi], scorer=fuzz.ratio, score_cutoff=CONTAIN_FLOOR, limit=None
        )
        if not found or found[0][1] < PAIR_SURE:
            lo, hi = (
                (max(0, centre - PAIR_BAND), min(m, centre + PAIR_BAND + 1)) if band else (0, m)
            )
            found = process.extract(
                query, texts[lo:hi], scorer=fuzz.ratio, score_cutoff=CONTAIN_FLOOR, limit=None
            )
        out.extend((sc, i, j0 + lo + k) for ch, sc, k in found if _similar(query, ch, sc))


def _similar(a: str, b: str, ratio: float) -> bool:
    """Similar enough to be one block edited: alike overall, or one nearly inside the other."""
    if ratio >= PAIR_THRESHOLD:
        return True
    shorter = min(len(a), len(b))
    common = ratio * (len(a) + len(b)) / 200  # words in common (LCS), from the Indel ratio
    return shorter >= CONTAIN_WORDS and common >= CONTAINED * shorter


def _opening(side: _Side) -> str:
    return side.ids[:OPENING_WORDS]


def _extend(
    group: Group, olds: list[_Side], news: list[_Side], taken_old: set[int], taken_new: set[int]
) -> Group:
    """Let a pair absorb free neighbours while the joined texts grow more alike (split/merge)."""
    sides, taken = (olds, news), (taken_old, taken_new)
    texts = [
        _joined([olds[i] for i in group[0]], "ids"),
        _joined([news[j] for j in group[1]], "ids"),
    ]
    best = fuzz.ratio(texts[0], texts[1])
    grown = True
    while grown and best < 100:
        grown = False
        for k in (0, 1):
            idx, this, other = group[k], texts[k], texts[1 - k]
            for cand, first in ((idx[0] - 1, True), (idx[-1] + 1, False)):
                if not 0 <= cand < len(sides[k]) or cand in taken[k]:
                    continue
                add = sides[k][cand].ids
                # Upper bound of the ratio with the block added: skip hopeless tries.
                common = best * (len(this) + len(other)) / 200
                room = 200 * min(common + len(add), len(other))
                if room / (len(this) + len(add) + len(other)) <= best:
                    continue
                trial_text = add + this if first else this + add
                trial = fuzz.ratio(trial_text, other)
                if trial > best:
                    best, grown, this = trial, True, trial_text
                    idx.insert(0 if first else len(idx), cand)
                    taken[k].add(cand)
            texts[k] = this
    return group


# -- words -----------------------------------------------------------------------------------


def _word_ops(olds: list[_Side], news: list[_Side], masked: bool = True) -> list[Op]:
    """Word ops between the joined texts of *olds* and of *news* (noise spans as one word)."""
    words = (olds or news)[0].words
    if masked:
        old_keys, old_words = _tokens(olds)
        new_keys, new_words = _tokens(news)
        old_ids, new_ids = words.encode(old_keys), words.encode(new_keys)
    else:
        old_words, new_words = _joined(olds).split(" "), _joined(news).split(" ")
        old_ids, new_ids = _joined(olds, "ids"), _joined(news, "ids")
    tagged: list[tuple[str, list[str]]] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for tag, i1, i2, j1, j2 in _opcodes(old_ids, new_ids):
        if tag == "equal":
            tagged += [
                ("-", deleted),
                ("+", inserted),
                ("=", new_words[j1:j2]),
            ]
            deleted, inserted = [], []
        else:
            deleted += old_words[i1:i2]
            inserted += new_words[j1:j2]
    tagged += [("-", deleted), ("+", inserted)]
    return [(tag, " ".join(w)) for tag, w in tagged if w]


def _tokens(sides: list[_Side]) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    shown: list[str] = []
    for s in sides:
        k, w = s.tokens()
        keys += k
        shown += w
    return keys, shown


# -- runs and titles -------------------------------------------------------------------------


def _runs(events: list[_Event]) -> list[Change]:
    changes: list[Change] = []
    run: list[_Event] = []
    run_key = ("", "")
    for event in [*events, _Event("same")]:
        key = ("same", "") if event.kind == "same" else (event.kind, _location(event))
        if run and key != run_key:
            changes.append(_change(run))
            run = []
        if event.kind != "same":
            run.append(event)
        run_key = key
    return changes


def _location(event: _Event) -> str:
    sides = event.news or event.olds
    return (sides[0].block.location or sides[0].block.anchor or "") if sides else ""


def _change(run: list[_Event]) -> Change:
    kind: Kind = run[0].kind  # type: ignore[assignment]  # "same" never starts a run
    olds = [s for e in run for s in e.olds]
    news = [s for e in run for s in e.news]
    label = _location(run[0]) or "Text"
    ops: list[Op] = []
    if kind == "modified":
        for e in run:
            ops += ([("=", "\n")] if ops else []) + e.ops
        title = f"{label} modified: {_summary(ops)}"
    else:
        sides = news if kind == "added" else olds
        ops = [("+" if kind == "added" else "-", s.norm) for s in sides]
        count = "" if len(sides) == 1 else f" ({len(sides)} paragraphs)"
        title = f"{label} {kind}{count}: “{_snippet(sides[0].norm)}”"
    return Change(
        kind=kind,
        location=label,
        title=title,
        added=[s.norm for s in news],
        removed=[s.norm for s in olds],
        diff=_merge(ops),
        anchor=(news or olds)[0].block.anchor,
    )


def _merge(ops: list[Op]) -> list[Op]:
    """Adjacent word ops of one type merged (a modified run's ops meet at block borders)."""
    merged: list[Op] = []
    for tag, text in ops:
        if merged and merged[-1][0] == tag == "=":
            before = merged[-1][1]
            sep = "" if text == "\n" or before.endswith("\n") else " "
            merged[-1] = (tag, f"{before}{sep}{text}")
        else:
            merged.append((tag, text))
    return merged


def _snippet(text: str, limit: int = SNIPPET) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _summary(ops: list[Op]) -> str:
    """The first one or two edits of a modified block, in words."""
    parts: list[str] = []
    edits = [(k, tag, text) for k, (tag, text) in enumerate(ops) if tag != "="]
    k = 0
    while k < len(edits) and len(parts) < 2:
        pos, tag, text = edits[k]
        if tag == "-" and k + 1 < len(edits) and edits[k + 1][0] == pos + 1:
            parts.append(f"“{_snippet(text, 40)}” → “{_snippet(edits[k + 1][2], 40)}”")
            k += 1
        else:
            parts.append(f"{'removed' if tag == '-' else 'added'} “{_snippet(text, 50)}”")
        k += 1
    return "; ".join(parts) + (" …" if k < len(edits) else "")


# -- items -----------------------------------------------------------------------------------


def _item_words(item: Item) -> str:
    return normalise_text(f"{item.title} {item.summary}")


def _diff_items(old_items: Sequence[Item], new_items: Sequence[Item]) -> list[Change]:
    old_by_key: dict[str, Item] = {}
    for item in old_items:
        old_by_key.setdefault(item.key, item)
    new_by_key: dict[str, Item] = {}
    for item in new_items:
        new_by_key.setdefault(item.key, item)
    changes: list[Change] = []
    for key, item in new_by_key.items():
        before = old_by_key.get(key)
        if before is None:
            changes.append(_item_change("added", "New item", item, [], [item.text]))
        elif mask_noise(_item_words(before)) != mask_noise(_item_words(item)):
            ops = word_diff(_item_words(before), _item_words(item))
            changes.append(
                _item_change("modified", "Item modified", item, [before.text], [item.text], ops)
            )
    for key, item in old_by_key.items():
        if key not in new_by_key:
            changes.append(_item_change("removed", "Removed item", item, [item.text], []))
    return changes


def _item_change(
    kind: Kind,
    what: str,
    item: Item,
    removed: list[str],
    added: list[str],
    ops: list[Op] | None = None,
) -> Change:
    if ops is None:
        ops = [("+", t) for t in added] + [("-", t) for t in removed]
    return Change(
        kind=kind,
        location="Items",
        title=_snippet(f"{what}: {normalise_text(item.title)}", 160),
        added=added,
        removed=removed,
        diff=ops,
        item_link=item.link or None,
    )
