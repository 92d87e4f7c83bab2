"""Full-text search over the changed text: an FTS5 index on SQLite, LIKE elsewhere.

The index ``changes_fts`` (migration 0003) covers each change's title, location, added and removed
text and is kept in sync by triggers, so every writer (the pipeline, a hand-made INSERT) updates
it. What users type is turned into a safe FTS5 expression by ``match_expression``: words are
ANDed, ``"quoted words"`` are phrases, a trailing ``*`` is a prefix, ``OR`` between two terms is
an alternative; nothing else of the FTS5 syntax is let through. Matches are marked with
``highlight()``/``snippet()`` on SQLite and by ``mark_words`` on other databases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import String, cast, column, func, or_, table, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from observatory.store.models import ChangeRow

# Control characters that never survive extraction (whitespace is normalised there), used to
# mark where highlight()/snippet() found a match before the text is HTML-escaped.
START, END = "\x02", "\x03"
SNIPPET_TOKENS = 24
_TERM = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Highlight:
    """Escaped HTML with ``<mark>`` around the matches: the title and the best passage."""

    title: Markup
    snippet: Markup


def has_fts(bind: Engine | Connection) -> bool:
    if bind.dialect.name != "sqlite":
        return False
    query = text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'changes_fts'")
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return conn.execute(query).first() is not None
    return bind.execute(query).first() is not None


def terms(words: str) -> list[tuple[str, bool, bool]]:
    """(text, is_phrase, is_prefix) for each term; ``OR`` comes back as ("OR", False, False)."""
    out: list[tuple[str, bool, bool]] = []
    for phrase, bare in _TERM.findall(words.replace("\x00", "")):
        if phrase:
            if _WORD.search(phrase):
                out.append((phrase, True, False))
        elif bare == "OR":
            out.append(("OR", False, False))
        elif _WORD.search(bare):
            prefix = bare.endswith("*")
            out.append((bare.rstrip("*").strip('"'), False, prefix))
    # an OR needs a term on each side
    while out and out[0][0] == "OR" and not out[0][1]:
        out.pop(0)
    while out and out[-1][0] == "OR" and not out[-1][1]:
        out.pop()
    return out


def match_expression(words: str) -> str:
    """The user's words as an FTS5 expression in which every term is a quoted string."""
    parts: list[str] = []
    for term, is_phrase, is_prefix in terms(words):
        if term == "OR" and not is_phrase:
            if parts and parts[-1] != "OR":
                parts.append("OR")
            continue
        quoted = '"' + term.replace('"', '""') + '"'
        parts.append(quoted + ("*" if is_prefix else ""))
    return " ".join(parts)


FTS = table("changes_fts", column("rowid"))


def apply_search(query: Any, words: str, *, fts: bool) -> tuple[Any, Any]:
    """Restrict a ``select(ChangeRow)`` to the changes matching *words*.

    Returns the query and the id column to order and page by (None when *words* is empty: the
    caller keeps its own order). With FTS5 the index drives the query (``ORDER BY
    changes_fts.rowid DESC`` is answered by the index itself), so a page of matches for a common
    word costs a page, not a scan of every match.
    """
    if not terms(words):
        return query, None
    if not fts:
        return query.where(*like_condition(words)), col(ChangeRow.id)
    joined = query.join_from(ChangeRow, FTS, FTS.c.rowid == col(ChangeRow.id)).where(
        text("changes_fts MATCH :fts_q").bindparams(fts_q=match_expression(words))
    )
    return joined, FTS.c.rowid


def like_condition(words: str) -> Any:
    """Every word (or phrase) appears, case-insensitively, in the title, location or text."""
    conditions = []
    for term, is_phrase, _prefix in terms(words):
        if term == "OR" and not is_phrase:
            continue  # the fallback is AND-only: an honest subset of the FTS syntax
        pattern = f"%{term.lower()}%"
        conditions.append(
            or_(
                func.lower(ChangeRow.title).like(pattern),
                func.lower(ChangeRow.location).like(pattern),
                func.lower(cast(ChangeRow.added, String)).like(pattern),
                func.lower(cast(ChangeRow.removed, String)).like(pattern),
            )
        )
    return conditions


def highlights(conn: Connection, ids: Sequence[int], words: str) -> dict[int, Highlight]:
    """Marked title and snippet of each change in *ids* that matches *words* (FTS5 only)."""
    expression = match_expression(words)
    if not ids or not expression:
        return {}
    placeholders = ", ".join(str(int(i)) for i in ids)
    query = text(
        "SELECT rowid, highlight(changes_fts, 0, :s, :e), "
        f"snippet(changes_fts, -1, :s, :e, '…', {SNIPPET_TOKENS}) "
        f"FROM changes_fts WHERE changes_fts MATCH :q AND rowid IN ({placeholders})"
    )
    out = {}
    for rowid, title, snippet in conn.execute(query, {"s": START, "e": END, "q": expression}):
        out[int(rowid)] = Highlight(marked(title or ""), marked(snippet or ""))
    return out


def marked(value: str) -> Markup:
    """Escape *value*, then turn the START/END sentinels into ``<mark>`` tags."""
    escaped = str(escape(value))
    return Markup(escaped.replace(START, "<mark>").replace(END, "</mark>"))


def mark_words(value: str, words: str) -> Markup:
    """Escaped *value* with each searched term marked (the fallback for databases without FTS)."""
    needles = [t for t, is_phrase, _ in terms(words) if is_phrase or t != "OR"]
    if not needles:
        return Markup(escape(value))
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    return marked(pattern.sub(lambda m: START + m.group(0) + END, value.replace(START, "")))
