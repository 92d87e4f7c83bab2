"""Whole words in Python, as the full-text indexes see them: for marking matches in text.

A word is a run of letters and digits (FTS5's ``unicode61`` tokenizer; on PostgreSQL the
``observatory_words`` function of migration 0008); words compare without case and diacritics.
``marks`` finds where search terms (a word, a phrase of words in a row, a prefix) occur in a text;
``passage`` picks the stretch of words with the most of them, as FTS5's ``snippet()`` does.
The search itself runs in the database; this only shows where it matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+")
START, END = "\x02", "\x03"  # where a match starts and ends, before the text is HTML-escaped


@dataclass(frozen=True)
class Term:
    """One searched term: its words (folded) in a row, the last one a prefix or not."""

    words: tuple[str, ...]
    prefix: bool = False


def fold(word: str) -> str:
    """*word* without diacritics (decomposed, combining marks dropped) and lower-cased."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f").lower()


def words_of(text: str) -> tuple[str, ...]:
    """The folded words of *text*."""
    return tuple(fold(m.group()) for m in _WORD.finditer(text))


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]


def _matched(tokens: list[tuple[int, int, str]], terms: Sequence[Term]) -> list[range]:
    """The token ranges of the occurrences of the terms, overlapping ones merged (as FTS5's
    highlight() marks them: one mark per phrase occurrence, two words in a row two marks)."""
    found: list[range] = []
    for term in terms:
        n = len(term.words)
        for i in range(len(tokens) - n + 1):
            *head, last = (tokens[i + k][2] for k in range(n))
            if list(term.words[:-1]) != head:
                continue
            if last == term.words[-1] or (term.prefix and last.startswith(term.words[-1])):
                found.append(range(i, i + n))
    merged: list[range] = []
    for hit in sorted(found, key=lambda r: (r.start, r.stop)):
        if merged and hit.start < merged[-1].stop:
            merged[-1] = range(merged[-1].start, max(merged[-1].stop, hit.stop))
        else:
            merged.append(hit)
    return merged


def _render(
    text: str, tokens: list[tuple[int, int, str]], hits: list[range], lo: int, hi: int
) -> str:
    """Tokens lo..hi-1 of *text* with the original text between them, each occurrence of a term
    wrapped in START/END."""
    opens = {h.start for h in hits}
    closes = {h.stop - 1 for h in hits}
    out: list[str] = []
    position = tokens[lo][0]
    for i in range(lo, hi):
        start, end, _ = tokens[i]
        out.append(text[position:start])
        if i in opens or (i == lo and any(i in h for h in hits)):
            out.append(START)
        out.append(text[start:end])
        if i in closes or (i == hi - 1 and any(i in h for h in hits)):
            out.append(END)
        position = end
    return "".join(out)


def marks(text: str, terms: Sequence[Term]) -> str:
    """*text* with every occurrence of the terms between START and END."""
    tokens = _tokens(text)
    hits = _matched(tokens, terms)
    if not hits:
        return text
    return (
        text[: tokens[0][0]] + _render(text, tokens, hits, 0, len(tokens)) + text[tokens[-1][1] :]
    )


def passage(texts: Sequence[str], terms: Sequence[Term], size: int, ellipsis: str = "…") -> str:
    """The *size* words of one of *texts* holding the most matched words (the first such text
    and stretch), marked; an ellipsis where the text goes on. Empty when nothing matches."""
    best: tuple[int, int, str, list[tuple[int, int, str]], list[range]] | None = None
    for text in texts:
        tokens = _tokens(text)
        hits = _matched(tokens, terms)
        if not hits:
            continue
        starts = range(max(1, len(tokens) - size + 1))
        score, lo = max((sum(1 for h in hits if s <= h.start < s + size), -s) for s in starts)
        if best is None or score > best[0]:
            best = (score, -lo, text, tokens, hits)
    if best is None:
        return ""
    _, lo, text, tokens, hits = best
    hi = min(len(tokens), lo + size)
    before = ellipsis if lo > 0 else ""
    after = ellipsis if hi < len(tokens) else ""
    return before + _render(text, tokens, hits, lo, hi) + after
