"""Pure helpers the templates use: the word-level diff as HTML, times for people.

Every scraped string passes through ``markupsafe.escape`` here before any tag is added.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from observatory.store.models import as_utc

TAGS = {"-": "del", "+": "ins"}


def diff_html(ops: Sequence[Sequence[Any]] | None) -> Markup:
    """``[["=", "kept"], ["-", "gone"], ["+", "new"], ["=", "\\n"]]`` as escaped HTML:
    deletions in ``<del>``, insertions in ``<ins>``, block breaks as ``<br>``."""
    parts: list[str] = []
    for op in ops or ():
        if len(op) != 2:
            continue
        tag, text = str(op[0]), str(op[1])
        if text == "\n":
            parts.append("<br>")
            continue
        words = str(escape(text))
        if tag in TAGS:
            parts.append(f"<{TAGS[tag]}>{words}</{TAGS[tag]}>")
        else:
            parts.append(words)
    return Markup(" ".join(parts).replace(" <br> ", "<br>"))


def when(value: datetime | str | None) -> str:
    """``2026-11-28 06:00 UTC`` (always UTC; the ISO form is in the page's <time> tags)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")
