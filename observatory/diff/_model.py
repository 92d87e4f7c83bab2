"""What the diff returns: ``Change`` (one reader-facing change) and its word ops (``Op``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["added", "removed", "modified"]
Op = tuple[str, str]  # ("=", same words), ("-", deleted words), ("+", inserted words)

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


def snippet(text: str, limit: int = SNIPPET) -> str:
    """*text* cut to *limit* characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
