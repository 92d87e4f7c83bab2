"""Which milestones a change is evidence for, and whether it shows a delivery. Pure.

A change links to a milestone when one of the milestone's ``match`` phrases *appears* in it: the
phrase is in the change's new text (an added block, a new item, the new side of a modified block)
and was not already in its old text, so a page that goes on mentioning a deliverable is not
evidence again. A milestone with ``sources`` links only to changes of those sources.

A link shows a delivery when the change is a new item of a listing or feed, or when its new text
says that something was done ("published", "adopted", "entered into force", ...) and not that it
will be ("will be published", "to be adopted", "not yet published"). Phrases and text are
compared case-insensitively, with typographic dashes, quotes and hyphens made plain and
"artificial intelligence" read as "AI", on whole words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from observatory.config import Milestone

NEW_ITEM = "new item"
ITEMS_LOCATION = "Items"  # where the diff puts listing and feed items (observatory.diff.items)
# Words that report a deliverable as done. Kept short: each one is a reason to call a milestone
# delivered, and a reader sees which one fired.
DELIVERY_WORDS = (
    "published",
    "publishes",
    "adopted",
    "adopts",
    "entered into force",
    "enters into force",
    "launched",
    "launches",
    "released",
    "issued",
    "now available",
    "finalised",
    "finalized",
    "signed",
    "appointed",
    "established",
    "is operational",
    "are operational",
)
# A delivery word right after one of these (within three words) speaks of the future, a plan
# or a condition, not of something done.
NOT_YET = frozenset(
    [
        "will",
        "shall",
        "should",
        "would",
        "may",
        "might",
        "must",
        "can",
        "could",
        "to",
        "not",
        "yet",
        "once",
        "if",
        "when",
        "until",
        "expected",
        "planned",
        "scheduled",
        "due",
        "before",
    ]
)
_PLAIN = str.maketrans({c: " " for c in "\u2010\u2011\u2012\u2013\u2014\u2015-_/"} | {"’": "'"})
_AI = re.compile(r"(?<!\w)artificial intelligence(?: \(ai\))?(?!\w)")
_DELIVERY = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, DELIVERY_WORDS)) + r")(?!\w)")


def plain(text: str) -> str:
    """Lower-case text with dashes, hyphens and slashes as spaces, whitespace collapsed, and
    "artificial intelligence (AI)" written "ai" (EMA and the Commission use both forms)."""
    flat = " ".join(text.casefold().translate(_PLAIN).split())
    return _AI.sub("ai", flat)


class ChangeLike(Protocol):
    """What matching reads of a change (a stored ``ChangeRow`` has it all)."""

    source_id: str
    kind: str
    location: str
    added: list[str]
    removed: list[str]


@dataclass(frozen=True)
class Match:
    milestone_id: str
    matched: tuple[str, ...]  # the milestone's phrases that appeared, as written in the registry
    delivery: tuple[str, ...]  # "new item" and/or the delivery words found; () = a mention only


class Matcher:
    """The phrases of many milestones, compiled once into one pattern (one pass per text)."""

    def __init__(self, milestones: Iterable[Milestone]) -> None:
        self.milestones = list(milestones)
        self._owners: dict[str, list[tuple[str, str]]] = {}  # plain phrase -> (id, as written)
        for m in self.milestones:
            for phrase in m.match:
                self._owners.setdefault(plain(phrase), []).append((m.id, phrase))
        self._sources = {m.id: frozenset(m.sources) for m in self.milestones if m.sources}
        keys = sorted(self._owners, key=len, reverse=True)  # the longest phrase wins a tie
        self._pattern = (
            re.compile(r"(?<!\w)(?=(" + "|".join(map(re.escape, keys)) + r"))") if keys else None
        )

    def phrases_in(self, text: str) -> set[str]:
        """The plain phrases found in *text* (already plain), overlapping ones included."""
        if self._pattern is None or not text:
            return set()
        found: set[str] = set()
        for m in self._pattern.finditer(text):
            # the lookahead found the longest phrase here; shorter ones may start here too
            start = m.start()
            found.update(
                p for p in self._owners if text.startswith(p, start) and _ends(text, start + len(p))
            )
        return found

    def match(self, change: ChangeLike) -> list[Match]:
        """The milestones *change* is evidence for, in registry order."""
        if change.kind == "removed":
            return []
        new = plain("\n".join(change.added))
        appeared = self.phrases_in(new) - self.phrases_in(plain("\n".join(change.removed)))
        if not appeared:
            return []
        by_milestone: dict[str, list[str]] = {}
        for phrase in appeared:
            for milestone_id, written in self._owners[phrase]:
                allowed = self._sources.get(milestone_id)
                if allowed is None or change.source_id in allowed:
                    by_milestone.setdefault(milestone_id, []).append(written)
        signs = delivery_signs(change, new)
        return [
            Match(m.id, tuple(sorted(by_milestone[m.id])), signs)
            for m in self.milestones
            if m.id in by_milestone
        ]


def _ends(text: str, end: int) -> bool:
    return end == len(text) or not (text[end].isalnum() or text[end] == "_")


def delivery_signs(change: ChangeLike, new_text: str) -> tuple[str, ...]:
    """Why *change* reads as a delivery: a new item, and the delivery words used in the past."""
    signs = [NEW_ITEM] if change.kind == "added" and change.location == ITEMS_LOCATION else []
    for m in _DELIVERY.finditer(new_text):
        before = new_text[: m.start()].split()[-3:]
        if not NOT_YET.intersection(before) and m.group(1) not in signs:
            signs.append(m.group(1))
    return tuple(signs)


def match_changes(
    milestones: Sequence[Milestone], changes: Iterable[ChangeLike]
) -> list[list[Match]]:
    """``Matcher(milestones).match`` for each change (the pipeline's link step)."""
    matcher = Matcher(milestones)
    return [matcher.match(c) for c in changes]
