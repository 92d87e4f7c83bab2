"""Full-text search over the changed text: FTS5 on SQLite, a tsvector on PostgreSQL, else LIKE.

On SQLite the index ``changes_fts`` (migration 0003) covers each change's title, location, added
and removed text and is kept in sync by triggers; on PostgreSQL the generated column
``changes.search_vector`` (migration 0008, GIN-indexed) holds the same words, so every writer (the
pipeline, a hand-made INSERT) updates either. What users type means the same on both: words are
ANDed, ``"quoted words"`` are phrases, a trailing ``*`` is a prefix, ``OR`` between two terms is
an alternative (AND binds tighter: ``a b OR c`` is ``(a b) OR c``), and a word matches whole
words only, without case or diacritics. On SQLite it becomes a safe FTS5 expression
(``match_expression``, nothing else of the FTS5 syntax let through), on PostgreSQL a tsquery
built term by term by ``observatory_phrase`` (``tsquery``). Matches are marked with
``highlight()``/``snippet()`` on SQLite, by ``observatory.store.words`` (the same whole words) on
PostgreSQL, and by ``mark_words`` (substrings, as LIKE matches) on other databases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, Literal

from markupsafe import Markup, escape
from sqlalchemy import String, cast, column, false, func, literal_column, or_, table, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from observatory.store import words as whole
from observatory.store.models import ChangeRow

# Control characters that never survive extraction (whitespace is normalised there), used to
# mark where highlight()/snippet() found a match before the text is HTML-escaped.
START, END = whole.START, whole.END
SNIPPET_TOKENS = 24
# What answers a search: FTS5 (SQLite), the tsvector column (PostgreSQL), or LIKE (neither).
Index = Literal["fts5", "tsvector", "like"]
SEARCH_VECTOR: Any = literal_column("changes.search_vector")
_TERM = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Highlight:
    """Escaped HTML with ``<mark>`` around the matches: the title and the best passage."""

    title: Markup
    snippet: Markup


def full_text_index(bind: Engine | Connection) -> Index:
    """Which index answers a search on this database (its migrations say)."""
    dialect = bind.dialect.name
    if dialect == "sqlite":
        query = text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'changes_fts'")
        found: Index = "fts5"
    elif dialect == "postgresql":
        query = text(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'changes' AND column_name = 'search_vector'"
        )
        found = "tsvector"
    else:
        return "like"
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return found if conn.execute(query).first() is not None else "like"
    return found if bind.execute(query).first() is not None else "like"


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


def tsquery(words: str) -> Any:
    """The user's words as a PostgreSQL tsquery expression (None: no term has a word). Each
    term goes through ``observatory_phrase``, the function that also splits the indexed text,
    so a term and the text it should match are always read alike."""
    groups: list[list[Any]] = [[]]
    for term, is_phrase, is_prefix in terms(words):
        if term == "OR" and not is_phrase:
            groups.append([])
        elif whole.words_of(term):  # a term of no word ("_") matches nothing, as in FTS5
            groups[-1].append(func.observatory_phrase(term, is_prefix))
    alternatives = [reduce(lambda a, b: a.op("&&")(b), g) for g in groups if g]
    return reduce(lambda a, b: a.op("||")(b), alternatives) if alternatives else None


def apply_search(query: Any, words: str, *, fts: Index) -> tuple[Any, Any]:
    """Restrict a ``select(ChangeRow)`` to the changes matching *words*.

    Returns the query and the id column to order and page by (None when *words* is empty: the
    caller keeps its own order). With FTS5 the index drives the query (``ORDER BY
    changes_fts.rowid DESC`` is answered by the index itself), so a page of matches for a common
    word costs a page, not a scan of every match; PostgreSQL chooses between the GIN index and
    walking the id index backwards.
    """
    if not terms(words):
        return query, None
    if fts == "tsvector":
        wanted = tsquery(words)
        matches = false() if wanted is None else SEARCH_VECTOR.op("@@")(wanted)
        return query.where(matches), col(ChangeRow.id)
    if fts != "fts5":
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


def highlights(
    conn: Connection, rows: Sequence[ChangeRow], words: str, fts: Index
) -> dict[int, Highlight]:
    """Marked title and best passage of each row that matches *words*: by FTS5 itself, by the
    same whole words in Python (PostgreSQL), or by substrings (LIKE)."""
    if fts == "fts5":
        return _fts5_highlights(conn, [r.id for r in rows if r.id is not None], words)
    if fts == "tsvector":
        found = [
            whole.Term(whole.words_of(t), p)
            for t, is_phrase, p in terms(words)
            if (is_phrase or t != "OR") and whole.words_of(t)
        ]
        return {
            r.id: Highlight(
                marked(whole.marks(r.title, found)),
                marked(whole.passage(_fields(r), found, SNIPPET_TOKENS)),
            )
            for r in rows
            if r.id is not None
        }
    return {
        r.id: Highlight(
            mark_words(r.title, words), mark_words(" … ".join(r.added or r.removed)[:400], words)
        )
        for r in rows
        if r.id is not None
    }


def _fields(row: ChangeRow) -> list[str]:
    """The indexed fields of a change, as FTS5's columns hold them."""
    return [row.title, row.location, "\n".join(row.added), "\n".join(row.removed)]


def _fts5_highlights(conn: Connection, ids: Sequence[int], words: str) -> dict[int, Highlight]:
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
