"""Volatile blocks and the noise-free fingerprint of a Document.

Blocks that change between two back-to-back fetches of the same URL (rotating banners, "you may
also like" boxes) are *volatile*: ``volatile_keys`` finds their keys, ``drop_volatile`` removes
them and ``fingerprint`` hashes what is left, masked, so that two fetches differing only by noise
share one fingerprint. Item dates are left out of the fingerprint (a date-only change is noise).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

from observatory.document import Block, Document, sha256_hex
from observatory.noise.masks import mask_noise


def block_key(block: Block, ordinal: int) -> str:
    """Stable key of a block: its anchor (or location) and its ordinal among blocks sharing it."""
    return f"{block.anchor or block.location}#{ordinal}"


def keyed_blocks(doc: Document) -> Iterator[tuple[str, Block]]:
    """``(block_key, block)`` for every block, ordinals counted per anchor-or-location."""
    seen: dict[str, int] = {}
    for block in doc.blocks:
        label = block.anchor or block.location
        ordinal = seen.get(label, 0)
        seen[label] = ordinal + 1
        yield block_key(block, ordinal), block


def volatile_keys(a: Document, b: Document) -> set[str]:
    """Keys of blocks that differ (after masking) between two back-to-back fetches of one URL.

    A key present in only one of the two fetches is volatile too. Limitation: a block inserted
    in one fetch shifts the ordinals of the later blocks sharing its location, so those are
    reported as volatile as well (over-ignoring within that one location, never elsewhere).
    """
    texts_a = {key: mask_noise(block.text) for key, block in keyed_blocks(a)}
    texts_b = {key: mask_noise(block.text) for key, block in keyed_blocks(b)}
    return {key for key in texts_a.keys() | texts_b.keys() if texts_a.get(key) != texts_b.get(key)}


def drop_volatile(doc: Document, keys: set[str] | frozenset[str]) -> Document:
    """*doc* without the blocks whose key is in *keys*."""
    if not keys:
        return doc
    kept = tuple(block for key, block in keyed_blocks(doc) if key not in keys)
    return replace(doc, blocks=kept)


def fingerprint(doc: Document, volatile: set[str] | frozenset[str] = frozenset()) -> str:
    """sha256 hex of *doc* with volatile blocks dropped and noise masked.

    Two fetches that differ only by noise (stamps, tokens, whitespace, item dates) share it.
    """
    blocks = []
    for block in drop_volatile(doc, volatile).blocks:
        text = mask_noise(block.text)
        if text:
            blocks.append([block.location, block.anchor, text])
    items = [
        [item.key, mask_noise(item.title), item.link, mask_noise(item.summary)]
        for item in doc.items
    ]
    data = {
        "title": mask_noise(doc.title),
        "blocks": blocks,
        "items": items,
        "links": list(doc.links),
    }
    return sha256_hex(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
