"""Real pages, polled as a user would: every pair of real captures gives the expected outcome.

The captures (``../shared/corpus``, read in place) are served over loopback by the fixture
site, two ``observatory check`` runs poll them (baseline, then the new version) and
``observatory changes`` lists what was reported. Per pair (``pairs.py``): nothing at all for a
false-positive pair; else every wanted change found, at its location, and no furniture. Every
capture served twice (second copy differing only by a trailing comment) reports nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.realdata.harness import Result, change_text, found, pair_job, poll_twice, twice_job
from tests.realdata.pairs import CAPTURES, CORPUS, PAIRS

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir() and not os.environ.get("CI"), reason="../shared/corpus not present"
)
ASSERTED = [p for p in PAIRS if not p.info]


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    jobs = [pair_job(p) for p in PAIRS] + [twice_job(c) for c in CAPTURES]
    return poll_twice(jobs, Path(tmp_path_factory.mktemp("realdata")))


def listing(result: Result) -> str:
    return "\n".join(f"  {c['kind']} @ {c['location']}: {c['title']}" for c in result.changes)


@pytest.mark.parametrize("pair", ASSERTED, ids=lambda p: p.slug)
def test_pair_gives_the_expected_outcome(pair, polled):
    result = polled[pair.slug]
    assert result.error is None, result.error
    if not pair.expects_change:
        assert result.outcome == "unchanged", f"{pair.note}: false alarm\n{listing(result)}"
        assert result.changes == []
        return
    assert result.outcome == "changed"
    for want in pair.want:
        holding = found(want.text, result.changes)
        assert holding, f"missed {want.text!r} ({pair.note})\n{listing(result)}"
        if want.location is not None:
            where = [c["location"] for c in holding]
            assert want.location in where, f"{want.text!r} located at {where}, not {want.location}"
    for furniture in pair.avoid:
        leaked = [c["title"] for c in result.changes if furniture in change_text(c)]
        assert not leaked, f"furniture {furniture!r} reported: {leaked}"


@pytest.mark.parametrize("pair", [p for p in PAIRS if p.info], ids=lambda p: p.slug)
def test_a_redesign_is_polled_without_error_and_without_furniture(pair, polled):
    result = polled[pair.slug]
    assert result.error is None, result.error
    for furniture in pair.avoid:
        assert not found(furniture, result.changes), furniture


@pytest.mark.parametrize("path", CAPTURES)
def test_a_capture_served_twice_reports_nothing(path, polled):
    result = polled[twice_job(path).slug]
    assert (result.outcome, result.error) == ("unchanged", None), listing(result)
    assert result.changes == []


def test_the_table_covers_the_issue_examples():
    """The done-criteria of issue 9 are rows of the table, not a separate world."""
    names = {p.slug for p in ASSERTED}
    assert {f"edgi-falsepos-{n}" for n in ("footer", "num-views", "small-changes")} <= names
    assert {"health-v01-v02-noise-only", "health-v03-v04-theme-upgrade"} <= names
    assert len(CAPTURES) >= 16
