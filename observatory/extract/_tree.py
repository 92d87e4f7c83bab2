"""HTML trees for the page, EUR-Lex and listing extractors: parse, select, clean, read text.

lxml parses the bytes with the encoding BeautifulSoup would have chosen (the HTTP charset, then
a BOM, then ``<meta charset>``, then a guess, then UTF-8 and Windows-1252; bs4's own
``EncodingDetector`` gives the order), and CSS selectors run as XPath compiled once per
selector by cssselect. This is the only extraction path; the configuration refuses a selector
that cssselect cannot run (``check_selector``), so every configured selector runs here. The
tests keep the earlier BeautifulSoup implementation as an oracle (``tests/extract``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import TypeAlias
from urllib.parse import urljoin, urlsplit

from cssselect import HTMLTranslator, SelectorError, parse
from lxml import etree

from observatory.errors import ExtractError
from observatory.extract._base import (
    DOCUMENT_SUFFIXES,
    FORM_CONTROLS,
    NOISE_TAGS,
    absolute_http,
    charset_of,
    clean,
    is_banner_label,
    require_body,
)

El: TypeAlias = etree._Element
# bs4 gives the strings inside these their own classes, which get_text() leaves out.
STRING_CONTAINERS = ("rt", "rp", "style", "script", "template")
_KEEP = frozenset({"html", "body", "main"})
_LABELLED = ("h1", "h2", "h3", "h4", "h5", "h6", "summary", "dt")

# --- parsing ----------------------------------------------------------------------------------


def parse_html(body: bytes, content_type: str = "") -> El:
    """The root element, parsed as bs4's lxml builder does (same parser, same encodings)."""
    from bs4.dammit import EncodingDetector  # deferred: bs4 is ~0.1 s of imports

    require_body(body)
    declared = charset_of(content_type)
    known = [declared] if declared else []
    detector = EncodingDetector(body, known_definite_encodings=known, is_html=True)
    for encoding in detector.encodings:
        try:
            parser = etree.HTMLParser(recover=True, encoding=encoding)
            parser.feed(detector.markup)
            root = parser.close()
        except (UnicodeDecodeError, LookupError, etree.ParserError):
            continue
        if root is not None:
            return root
    raise ExtractError("the page could not be parsed as HTML")


# --- CSS --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def css_xpath(selector: str) -> etree.XPath:
    """Compiled XPath matching ``selector`` in a whole document; ValueError when cssselect
    cannot run it (a syntax error, a pseudo-element, an unsupported pseudo-class)."""
    try:
        parsed = parse(selector)
        if any(s.pseudo_element is not None for s in parsed):
            raise ValueError("pseudo-elements such as ::first-line select no element")
        translator = HTMLTranslator()
        paths = [translator.selector_to_xpath(s, prefix="descendant-or-self::") for s in parsed]
        return etree.XPath(" | ".join(paths))
    except (SelectorError, etree.XPathError) as exc:
        first_line = (str(exc) or type(exc).__name__).splitlines()[0]
        raise ValueError(first_line) from None


def check_selector(selector: str) -> str:
    """*selector* if it can run, else ValueError saying why (configuration validation)."""
    try:
        css_xpath(selector)
    except ValueError as exc:
        raise ValueError(f"invalid CSS selector {selector!r} ({exc})") from None
    return selector


def select_all(root: El, selector: str) -> list[El]:
    """Matches of ``selector`` in document order, anywhere in ``root``'s tree, root included."""
    try:
        xpath = css_xpath(selector)
    except ValueError as exc:  # the configuration refuses these; a direct caller may not
        raise ExtractError(f"invalid CSS selector {selector!r} ({exc})") from None
    found = xpath(root.getroottree().getroot())
    assert isinstance(found, list)
    return [e for e in found if isinstance(e.tag, str)]  # an element selector finds elements


def select_in(region: El, selector: str) -> list[El]:
    """Like soupsieve's ``region.select()``: descendants of region matching in the whole tree."""
    return [e for e in select_all(region, selector) if _inside(e, region)]


def _inside(element: El, region: El) -> bool:
    return any(a is region for a in element.iterancestors())


def select_region(root: El, select: str | None) -> El:
    """The watched region: the first match of ``select``, else ``<body>`` (else the root)."""
    if select:
        found = select_all(root, select)
        if not found:
            raise ExtractError(f"select {select!r} matched nothing")
        return found[0]
    body = next(root.iter("body"), None)
    return body if body is not None else root


# --- cleaning ---------------------------------------------------------------------------------


def is_noise(el: El) -> bool:
    """Scripts and the like, hidden inputs and elements, cookie/consent banners."""
    name = el.tag
    if name in NOISE_TAGS:
        return True
    attrs = el.attrib
    if not attrs:
        return False
    if name == "input" and attrs.get("type", "").lower() == "hidden":
        return True
    if "hidden" in attrs or attrs.get("aria-hidden", "").lower() == "true":
        return True
    if name in _KEEP:
        return False
    return is_banner_label(attrs.get("id", ""), attrs.get("class", ""), attrs.get("aria-label", ""))


def is_form_control(el: El) -> bool:
    """An input, button, label, select... inside a form (a button that names a heading, as an
    accordion's question does, is the heading's text and stays)."""
    if el.tag not in FORM_CONTROLS or next(el.iterancestors("form"), None) is None:
        return False
    return el.tag != "button" or next(el.iterancestors(*_LABELLED), None) is None


def drop(el: El) -> None:
    """Remove an element but keep the text after it, as a separate string (bs4's decompose).

    A comment takes its place: it carries the tail, keeps the strings before and after it apart
    and is invisible to every reader of text here.
    """
    parent = el.getparent()
    if parent is None:
        return
    placeholder = etree.Comment("")
    placeholder.tail = el.tail
    parent.replace(el, placeholder)


def remove_noise(region: El, ignore: Sequence[str] = ()) -> None:
    """Drop, inside ``region`` (never the region itself), everything that is not watched text."""
    doomed = [
        el for el in region.iterdescendants(etree.Element) if is_noise(el) or is_form_control(el)
    ]
    for selector in ignore:
        doomed.extend(select_in(region, selector))
    for el in doomed:
        if el is not region and _inside(el, region):
            drop(el)


# --- reading ----------------------------------------------------------------------------------


def _in_container(el: El) -> str | None:
    """The string container (rt, script, ...) ``el`` is in, itself included, if any."""
    if el.tag in STRING_CONTAINERS:
        return str(el.tag)
    found = next(el.iterancestors(*STRING_CONTAINERS), None)
    return str(found.tag) if found is not None else None


def _collect(el: El, here: str | None, want: str | None, br: bool, out: list[str]) -> None:
    if el.text and here == want:
        out.append(el.text)
    for child in el:
        tag = child.tag
        if isinstance(tag, str):
            if br and tag == "br" and want is None:
                out.append(" ")
            else:
                inner = tag if tag in STRING_CONTAINERS else here
                _collect(child, inner, want, br, out)
        if child.tail and here == want:
            out.append(child.tail)


def strings(el: El, *, br_as_space: bool = False) -> list[str]:
    """bs4's ``tag.strings`` for get_text(): text nodes, not comments, not script/rt strings.

    With ``br_as_space`` every ``<br>`` inside counts as a " " string (EUR-Lex's ``_text``).
    """
    here = _in_container(el)
    want = str(el.tag) if el.tag in STRING_CONTAINERS else None
    plain = here is None and next(el.iterdescendants(*STRING_CONTAINERS), None) is None
    if plain and (not br_as_space or next(el.iterdescendants("br"), None) is None):
        return list(el.itertext())
    out: list[str] = []
    _collect(el, here, want, br_as_space, out)
    return out


def text_of(el: El, separator: str = "") -> str:
    return separator.join(strings(el))


def children(el: El) -> Iterator[El]:
    """Element children (no comments or processing instructions)."""
    return (c for c in el if isinstance(c.tag, str))


def base_url(root: El, url: str) -> str:
    for base in root.iter("base"):
        href = base.get("href")
        if href is not None:
            return urljoin(url, href)
    return url


def document_links(region: El, base: str) -> tuple[str, ...]:
    """Absolute http(s) links to documents (.pdf, .docx, .xlsx) in the region, in order, once."""
    seen: dict[str, None] = {}
    for anchor in region.iterdescendants("a"):
        href = anchor.get("href")
        if href is None:
            continue
        link = absolute_http(base, href)
        if link and urlsplit(link).path.lower().endswith(DOCUMENT_SUFFIXES):
            seen.setdefault(link, None)
    return tuple(seen)


def page_title(root: El) -> str:
    title = next(root.iter("title"), None)
    if title is not None:
        text = clean(text_of(title))
        if text:
            return text
    h1 = next(root.iter("h1"), None)
    return clean(text_of(h1, " ")) if h1 is not None else ""
