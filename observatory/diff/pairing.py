"""Pairing inside one non-equal region: which old and new blocks are one block edited.

Old and new blocks are paired by ``rapidfuzz.fuzz.ratio`` over their word strings: a pair is one
block edited when the ratio is >= ``PAIR_THRESHOLD`` (55), or when ``CONTAINED`` (80%) of the
shorter block's words are in the longer one (a paragraph that grew a lot). Best pairs are taken
first; a pair then absorbs free neighbouring blocks of the same location on either side while
that raises the ratio (a paragraph split in two, or two merged into one, is one "modified").
Leftover short blocks that are equal once noise is masked pair too.

Cost control: each old block is first compared with the new blocks at its own relative position
(+-2) and looks further only if none reaches ``PAIR_SURE``; a region with more than
``PAIR_FULL`` old x new pairs is first cut at blocks that keep their opening words, and what is
still too big compares only blocks within ``PAIR_BAND`` positions of its diagonal (a block edited
*and* moved far is then "removed" + "added").
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from observatory.diff.lcs import LCS_CELLS, opcodes, ratio
from observatory.diff.sides import Side

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

_ratio = fuzz.ratio
_extract = process.extract


def pair(olds: list[Side], news: list[Side]) -> list[Group]:
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
    if len(taken_old) == len(olds) or len(taken_new) == len(news):
        return groups
    free: dict[str, list[int]] = {}
    for i, s in enumerate(olds):
        if i not in taken_old and s.word_count <= NOISE_PAIR_WORDS:
            free.setdefault(s.masked, []).append(i)
    if not free:
        return groups
    for j, s in enumerate(news):
        if j not in taken_new and s.word_count <= NOISE_PAIR_WORDS and free.get(s.masked):
            groups.append(([free[s.masked].pop(0)], [j]))
    return groups


def _candidates(
    olds: list[Side],
    news: list[Side],
    old_range: tuple[int, int],
    new_range: tuple[int, int],
    out: list[tuple[float, int, int]],
    cut: bool = True,
) -> None:
    """Append (ratio, i, j) for similar blocks; a big region is first cut at shared openings
    (a block the cut leaves with nothing to compare to needs only its opening words)."""
    (i0, i1), (j0, j1) = old_range, new_range
    n, m = i1 - i0, j1 - j0
    if not n or not m:
        return
    if cut and n * m > PAIR_FULL:
        keys: dict[str, int] = {}
        old_keys = [keys.setdefault(s.opening(OPENING_WORDS), len(keys)) for s in olds[i0:i1]]
        new_keys = [keys.setdefault(s.opening(OPENING_WORDS), len(keys)) for s in news[j0:j1]]
        steps = align(old_keys, new_keys)
        if len(steps) > 1:
            for equal, a1, a2, b1, b2 in steps:
                if not equal:
                    _candidates(olds, news, (i0 + a1, i0 + a2), (j0 + b1, j0 + b2), out, False)
                for k in range(a2 - a1) if equal else ():
                    i, j = i0 + a1 + k, j0 + b1 + k
                    a, b = olds[i].ids, news[j].ids
                    score = ratio(a, b)
                    if similar(a, b, score):
                        out.append((100.0 + score, i, j))  # before any other candidate
            return
    texts = [s.ids for s in news[j0:j1]]
    band = n * m > PAIR_FULL
    for i in range(i0, i1):
        query = olds[i].ids
        if len(query) * max(map(len, texts)) > LCS_CELLS:  # a huge block: bounded scoring
            out.extend(_scored_one_by_one(query, texts, i, j0))
            continue
        centre = (i - i0) * m // n
        # Most edited blocks stay near the diagonal: look there first, and further only if
        # nothing close enough is found.
        lo, hi = max(0, centre - 2), min(m, centre + 3)
        found = _extract(query, texts[lo:hi], scorer=_ratio, score_cutoff=CONTAIN_FLOOR, limit=None)
        if not found or found[0][1] < PAIR_SURE:
            lo, hi = (
                (max(0, centre - PAIR_BAND), min(m, centre + PAIR_BAND + 1)) if band else (0, m)
            )
            found = _extract(
                query, texts[lo:hi], scorer=_ratio, score_cutoff=CONTAIN_FLOOR, limit=None
            )
        out.extend((sc, i, j0 + lo + k) for ch, sc, k in found if similar(query, ch, sc))


def _scored_one_by_one(
    query: str, texts: list[str], i: int, j0: int
) -> list[tuple[float, int, int]]:
    """(ratio, i, j) of the similar texts, each scored with the bounded-cost ratio."""
    scored = ((ratio(query, text), j0 + k, text) for k, text in enumerate(texts))
    return [(score, i, j) for score, j, text in scored if similar(query, text, score)]


def similar(a: str, b: str, ratio: float) -> bool:
    """Similar enough to be one block edited: alike overall, or one nearly inside the other."""
    if ratio >= PAIR_THRESHOLD:
        return True
    shorter = min(len(a), len(b))
    common = ratio * (len(a) + len(b)) / 200  # words in common (LCS), from the Indel ratio
    return shorter >= CONTAIN_WORDS and common >= CONTAINED * shorter


def align(old_keys: list[int], new_keys: list[int]) -> list[tuple[bool, int, int, int, int]]:
    """LCS alignment as (equal, i1, i2, j1, j2) steps, adjacent non-equal steps merged."""
    steps: list[tuple[bool, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in opcodes(old_keys, new_keys):
        equal = tag == "equal"
        if not equal and steps and not steps[-1][0]:
            _, i1, _, j1, _ = steps.pop()
        steps.append((equal, i1, i2, j1, j2))
    return steps


def _extend(
    group: Group, olds: list[Side], news: list[Side], taken_old: set[int], taken_new: set[int]
) -> Group:
    """Let a pair absorb free neighbours while the joined texts grow more alike (split/merge)."""
    sides, taken = (olds, news), (taken_old, taken_new)
    texts = [olds[group[0][0]].ids, news[group[1][0]].ids]  # a group starts as one pair
    best = ratio(texts[0], texts[1])
    grown = True
    while grown and best < 100:
        grown = False
        for k in (0, 1):
            idx, this, other = group[k], texts[k], texts[1 - k]
            place = sides[k][idx[0]].block.location
            for cand, first in ((idx[0] - 1, True), (idx[-1] + 1, False)):
                if not 0 <= cand < len(sides[k]) or cand in taken[k]:
                    continue
                if sides[k][cand].block.location != place:
                    continue  # a neighbour in another place is another block, not a piece
                add = sides[k][cand].ids
                # Upper bound of the ratio with the block added: skip hopeless tries.
                common = best * (len(this) + len(other)) / 200
                room = 200 * min(common + len(add), len(other))
                if room / (len(this) + len(add) + len(other)) <= best:
                    continue
                trial_text = add + this if first else this + add
                trial = ratio(trial_text, other)
                if trial > best:
                    best, grown, this = trial, True, trial_text
                    idx.insert(0 if first else len(idx), cand)
                    taken[k].add(cand)
            texts[k] = this
    return group
