"""Longest-common-subsequence alignment with a bounded cost, for blocks of any size.

rapidfuzz's Indel LCS is bit-parallel but still quadratic: two 400,000-word versions of one
huge paragraph cost seconds, and a 10 MB page minutes. A fetched page may be that big (by
accident or on purpose), so every alignment here goes in steps whose cost is bounded:

1. the common prefix and suffix are cut off in linear time (one edited word in a huge block
   leaves a tiny middle);
2. a middle still bigger than ``LCS_CELLS`` is cut at anchors, the words that occur exactly once
   on each side, in increasing order on both (patience diff, O(n log n));
3. a piece between anchors still bigger than ``LCS_CELLS`` is reported as replaced whole: a
   coarse diff, never a slow one.

Small inputs (the normal case) go straight to rapidfuzz and give exactly what it gives.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Hashable, Sequence

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

Opcode = tuple[str, int, int, int, int]  # (tag, i1, i2, j1, j2), tag: equal | delete | insert

LCS_CELLS = 25_000_000  # len(a) * len(b) aligned by rapidfuzz in one call (about 0.1 s)


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    """LCS opcodes from *a* to *b*, exact when small, bounded in cost when big."""
    if len(a) * len(b) <= LCS_CELLS:
        return Indel.opcodes(a, b).as_list()  # type: ignore[return-value]  # typed loosely
    return _merge(_bounded(a, b, 0, 0))


def ratio(a: str, b: str) -> float:
    """``fuzz.ratio`` (0-100: twice the common words over all words), bounded in cost."""
    if len(a) * len(b) <= LCS_CELLS:
        return float(fuzz.ratio(a, b))
    total = len(a) + len(b)
    common = sum(i2 - i1 for tag, i1, i2, _, _ in opcodes(a, b) if tag == "equal")
    return 200.0 * common / total if total else 100.0


def _bounded(a: Sequence[Hashable], b: Sequence[Hashable], i0: int, j0: int) -> list[Opcode]:
    head = _common_prefix(a, b)
    tail = _common_prefix(a[head:][::-1], b[head:][::-1])
    ops: list[Opcode] = []
    if head:
        ops.append(("equal", i0, i0 + head, j0, j0 + head))
    mid_a, mid_b = a[head : len(a) - tail], b[head : len(b) - tail]
    mi, mj = i0 + head, j0 + head
    if len(mid_a) * len(mid_b) <= LCS_CELLS:
        ops += _small(mid_a, mid_b, mi, mj)
    else:
        ops += _anchored(mid_a, mid_b, mi, mj)
    if tail:
        ops.append(("equal", i0 + len(a) - tail, i0 + len(a), j0 + len(b) - tail, j0 + len(b)))
    return ops


def _small(a: Sequence[Hashable], b: Sequence[Hashable], i0: int, j0: int) -> list[Opcode]:
    """rapidfuzz's opcodes for a piece that starts at (i0, j0)."""
    if not a or not b:
        return _replaced(a, b, i0, j0)
    found: list[Opcode] = Indel.opcodes(a, b).as_list()  # type: ignore[assignment]
    return [(t, i0 + x1, i0 + x2, j0 + y1, j0 + y2) for t, x1, x2, y1, y2 in found]


def _anchored(a: Sequence[Hashable], b: Sequence[Hashable], i0: int, j0: int) -> list[Opcode]:
    """Cut at the words unique on both sides and in order on both; align the pieces between."""
    anchors = _anchors(a, b)
    if not anchors:
        return _replaced(a, b, i0, j0)
    ops: list[Opcode] = []
    pi = pj = 0
    for i, j in [*anchors, (len(a), len(b))]:
        piece_a, piece_b = a[pi:i], b[pj:j]
        if len(piece_a) * len(piece_b) <= LCS_CELLS:
            ops += _small(piece_a, piece_b, i0 + pi, j0 + pj)
        else:
            ops += _replaced(piece_a, piece_b, i0 + pi, j0 + pj)
        if i < len(a):
            ops.append(("equal", i0 + i, i0 + i + 1, j0 + j, j0 + j + 1))
        pi, pj = i + 1, j + 1
    return ops


def _anchors(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int]]:
    """(i, j) of words that occur once in *a* and once in *b*, the longest run increasing on
    both sides (patience sorting: O(n log n))."""
    count_a, count_b = Counter(a), Counter(b)
    where_b = {x: j for j, x in enumerate(b) if count_b[x] == 1}
    pairs = [(i, where_b[x]) for i, x in enumerate(a) if count_a[x] == 1 and x in where_b]
    tails: list[int] = []  # smallest j ending an increasing run of each length
    tail_index: list[int] = []
    previous: list[int] = []
    for k, (_, j) in enumerate(pairs):
        at = bisect_left(tails, j)
        if at == len(tails):
            tails.append(j)
            tail_index.append(k)
        else:
            tails[at], tail_index[at] = j, k
        previous.append(tail_index[at - 1] if at else -1)
    run: list[tuple[int, int]] = []
    k = tail_index[-1] if tail_index else -1
    while k >= 0:
        run.append(pairs[k])
        k = previous[k]
    return run[::-1]


def _replaced(a: Sequence[Hashable], b: Sequence[Hashable], i0: int, j0: int) -> list[Opcode]:
    ops: list[Opcode] = []
    if a:
        ops.append(("delete", i0, i0 + len(a), j0, j0))
    if b:
        ops.append(("insert", i0 + len(a), i0 + len(a), j0, j0 + len(b)))
    return ops


def _common_prefix(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Length of the common prefix, by halving (slice comparisons run in C)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _merge(ops: list[Opcode]) -> list[Opcode]:
    """Adjacent opcodes with the same tag joined, empty ones dropped."""
    out: list[Opcode] = []
    for op in ops:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if out and out[-1][0] == op[0] and out[-1][2] == op[1] and out[-1][4] == op[3]:
            out[-1] = (op[0], out[-1][1], op[2], out[-1][3], op[4])
        else:
            out.append(op)
    return out
