"""The diff on the real versions of the AI Act, scored against an independent article splitter
(``tests/realdata/legal_units.py``; the scoring is ``legal_eval.py``, the figures with timings
``bench/legal_bench.py``). The corpus is read in place; in CI its absence fails the session
(``tests/conftest.py``)."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from functools import cache

import pytest

from observatory.diff import Change, diff_documents
from observatory.extract import extract
from tests.realdata.legal_eval import (
    EP_LEFT,
    EP_RIGHT,
    FINAL,
    GA,
    PAIRS,
    PROPOSAL,
    SI,
    VERSIONS,
    Version,
    labels_of,
    load,
    path_of,
    score,
)

pytestmark = pytest.mark.skipif(not VERSIONS.is_dir(), reason="shared corpus not present")

THRESHOLD = 0.95


@cache
def _version(name: str) -> Version:
    return load(name)


@cache
def _changes(old: str, new: str) -> list[Change]:
    docs = [
        extract("page", path_of(n).read_bytes(), url="file://x", content_type="text/markdown")
        for n in (old, new)
    ]
    return diff_documents(*docs)


@pytest.mark.parametrize(("title", "old", "new"), PAIRS, ids=[p[0] for p in PAIRS])
def test_article_locations_and_labels_match_the_independent_splitter(
    title: str, old: str, new: str
) -> None:
    result = score(_changes(old, new), _version(old), _version(new))
    assert result.precision >= THRESHOLD, (title, result.spurious)
    assert result.recall >= THRESHOLD, (title, result.missed)
    assert result.label_rate >= THRESHOLD, [c.title for c in result.mislabelled[:10]]


def test_amendments_are_located_by_their_targets_and_headers_never_leak() -> None:
    changes = _changes(EP_LEFT, EP_RIGHT)
    texts = [t for c in changes for t in (*c.added, *c.removed)]
    assert not [t for t in texts if "Text proposed by the Commission" in t]
    assert not [t for t in texts if re.fullmatch(r"Amendment( \d+)?|Proposal for a regulation", t)]
    # Before: 249 of 639 changes were "Recital 44n" (Article 3's points taken for recitals).
    where = Counter(c.location for c in changes)
    assert where.most_common(1)[0][1] < 20, where.most_common(3)
    deep_fake = [c for c in changes if c.location == "Article 3 > 1 > (44d)"]
    assert [c.kind for c in deep_fake] == ["added"]
    assert deep_fake[0].added[0].startswith('(44d) "deep fake" means')
    recitals = {labels_of(c.location)[0] for c in changes if c.location.startswith("Recital")}
    assert "Recital 1" in recitals and "Recital 44n" not in recitals


def test_a_moved_article_is_reported_under_its_new_number_with_the_old_shown() -> None:
    changes = _changes(GA, FINAL)
    penalties = [c for c in changes if c.location.startswith("Article 99 (was Article 71)")]
    assert penalties and all(c.location == "Article 99 (was Article 71)" for c in penalties)
    titles = [c.title for c in penalties]
    assert "Article 99 (was Article 71) modified: “compliance” → “accordance”" in titles[0], titles
    assert not [c for c in changes if c.location in ("Article 71", "Article 99")]
    (committee,) = [c for c in changes if c.location.startswith("Article 98 ")]
    assert committee.title == "Article 98 (was Article 74) renumbered"


def _title(words: list[str]) -> list[str]:
    """The words after "Article 53" up to the first paragraph's number: its title."""
    title = []
    for word in words[2:14]:
        if word.isdigit() or word == "-":
            break
        title.append(word)
    return title


def _same_unit(old: list[str], new: list[str]) -> bool:
    """Whether the splitter's old and new words of one label are one unit, however edited: a
    side emptied ("(57)", "(59) [deleted]"), alike titles (the words after the number:
    "Article 56 Establishment [and structure] of the Board"), or alike texts."""
    if min(len(old), len(new)) <= 8:
        return True
    if difflib.SequenceMatcher(None, _title(old), _title(new)).ratio() >= 0.6:
        return True
    return difflib.SequenceMatcher(None, old, new, autojunk=False).ratio() >= 0.25


# The two columns of an amendment table share their labels (the targets): no renumbering there.
RENUMBERABLE = [p for p in PAIRS if p[1] != EP_LEFT]


@pytest.mark.parametrize(("title", "old", "new"), RENUMBERABLE, ids=[p[0] for p in RENUMBERABLE])
def test_no_label_names_two_articles_in_one_report(title: str, old: str, new: str) -> None:
    """A plain label on a removed change names the old article, on an added or modified one the
    new article: in one report they must be the same article (before: 47 labels in the general
    approach -> final act report named two, e.g. "Article 4 removed: Implementing acts" next to
    "Article 4 added: AI literacy")."""
    before, after = _version(old), _version(new)
    plain_old = {c.location.split(" > ")[0] for c in _changes(old, new) if c.kind == "removed"}
    plain_new = {c.location.split(" > ")[0] for c in _changes(old, new) if c.kind != "removed"}
    two = [
        label
        for label in plain_old & plain_new
        if label.startswith(("Article ", "Recital ", "Annex "))
        and not _same_unit(before.words.get(label, []), after.words.get(label, []))
    ]
    assert two == [], title


def test_the_financial_statement_and_signatures_are_not_the_last_article() -> None:
    changes = _changes(PROPOSAL, SI)  # the compromise dropped the financial statement
    assert not [c for c in changes if c.location.startswith("Article 85")]
    statement = [c for c in changes if c.location == "Legislative financial statement"]
    assert len(statement) == 1 and len(statement[0].removed) > 150
