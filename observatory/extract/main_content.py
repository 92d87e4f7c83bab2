"""Whole-page mode: which elements of the page hold its main content (no ``select`` given).

trafilatura (made for exactly this, measured on the real corpus against readability-lxml and
jusText) reads the page and returns its main text. It only *identifies* the content: the blocks
are still read from our own tree by ``html.blocks_of``, so headings stay locations, element ids
stay anchors and ``ignore`` selectors apply, as with ``select``.

How the library's text is mapped back onto our tree (one pass, O(words)):

1. every text node of our tree whose words occur, in order, in the library's text (a word
   3-gram index) is a *hit* weighing its length; text inside a site banner, footer, navigation
   or search landmark never counts (a carousel in the page header is not the page's content);
2. hits are summed bottom-up; from ``<body>`` we descend into the child holding at least
   ``SHARE`` (90%) of all hits while there is one: the *core*;
3. between the core and the element holding 99% of the hits, sibling subtrees that the library
   kept densely (half their text, at least ``DENSE_MIN`` characters) are added, so an image
   caption or an intro beside the article body is watched too.

When the library returns less than ``MIN_TEXT`` characters, or nothing of it is found in the
tree, the whole ``<body>`` is the region (the page's own markup then decides, as before).
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from observatory.extract import _tree
from observatory.extract._base import clean
from observatory.extract._tree import El

SHARE = 0.9
OUTER_SHARE = 0.99
DENSE = 0.5
DENSE_MIN = 40
MIN_TEXT = 200

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "iframe"})
_LANDMARK_ROLES = frozenset({"banner", "contentinfo", "navigation", "search"})
_SCOPING = ("article", "aside", "main", "nav", "section")


def main_regions(root: El) -> list[El]:
    """The elements holding the page's main content, in document order (``[<body>]`` when the
    library finds too little)."""
    body = _tree.select_region(root, None)
    text = library_text(root)
    if len(text) < MIN_TEXT:
        return [body]
    hits, size = _weigh(body, _Index(text))
    total = hits.get(body, 0)
    if total == 0:
        return [body]
    core = _descend(body, hits, SHARE * total)
    outer = _descend(body, hits, OUTER_SHARE * total)
    if core is outer or not any(a is outer for a in core.iterancestors()):
        return [core]
    picked = [core]
    child = core
    for ancestor in core.iterancestors():
        for sibling in _tree.children(ancestor):
            if sibling is not child:
                picked.extend(_dense(sibling, hits, size))
        if ancestor is outer:
            break
        child = ancestor
    order = {el: n for n, el in enumerate(outer.iter())}
    return sorted(picked, key=lambda el: order.get(el, -1))


def library_text(root: El) -> str:
    """trafilatura's main text of the page (defaults: its own fallbacks stay on), normalised."""
    import trafilatura  # deferred: ~0.3 s of imports that only whole-page sources need

    html = etree.tostring(root, encoding="unicode", method="html")
    found = trafilatura.bare_extraction(
        html,
        include_comments=False,
        include_tables=True,
        include_formatting=True,
        include_links=True,
        with_metadata=False,
    )
    body = getattr(found, "body", None)
    if body is None:
        return ""
    return clean(" ".join(body.itertext()))


class _Index:
    """Is a run of words part of the library's text? (word 1-, 2- and 3-grams)"""

    def __init__(self, text: str) -> None:
        words = text.split()
        self.grams: list[set[tuple[str, ...]]] = [
            {tuple(words[i : i + n]) for i in range(len(words) - n + 1)} for n in (1, 2, 3)
        ]

    def __contains__(self, chunk: str) -> bool:
        words = chunk.split()
        if len(words) <= 3:
            return bool(words) and tuple(words) in self.grams[len(words) - 1]
        trigrams = self.grams[2]
        return all(tuple(words[i : i + 3]) in trigrams for i in range(len(words) - 2))


def _weigh(body: El, index: _Index) -> tuple[dict[El, int], dict[El, int]]:
    """Per element: characters of its text the library kept (hits), and of all its text."""
    hits: dict[El, int] = {}
    size: dict[El, int] = {}

    def weigh(text: str | None) -> tuple[int, int]:
        if not text or text.isspace():
            return 0, 0
        words = clean(text)
        return (len(words) if len(words) >= 3 and words in index else 0), len(words)

    for el in reversed(list(body.iter(etree.Element))):  # children before their parents
        if el.tag in _SKIP:
            hits[el] = size[el] = 0
            continue
        h, n = weigh(el.text)
        for child in el:
            ch, cn = weigh(child.tail)
            h += ch + hits.get(child, 0)
            n += cn + size.get(child, 0)
        hits[el], size[el] = (0 if _is_furniture(el) else h), n
    return hits, size


def _is_furniture(el: El) -> bool:
    """A site-wide landmark: navigation, search, or a header/footer of the page (not of an
    article or section, which are the content's own)."""
    role = (el.get("role") or "").strip().lower()
    if el.tag == "nav" or role in _LANDMARK_ROLES:
        return True
    if el.tag in ("header", "footer"):
        return next(el.iterancestors(*_SCOPING), None) is None
    return False


def _descend(start: El, hits: dict[El, int], need: float) -> El:
    """From *start*, go down into the child holding at least *need* hits while one does."""
    node = start
    while True:
        best = max(_tree.children(node), key=lambda c: hits.get(c, 0), default=None)
        if best is None or hits.get(best, 0) < need:
            return node
        node = best


def _dense(el: El, hits: dict[El, int], size: dict[El, int]) -> Iterator[El]:
    """Subtrees of *el* the library kept densely (recursing into partly kept ones)."""
    kept = hits.get(el, 0)
    if kept < DENSE_MIN:
        return
    if kept >= DENSE * size.get(el, 0):
        yield el
        return
    for child in _tree.children(el):
        yield from _dense(child, hits, size)
