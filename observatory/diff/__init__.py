"""Two Documents -> the list of Changes a reader cares about: blocks first, then words.

The steps, one module each:

* ``units`` - in legal texts, articles, recitals and annexes followed across versions: labels lent
  through anchors (amendment tables), units paired by content (``unit_pairs``) so that a
  renumbered unit reads ``Article 99 (was Article 71)``, old blocks reordered after their new
  units, and every block given the slot of its unit, within which the block diff works.
* ``blocks`` - match old blocks to new ones: unique anchors, then an LCS alignment of the block
  sequences, moves, reflow (same words cut differently: no change), then ``pairing`` inside
  each remaining region (similar blocks are one block edited; a split or merge is one edit).
* ``words`` - inside a modified block, the word ops (Indel opcodes over word strings); a block
  that differs only by noise (``observatory.noise``) yields no change.
* ``runs`` - consecutive changes of one kind and one location merge into one Change, titled.
* ``items`` - listing/feed items matched by key; documents newly linked or unlinked.

* ``headings`` - the title and section headings compared as content: a renamed page or
  heading is a change located at its parent.

``documents`` runs them over two Documents. ``sides`` holds the prepared blocks all of these
share (normalised once, words interned as characters so that rapidfuzz compares word sequences
in C); ``_model`` the ``Change`` returned.
"""

from observatory.diff._model import Change, Kind, Op
from observatory.diff.documents import diff_documents
from observatory.diff.items import LINKS_LOCATION
from observatory.diff.words import word_diff

__all__ = ["LINKS_LOCATION", "Change", "Kind", "Op", "diff_documents", "word_diff"]
