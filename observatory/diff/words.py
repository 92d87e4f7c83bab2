"""Word level: the ops between the words of old and new blocks (Indel opcodes over word strings).

A noise span (stamp, token; see ``observatory.noise``) can count as one word compared by its
placeholder, so a block that differs only by noise yields no change. Ops are word runs to be
joined with single spaces: ("=", same), ("-", deleted), ("+", inserted).
"""

from __future__ import annotations

from observatory.diff._model import Op
from observatory.diff.lcs import opcodes
from observatory.diff.sides import Side, Words, joined_ids
from observatory.document import Block
from observatory.noise import normalise_text


def word_diff(old: str, new: str) -> list[Op]:
    """Word ops from *old* to *new* text: ("=", same), ("-", deleted), ("+", inserted)."""
    words = Words()
    a = Side(Block(old), normalise_text(old), words)
    b = Side(Block(new), normalise_text(new), words)
    return word_ops([a], [b]) if a.norm and b.norm else []


def word_ops(olds: list[Side], news: list[Side], masked: bool = True) -> list[Op]:
    """Word ops between the joined texts of *olds* and of *news* (noise spans as one word
    when *masked*)."""
    if masked:
        words = (olds or news)[0].words
        old_keys, old_words = _tokens(olds)
        new_keys, new_words = _tokens(news)
        old_ids, new_ids = words.encode(old_keys), words.encode(new_keys)
    else:
        old_words, new_words = _split(olds), _split(news)
        old_ids, new_ids = joined_ids(olds), joined_ids(news)
    tagged: list[tuple[str, list[str]]] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes(old_ids, new_ids):
        if tag == "equal":
            if deleted:
                tagged.append(("-", deleted))
                deleted = []
            if inserted:
                tagged.append(("+", inserted))
                inserted = []
            tagged.append(("=", new_words[j1:j2]))
        else:
            deleted += old_words[i1:i2]
            inserted += new_words[j1:j2]
    if deleted:
        tagged.append(("-", deleted))
    if inserted:
        tagged.append(("+", inserted))
    return [(tag, " ".join(w)) for tag, w in tagged if w]


def _split(sides: list[Side]) -> list[str]:
    if len(sides) == 1:
        return sides[0].split
    out: list[str] = []
    for s in sides:
        out += s.split
    return out


def _tokens(sides: list[Side]) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    shown: list[str] = []
    for s in sides:
        k, w = s.tokens()
        keys += k
        shown += w
    return keys, shown
