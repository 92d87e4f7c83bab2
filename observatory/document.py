"""The normalised Document that every extractor produces and every later step reads.

A Document is plain data: ordered text blocks that know where they are (``Article 5 > 1 > (a)``,
``Workplan``), items for listings and feeds, and links to documents (PDFs) found in the watched
region. Its JSON form is what a snapshot stores.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of text (paragraph, list item, table row, article paragraph).

    ``location`` is what a reader sees ("Article 5 > 1 > (a)", "Workplan > Dimensions").
    ``anchor`` is a stable identifier when the source provides one (EUR-Lex ``art_5``,
    an element id, ``amendment-12`` in an amendment table); the diff matches blocks by anchor
    first, and a block without a location takes the location the other version gives its
    anchor. A block without text only marks a place (where an amendment inserts new text).
    """

    text: str
    location: str = ""
    anchor: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a listing or a feed, identified by ``key`` (guid or link)."""

    key: str
    title: str
    link: str = ""
    date: str | None = None
    summary: str = ""

    @property
    def text(self) -> str:
        parts = [self.title, self.date or "", self.summary]
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Document:
    blocks: tuple[Block, ...] = ()
    items: tuple[Item, ...] = ()
    links: tuple[str, ...] = ()
    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> str:
        data = {
            "title": self.title,
            "blocks": [asdict(b) for b in self.blocks],
            "items": [asdict(i) for i in self.items],
            "links": list(self.links),
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Document:
        data = json.loads(raw)
        return cls(
            title=data.get("title", ""),
            blocks=tuple(Block(**b) for b in data.get("blocks", [])),
            items=tuple(Item(**i) for i in data.get("items", [])),
            links=tuple(data.get("links", [])),
        )

    def as_text(self) -> str:
        """The document as readable text (used to show a stored snapshot)."""
        lines: list[str] = []
        last_location = None
        for block in self.blocks:
            if not block.text:
                continue  # a place marker
            if block.location and block.location != last_location:
                lines.append(f"\n## {block.location}")
                last_location = block.location
            lines.append(block.text)
        for item in self.items:
            lines.append(f"\n- {item.title}")
            if item.date:
                lines.append(f"  {item.date}")
            if item.link:
                lines.append(f"  {item.link}")
            if item.summary:
                lines.append(f"  {item.summary}")
        if self.links:
            lines.append("\n## Linked documents")
            lines.extend(f"- {link}" for link in self.links)
        return "\n".join(lines).strip() + "\n"


def sha256_hex(data: str | bytes) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()
