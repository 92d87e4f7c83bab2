"""Extraction: fetched bytes -> a normalised ``Document`` (located blocks, items, links).

One module per family, one pure function per extractor, all registered in ``EXTRACTORS``:

    page     html.py     the watched region of an HTML page (EUR-Lex markup -> eurlex.py)
    eurlex   eurlex.py   Official Journal acts located by recital, article, paragraph, point
    listing  listing.py  one item per ``items`` match
    feed     feed.py     RSS/Atom entries, XML entities refused
    pdf      pdf.py      text per page, parsed in a bounded child process
    text     text.py     plain text / Markdown of legal texts, located by article

``extract()`` picks the extractor from the source's ``kind`` and the content, and raises
``ExtractError`` when the bytes cannot become a Document.
"""

from observatory.extract._base import ExtractOptions, Extractor
from observatory.extract._tree import check_selector
from observatory.extract.registry import EXTRACTORS, choose, extract

__all__ = ["EXTRACTORS", "ExtractOptions", "Extractor", "check_selector", "choose", "extract"]
