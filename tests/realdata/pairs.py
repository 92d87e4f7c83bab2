"""The real-material table: pairs of real captures with the outcome a watcher expects.

Every file is read in place from ``../shared/corpus`` (never copied: several origins are GPL,
AGPL or unlicensed; see ``corpus/pages/SOURCES.md``). A pair says what the change between its
two captures really is, as its origin labelled it (EDGI's analysts) or as a reading of the
two versions established (``corpus/pages/SOURCES.md``, ``edgi/README.md``):

* ``want``: each item's words must be in one reported change (its added or removed text, or
  its title), and that change must be at ``location`` when one is given. No ``want``: nothing
  may be reported (a false-positive pair: noise, furniture or a redesign only).
* ``avoid``: words of furniture or noise that changed too and must be in no change.
* ``info``: a redesign with no agreed answer; measured by the bench, not asserted.

The table grows: add a ``Pair`` (legal texts too: ``.md``/``.txt`` are served as text, and a
``source`` may set ``kind``, ``select``, ``ignore``); ``tests/realdata/test_pairs.py`` and
``bench/realdata_bench.py`` pick it up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

E = "pages/edgi/pages/"
HC = "pages/health.ec.europa.eu/mdcg-guidance-page/"
MEP = "pages/europarl.europa.eu/meps/member-home_aaltola__"
OEIL = "pages/europarl.europa.eu/oeil/procedure-file_2022-2852-rsp__"
OJ = "pages/eur-lex.europa.eu/oj-act_AI-Act_L_202401689__"


@dataclass(frozen=True)
class Want:
    """Words a reported change must hold, and where a reader should be sent (None: anywhere)."""

    text: str
    location: str | None = None


@dataclass(frozen=True)
class Pair:
    name: str
    old: str  # path under ../shared/corpus
    new: str
    want: tuple[Want, ...] = ()
    avoid: tuple[str, ...] = ()
    source: Mapping[str, Any] = field(default_factory=dict)  # kind, select, ignore, items
    info: bool = False
    note: str = ""

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    @property
    def expects_change(self) -> bool:
        return bool(self.want)


def _hc(old: str, new: str) -> tuple[str, str]:
    return HC + old, HC + new


V01, V02 = "v01_2025-10-05_38a6c57.html", "v02_2025-10-06_075ff67_noise-only.html"
V03, V04 = "v03_2025-11-20_2902908.html", "v04_2025-11-21_6c5a7ae_theme-upgrade.html"
V05, V06 = "v05_2025-12-13_dfd70c2.html", "v06_2025-12-16_c200008_content-change.html"
V07 = "v07_2026-08-17_fc5f489_latest.html"
UDI = "Unique Device Identifier (UDI)"
FED = "Federal Response Updates"
STATES = "States, Local Government, and Tribal Initiatives"

PAIRS: tuple[Pair, ...] = (
    # --- EDGI's labelled pairs (US government pages), whole-page mode -------------------------
    Pair(
        "edgi falsepos footer",
        E + "falsepos-footer-a.html",
        E + "falsepos-footer-b.html",
        avoid=("golden-cheeked warbler", "Manatee Awareness Month"),
        note="DOI Mission Statement: only the rotating stories of the header carousel changed",
    ),
    Pair(
        "edgi falsepos num views",
        E + "falsepos-num-views-a.html",
        E + "falsepos-num-views-b.html",
        avoid=("Number of views", "February 02, 2017"),
        note="NOAA (ASP.NET, the body is one <form>): view counter and header date",
    ),
    Pair(
        "edgi falsepos small changes",
        E + "falsepos-small-changes-a.html",
        E + "falsepos-small-changes-b.html",
        avoid=("Facility",),
        note="NREL: a side-menu entry changed",
    ),
    Pair(
        "edgi truepos dataset removal",
        E + "truepos-dataset-removal-a.html",
        E + "truepos-dataset-removal-b.html",
        want=(Want("View this Dataset", "Weather Service Data"),),
        note="Data.gov Highlights: a 'View this Dataset' link removed",
    ),
    Pair(
        "edgi truepos image removal",
        E + "truepos-image-removal-a.html",
        E + "truepos-image-removal-b.html",
        want=(Want("In November 2009, President Barack Obama and President Hu Jintao", "Page"),),
        note="DOE U.S.-China Energy Collaboration: the hero image and its caption removed",
    ),
    Pair(
        "edgi truepos major changes",
        E + "truepos-major-changes-a.html",
        E + "truepos-major-changes-b.html",
        want=(
            Want("EPA Adaptation Collaboration", "Page"),
            Want("Federal Partner Collaboration", "Page"),
            Want("EPA provides climate and energy resources for state, local", STATES),
            Want("OECD's Environment Policy Committee provides a forum", "International Efforts"),
        ),
        avoid=("Last updated on",),
        note="EPA: the page renamed (title and h1) and rewritten",
    ),
    Pair(
        "edgi fema maria",
        E + "fema-maria-a.html",
        E + "fema-maria-b.html",
        want=(
            Want("14,000", FED),
            Want("USS Wasp scheduled to arrive Tuesday", FED),
            Want("municipalities are eligible for Individual Assistance", FED),
        ),
        avoid=("All figures as of", "Last Updated", "10/05/2017 - 11:32"),
        note="FEMA status page two days apart: response figures; stamps in sibling elements",
    ),
    Pair(
        "edgi doe newsroom",
        E + "doe-newsroom-a.html",
        E + "doe-newsroom-b.html",
        want=(
            Want("Conditional Commitment to Support Continued Construction", "Energy News"),
            Want("Secretary Perry Urges FERC to Take Swift Action", "Energy News"),
        ),
        note="DOE home page: two news items added at the top, two dropped at the bottom",
    ),
    # --- The Commission's health page (EC web platform, ECL v4), whole-page mode --------------
    Pair("health v01 v02 noise only", *_hc(V01, V02), note="meta order, form ids, random ids"),
    Pair("health v03 v04 theme upgrade", *_hc(V03, V04), note="ECL upgrade: classes, no text"),
    Pair(
        "health v04 v05 teasers only",
        *_hc(V04, V05),
        avoid=("1 December 2025", "26 August 2025"),
        note="only the 'Latest updates' teaser cards beside the content changed",
    ),
    Pair(
        "health v02 v03 mdcg 2025-8",
        *_hc(V02, V03),
        want=(Want("MDCG 2025-8", UDI), Want("MDCG 2021-09", UDI)),
        avoid=("10 November 2025",),
        note="a guidance document added, two withdrawn; teasers shifted",
    ),
    Pair(
        "health v05 v06 mdcg 2025-9",
        *_hc(V05, V06),
        want=(Want("Guidance on Breakthrough Devices (BtX)", "New technologies"),),
        avoid=("15 December 2025", "12 September 2025"),
        note="the real content change: MDCG 2025-9 added; teasers shifted",
    ),
    Pair(
        "health v06 v07 eight months",
        *_hc(V06, V07),
        want=(Want("MDCG 2026-4", "EUDAMED"), Want("MDCG 2026-5", UDI)),
        avoid=("Mastodon", "Bluesky", "Publication of dashboard version 3.5"),
        note="eight months of edits; share bar and teasers changed too",
    ),
    # --- European Parliament, whole-page mode ---------------------------------------------------
    Pair(
        "mep v1 v2 committee added",
        MEP + "v1_2025-01-14_61c74e1a.html",
        MEP + "v2_2025-02-16_e7f6ce31.html",
        want=(Want("Special committee on the European Democracy Shield"),),
        note="a new committee membership (EUDS); latest debates shifted",
    ),
    Pair(
        "mep v2 v3 design upgrade",
        MEP + "v2_2025-02-16_e7f6ce31.html",
        MEP + "v3_2026-02-12_5e2beabe.html",
        want=(Want("OPINION on Global Gateway"),),
        avoid=("EU budget", "President’s website"),
        note="design system 6 -> 7 and a year of activities",
    ),
    Pair(
        "oeil v2 v3 design upgrade",
        OEIL + "v2_2024-11-17_b10164e0.html",
        OEIL + "v3_2025-11-13_f408fae3.html",
        avoid=("Snapchat", "Elections"),
        info=True,
        note="design system 6 -> 7; a label renamed, two rows swapped",
    ),
    Pair(
        "oeil v1 v2 relaunch",
        OEIL + "v1_2024-05-24_b7ce7e06.html",
        OEIL + "v2_2024-11-17_b10164e0.html",
        info=True,
        note="the Legislative Observatory relaunched: new markup, new layout",
    ),
    Pair(
        "oj ai act v1 v2",
        OJ + "v1_2024-09_AI-Maker-Space.html",
        OJ + "v2_2026-06_vchandan27.html",
        info=True,
        note="EUR-Lex regenerated the act: footnote markers *1 -> * (the legal-text work)",
    ),
)

# Every page capture (and the feed) served twice: nothing may be reported.
CAPTURES: tuple[str, ...] = tuple(
    sorted(
        p.relative_to(CORPUS).as_posix()
        for pattern in ("pages/**/*.html", "pages/**/*.xml")
        for p in CORPUS.glob(pattern)
    )
)
