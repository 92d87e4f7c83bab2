"""Two Documents -> the list of Changes a reader cares about: blocks first, then words.

The steps, one module each:

* ``blocks`` - match old blocks to new ones: unique anchors, then an LCS alignment of the block
  sequences, moves, reflow (same words cut differently: no change), then ``pairing`` inside
  each remaining region (similar blocks are one block edited; a split or merge is one edit).
* ``words`` - inside a modified block, the word ops (Indel opcodes over word strings); a block
  that differs only by noise (``observatory.noise``) yields no change.
* ``runs`` - consecutive changes of one kind and one location merge into one Change, titled.
* ``items`` - listing/feed items matched by key; documents newly linked or unlinked.

``sides`` holds the prepared blocks all of these share (normalised once, words interned as
characters so that rapidfuzz compares word sequences in C); ``_model`` the ``Change`` returned.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from observatory.diff._model import Change, Kind, Op
from observatory.diff.blocks import diff_blocks
from observatory.diff.items import LINKS_LOCATION, diff_items, diff_links
from observatory.diff.words import word_diff
from observatory.document import Document

__all__ = ["LINKS_LOCATION", "Change", "Kind", "Op", "diff_documents", "word_diff"]


def diff_documents(old: Document, new: Document) -> list[Change]:
    """Changes from *old* to *new*: block runs in document order, then listing/feed items,
    then documents (PDFs) newly linked from, or no longer linked from, the watched region."""
    with _collection_paused():
        return (
            diff_blocks(old.blocks, new.blocks)
            + diff_items(old.items, new.items)
            + diff_links(old.links, new.links)
        )


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Automatic garbage collection off for the duration (unless already off).

    A diff of two long documents allocates some 10^5 containers and makes no reference cycle,
    so the collector's passes during it free nothing, yet cost 10-20% of the diff's time.
    Reference counting still frees everything as usual.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
