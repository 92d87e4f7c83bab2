"""Tests for observatory.noise: what is masked, what is kept, volatility and fingerprints."""

from __future__ import annotations

import itertools

import pytest

from observatory.document import Block, Document, Item
from observatory.noise import (
    block_key,
    differs_only_by_noise,
    drop_volatile,
    fingerprint,
    is_stamp_label,
    mask_noise,
    noise_spans,
    normalise_text,
    volatile_keys,
)

MASKED = [
    ("Last updated: 31 January 2024 14:32", "Last updated: <DATE> <TIME>"),
    (
        "First published: 18/07/2023 Last updated: 05/09/2023",
        "First published: <DATE> Last updated: <DATE>",
    ),
    ("Published on 3 May 2024 | Updated 5 May 2024", "Published on <DATE> | Updated <DATE>"),
    ("Page last modified: 12 March 2024 by admin", "Page last modified: <DATE> by admin"),
    ("This page has been updated on 3 May 2024.", "This page has been updated on <DATE>."),
    ("Date: 2024-01-31", "Date: <DATE>"),
    ("Publication date: 3 May 2024", "Publication date: <DATE>"),
    ("Data as of 3 March 2024", "Data as of <DATE>"),
    ("(as of 3 June 2024)", "(as of <DATE>)"),
    ("Retrieved on 2024-05-03T12:00:00Z", "Retrieved on <TIMESTAMP>"),
    ("Accessed 1 Feb. 2024", "Accessed <DATE>"),
    ("Monday, 31 January 2024", "<DATE>"),
    ("January 31, 2024", "<DATE>"),
    ("Meeting at 2:30 pm CET on 3 May 2024", "Meeting at <TIME> on 3 May 2024"),
    ("Doors open 10.30 am, talks at 14:00.", "Doors open <TIME>, talks at <TIME>."),
    ("Updated 3 hours ago", "Updated <AGO>"),
    ("© 1995-2024 European Medicines Agency", "© <YEAR> European Medicines Agency"),
    ("request id 3f9a1c2e7b", "request id <TOKEN>"),
    ("uuid 123e4567-e89b-12d3-a456-426614174000 x", "uuid <TOKEN> x"),
    ("csrf=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5", "csrf=<TOKEN>"),
    ("nonce r4nd0mN0nc3Valu3XyZ", "nonce <TOKEN>"),
    # numeric date-times as CMSs print them (FEMA: "Last Updated:" + "10/05/2017 - 11:32")
    ("10/05/2017 - 11:32", "<DATE>"),
    ("Last Updated: 10/05/2017 - 11:32", "Last Updated: <DATE> - <TIME>"),
    ("Wednesday, February 01, 2017", "<DATE>"),
    ("All figures as of October 5, 2017, 10 am EDT", "All figures as of <DATE>, <TIME> EDT"),
    ("Page last updated on 3 May 2024", "Page last updated on <DATE>"),
    # view, comment and download counters (NOAA: "Number of views (4099)/Comments (0)")
    ("Number of views (4099)/Comments (0)", "Number of views (<COUNT>)/Comments (<COUNT>)"),
    ("(4099) Comments", "(<COUNT>) Comments"),
    ("Comments: 12", "Comments: <COUNT>"),
    ("Downloads (1,204)", "Downloads (<COUNT>)"),
    ("Viewed 1,234 times", "Viewed <COUNT> times"),
    ("4,099 views", "<COUNT> views"),
    ("Posted by EMA | 12 comments", "Posted by EMA | <COUNT> comments"),
]

KEPT = [
    "The consultation is open until 31 January 2024.",
    "The guideline will be published on 31 January 2024.",
    "Closing date: 31 January 2024",
    "Entry into force date: 1 August 2024",
    "This Regulation shall apply as of 2 August 2026.",
    "Regulation (EU) 2019/1020, document ST-15698-2022-INIT, CELEX 32024R1689",
    "https://eur-lex.europa.eu/eli/reg/2024/1689/oj",
    "Article 3.15 and point 2.50 EUR",
    "unpublished 3 May 2024",
    "internationalisation representativeness",
    "The consultation received 300 comments from stakeholders across the Union.",
    "Article 5 views",
]


@pytest.mark.parametrize(
    "label",
    [
        *("Last Updated:", "Last updated on", "Page last updated on", "All figures as of"),
        *("Date:", "Published:", "First published:", "Date of publication:", "Last reviewed on"),
    ],
)
def test_a_stamp_label_alone_is_recognised(label: str) -> None:
    assert is_stamp_label(label)


@pytest.mark.parametrize("text", ["Last updated: 3 May 2024", "Report", "Updated guidance"])
def test_text_with_more_than_a_stamp_label_is_not_one(text: str) -> None:
    assert not is_stamp_label(text)


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_stamps_times_and_tokens_are_masked(text: str, masked: str) -> None:
    assert mask_noise(text) == masked


@pytest.mark.parametrize("text", KEPT)
def test_content_dates_and_references_are_kept(text: str) -> None:
    assert mask_noise(text) == text


def test_whitespace_and_unicode_are_normalised() -> None:
    assert normalise_text("  Last\u00a0updated\n\t 3\u202fMay  ") == "Last updated 3 May"
    assert normalise_text("soft\u00adhyphen zero\u200bwidth") == "softhyphen zerowidth"
    assert normalise_text("Cafe\u0301") == "Café"  # NFC
    assert mask_noise("Last\u00a0updated\n  3\u00a0May 2024") == "Last updated <DATE>"


def test_noise_spans_are_sorted_and_disjoint() -> None:
    text = "Updated 2024-05-03T12:00:00Z, id 3f9a1c2e7b, at 12:00"
    spans = noise_spans(text)
    assert [text[s:e] for s, e, _ in spans] == ["2024-05-03T12:00:00Z", "3f9a1c2e7b", "12:00"]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_differs_only_by_noise_both_sides() -> None:
    assert differs_only_by_noise("Last updated: 3 May 2024", "Last updated:  5 June 2024")
    assert differs_only_by_noise("Session 9f8e7d6c5b", "Session 0a1b2c3d4e")
    assert not differs_only_by_noise(
        "The consultation is open until 31 January 2024.",
        "The consultation is open until 30 April 2024.",
    )
    assert not differs_only_by_noise("Last updated: 3 May 2024", "Last updated: 3 May 2024 draft")


def _page(banner: str, stamp: str, body: str = "AI workplan to 2028.") -> Document:
    return Document(
        blocks=(
            Block("Artificial intelligence", "Header"),
            Block(banner, "Header"),
            Block(body, "Workplan"),
            Block(stamp, "Footer"),
        ),
        items=(Item("k", "Reflection paper", "https://x.eu/k", "2024-01-01"),),
        title="AI | EMA",
    )


def test_block_key_counts_per_location_or_anchor() -> None:
    assert block_key(Block("x", "Header"), 1) == "Header#1"
    assert block_key(Block("x", "Article 5", "art_5"), 0) == "art_5#0"


def test_volatile_keys_find_rotating_blocks_only() -> None:
    a = _page("Did you know? Fact one.", "Last updated: 3 May 2024")
    b = _page("Did you know? A different fact.", "Last updated: 4 May 2024")
    assert volatile_keys(a, b) == {"Header#1"}
    dropped = drop_volatile(a, {"Header#1"})
    assert [blk.text for blk in dropped.blocks] == [
        "Artificial intelligence",
        "AI workplan to 2028.",
        "Last updated: 3 May 2024",
    ]
    assert dropped.items == a.items and dropped.title == a.title


def test_fingerprint_ignores_noise_and_volatile_blocks_but_not_content() -> None:
    a = _page("Did you know? Fact one.", "Last updated: 3 May 2024 10:00")
    b = _page("Did you know? A different fact.", "Last updated:\u00a04 May 2024 18:45")
    volatile = volatile_keys(a, b)
    assert fingerprint(a, volatile) == fingerprint(b, volatile)
    assert fingerprint(a) != fingerprint(b)  # the banner is content unless known volatile
    changed = _page("Did you know? Fact one.", "Last updated: 3 May 2024", "AI workplan to 2030.")
    assert fingerprint(changed, volatile) != fingerprint(a, volatile)
    redated = Document(
        blocks=a.blocks,
        items=(Item("k", "Reflection paper", "https://x.eu/k", "2024-06-30"),),
        title=a.title,
    )
    assert fingerprint(redated) == fingerprint(a)
    assert len(fingerprint(a)) == 64
