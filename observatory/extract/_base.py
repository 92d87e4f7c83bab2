"""Shared parts of the extractors: the ``Extractor`` contract, options, and text helpers.

An extractor is a pure function ``(body, options) -> Document``; ``EXTRACTORS`` in the package
``__init__`` maps a name to one. The helpers here are plain functions of strings: normalise
text (NFC, whitespace collapsed), decode bytes, resolve links, judge ids and banner labels.
The HTML tree helpers (parse, select, remove noise, read text) are in ``_tree``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from observatory.document import Document
from observatory.errors import ExtractError


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """Everything an extractor may need besides the body (all from the source's config)."""

    url: str
    content_type: str = ""
    select: str | None = None
    ignore: Sequence[str] = ()
    items: str | None = None
    pdf_max_pages: int = 400
    pdf_timeout: float = 60.0


Extractor = Callable[[bytes, ExtractOptions], Document]

_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS))
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)

# Elements that never carry watched text.
NOISE_TAGS = frozenset(
    {"script", "style", "noscript", "template", "iframe", "svg", "nav", "audio", "video"}
    | {"select", "textarea", "datalist"}
)
# A form is not noise: a whole ASP.NET WebForms page sits inside one. Its controls are: their
# text is a label, a button caption or an option list, never the page's content.
FORM_CONTROLS = frozenset({"input", "button", "label", "select", "textarea", "output"})
_BANNER = re.compile(r"cookie|consent|gdpr", re.I)
DOCUMENT_SUFFIXES = (".pdf", ".docx", ".xlsx")

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
# Date-looking text (a listing item without <time>): 2024-09-05, 12/07/2024, 9 September 2024.
DATE = re.compile(
    rf"\b(\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}})?Z?)?"
    rf"|\d{{1,2}}[./]\d{{1,2}}[./]\d{{4}}"
    rf"|\d{{1,2}}\s+(?:{_MONTHS})\.?\s+\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}})\b",
    re.I,
)


def clean(text: str) -> str:
    """NFC, invisible characters dropped, every run of whitespace (nbsp included) one space."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if any(char in text for char in _INVISIBLE_CHARS):
            text = text.translate(_INVISIBLE)
    # str.split() splits on exactly what the regex \s matches (str.isspace), and is faster.
    return " ".join(text.split())


def charset_of(content_type: str) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def decode_text(body: bytes, content_type: str = "") -> str:
    """Bytes of a text document -> str (BOM, then the declared charset, then UTF-8)."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="replace")
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", errors="replace")
    charset = charset_of(content_type) or "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def require_body(body: bytes, what: str = "body") -> None:
    if not body or not body.strip():
        raise ExtractError(f"empty {what}: nothing to extract")


def is_banner_label(*labels: str) -> bool:
    """Does an id, class or aria-label say cookie banner / consent dialog?"""
    return any(_BANNER.search(label) for label in labels if label)


def is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def absolute_http(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``; None unless it is an http(s) URL."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return None
    absolute = urljoin(base, href)
    return absolute.split("#", 1)[0] if is_http(absolute) else None


_GENERATED_ID = re.compile(
    r"\d{4,}|[0-9a-f]{8,}|^(d\d+e\d+)|^(ext|ember|react|ng|uid|id)[-_]?\d"
    # a number glued to letters inside one part (ctr668, ctl00, item2): a framework's counter
    r"|[a-z]{2,}\d+(?:$|[-_])"
    # ASP.NET / DotNetNuke control paths, Drupal and CMS blocks, views and regions
    r"|^dnn|ctl\d|\$|^(?:block|views?|region|pane|panel|field|node|mini-panel)[-_]"
    # widgets numbered by their script: flexslider-1, slick-slide03, carousel_2, tabs-3
    r"|^(?:flexslider|slick|slider|carousel|swiper|owl|tabs?|accordion|ui-id|modal|tooltip)"
    r"[-_]?\d"
    r"|[-_]\d{3,}$",  # a long running number: ecl-inpage-navigation-812
    re.I,
)
_LAYOUT_ID = frozenset(
    {"content", "main", "main-content", "page", "wrapper", "container", "body", "root", "app"}
    | {"website-body", "page-wrapper", "content-wrapper", "main-container", "site-content"}
)


def meaningful_id(value: object) -> str | None:
    """An element id worth a link anchor (``art_4``, ``workplan``): not generated by a framework
    or widget (``dnn_ctr668_…``, ``block-system-main``, ``flexslider-1``), not a layout wrapper."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or value.lower() in _LAYOUT_ID or _GENERATED_ID.search(value):
        return None
    return value
