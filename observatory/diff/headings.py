"""Titles and headings are content too: a renamed page or section is a change.

* The document title (``<title>``, else the ``h1``; the act's title for EUR-Lex) is compared on
  its own: "Page title modified: “Federal Partner” → “EPA Adaptation”", located at "Page".
* Section headings are not blocks: they live in the locations of the blocks under them
  (``Workplan > Dimensions``). The first block of a section, unchanged yet under another
  heading path, tells that a heading was renamed, added or removed; one Change per heading,
  located at its parent ("Page" at the top). The heading must be the block's own (its nearest)
  or the parent of two sub-sections that both moved with it: on a page whose headings are list
  entries (a Parliament member's latest debates), a block after a replaced entry is not a
  renamed heading. Only for web pages (``page`` documents): in a legal text the location is a
  number, and a new number is a renumbering, not a heading edit.
"""

from __future__ import annotations

from collections.abc import Iterable

from observatory.diff._model import Change, Kind, snippet
from observatory.diff.words import word_diff
from observatory.document import Block
from observatory.noise import mask_noise

PAGE = "Page"
_SEP = " > "
_UNPLACED = frozenset({"", PAGE})  # no heading above: the top of the page


def title_change(old: str, new: str) -> list[Change]:
    """The page title renamed (not when one side has none, or only noise differs)."""
    if not old or not new or mask_noise(old) == mask_noise(new):
        return []
    ops = word_diff(old, new)
    return [
        Change(
            "modified",
            PAGE,
            f"Page title modified: “{snippet(old, 70)}” → “{snippet(new, 70)}”",
            added=[new],
            removed=[old],
            diff=ops,
        )
    ]


def heading_changes(pairs: Iterable[tuple[Block, Block]]) -> list[Change]:
    """Heading edits read from unchanged first blocks of sections (old, new) whose locations
    differ, in order."""
    found: dict[tuple[str, str, str], Change] = {}
    below: dict[tuple[str, str, str], set[str]] = {}  # sub-sections that moved with an edit
    for old, new in pairs:
        if old.location == new.location:
            continue
        before, after = _parts(old.location), _parts(new.location)
        edit = _edit(before, after)
        if edit is None or edit in found:
            continue
        depth = len(edit[0].split(_SEP)) if edit[0] != PAGE else 0
        deeper = before[depth + 1 :] if edit[1] else after[depth + 1 :]
        if deeper:
            below.setdefault(edit, set()).add(deeper[0])
        if not deeper or len(below[edit]) >= 2:
            found[edit] = _change(*edit, anchor=new.anchor)
    return list(found.values())


def _parts(location: str) -> list[str]:
    return [] if location in _UNPLACED else location.split(_SEP)


def _edit(old: list[str], new: list[str]) -> tuple[str, str, str] | None:
    """(parent, old heading, new heading) of the first difference; "" for a side without one."""
    k = 0
    while k < len(old) and k < len(new) and old[k] == new[k]:
        k += 1
    before = old[k] if k < len(old) else ""
    after = new[k] if k < len(new) else ""
    if before and after and mask_noise(before) == mask_noise(after):
        return None
    return _SEP.join(new[:k]) or PAGE, before, after


def _change(parent: str, before: str, after: str, anchor: str | None) -> Change:
    kind: Kind = "modified" if before and after else "added" if after else "removed"
    if kind == "modified":
        what = f"heading “{snippet(before, 60)}” → “{snippet(after, 60)}”"
        ops = word_diff(before, after)
    else:
        what = f"heading “{snippet(after or before, 80)}”"
        ops = [("+" if after else "-", after or before)]
    return Change(
        kind,
        parent,
        f"{parent} {kind}: {what}",
        added=[after] if after else [],
        removed=[before] if before else [],
        diff=ops,
        anchor=anchor,
    )
