"""A least-recently-used string cache bounded by total length, shared by one digest run.

``render_digest`` keeps each rendered per-change entry in a ``FragmentCache`` so every later
digest of the run reuses the same string, and ``build_message`` keeps the quoted-printable form
of those entries in another ``BoundedCache``. A hit must come from the very same *owner* object
(identity, not equality), so a cache shared across digests never serves a stale entry.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

FRAGMENT_BUDGET = 24_000_000  # characters a FragmentCache keeps (about as many bytes)


class BoundedCache:
    """A least-recently-used map bounded by the total length of its string values."""

    def __init__(self, budget: int = FRAGMENT_BUDGET) -> None:
        self.budget = budget
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[object, str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, owner: object = None) -> str | None:
        """The value stored for *key* by the same *owner* object (identity), else None."""
        entry = self._entries.get(key)
        if entry is None or entry[0] is not owner:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, value: str, owner: object = None) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old[1])
        if len(value) > self.budget:
            return
        self._entries[key] = (owner, value)
        self.size += len(value)
        while self.size > self.budget:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.size -= len(dropped)


FragmentCache = BoundedCache  # per-change entries of one run, keyed by change and rendering
