"""Two Documents -> their Changes: blocks, then listing/feed items, then linked documents."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from observatory.diff._model import Change
from observatory.diff.blocks import diff_blocks
from observatory.diff.headings import title_change
from observatory.diff.items import diff_items, diff_links
from observatory.document import Document


def diff_documents(old: Document, new: Document) -> list[Change]:
    """Changes from *old* to *new*: block runs in document order (on a web page, its title and
    headings first), then listing/feed items, then documents (PDFs) newly linked from, or no
    longer linked from, the watched region."""
    page = new.meta.get("extractor") == "page"  # a page's title and headings are its own
    with _collection_paused():
        return (
            (title_change(old.title, new.title) if page else [])
            + diff_blocks(old.blocks, new.blocks, headings=page)
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
