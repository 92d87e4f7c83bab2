"""The map of the AI Act's structure: built from the act's own titles, and finding the act's unit
in a change's context the way the pipeline and the labelled set give it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from observatory.tagging import Taxonomy, load_taxonomy, tag_text

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT.parent / "shared" / "corpus" / "ai-act" / "final-2024-1689-units.json"
OJ_TITLE = "L_202401689EN.000101.fmx.xml"  # the EUR-Lex page's <title>
ACT_TITLE = (
    "Regulation (EU) 2024/1689 of the European Parliament and of the Council of 13 June 2024 "
    "laying down harmonised rules on artificial intelligence (Artificial Intelligence Act)"
)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.mark.skipif(not UNITS.exists(), reason="shared corpus not available")
def test_the_map_holds_every_article_and_annex_title_of_the_act() -> None:
    shipped = yaml.safe_load((ROOT / "observatory" / "taxonomy.yaml").read_text("utf-8"))
    act: dict[str, dict[str, str]] = {"articles": {}, "annexes": {}}
    for unit in json.loads(UNITS.read_text(encoding="utf-8")):
        kind, _, number = unit["id"].partition("_")
        if kind in ("art", "anx"):
            title = [line.strip() for line in unit["text"].splitlines() if line.strip()][1]
            act["articles" if kind == "art" else "annexes"][number] = title.rstrip("`").strip()
    assert len(act["articles"]) == 113 and len(act["annexes"]) == 13
    for section in ("articles", "annexes"):
        assert {str(k): v for k, v in shipped["ai_act"][section].items()} == act[section]


def test_subjects_come_from_the_titles(taxonomy: Taxonomy) -> None:
    act = taxonomy.act
    assert act is not None
    subjects = {n: e.dimensions for n, e in act.articles.items() if e.dimensions}
    assert subjects["4"] == ("collaboration",)  # AI literacy
    assert all(subjects[n] == ("experimentation",) for n in ("57", "58", "59", "60", "61", "76"))
    assert all(subjects[n] == ("collaboration",) for n in ("65", "66", "67", "68", "69", "90"))
    assert "5" not in subjects and "84" not in subjects  # prohibitions; testing support structures
    assert act.annexes["IX"].dimensions == ("experimentation",)


@pytest.mark.parametrize(
    ("text", "context", "dimensions", "guidance"),
    [
        # the pipeline: the page title and the heading path of the EUR-Lex extractor
        (
            "(b) the lessons learnt",
            f"{OJ_TITLE}\nArticle 57 > 9 > (b)",
            ["guidance", "experimentation"],
            "AI Act, Article 57",
        ),
        (
            "The Board shall meet twice a year.",
            f"{ACT_TITLE}\nArticle 65 > 7",
            ["guidance", "collaboration"],
            "AI Act, Article 65",
        ),
        (
            "Member States shall lay down rules on penalties.",
            f"{ACT_TITLE}\nArticle 99 > 1",
            ["guidance"],
            "AI Act, Article 99",
        ),
        (
            "(20) In order to obtain the greatest benefits from AI systems",
            f"{ACT_TITLE}\nRecital 20",
            ["guidance", "collaboration"],
            "AI Act, Recital 20",
        ),
        (
            "4. the testing plan",
            f"{ACT_TITLE}\nAnnex IX > 4",
            ["guidance", "experimentation"],
            "AI Act, Annex IX",
        ),
        # the labelled set: the heading path with the article's title, no page title
        (
            "(c) shall apply from 2 August 2027.",
            "Article 113 Entry into force and application",
            ["guidance"],
            "AI Act, Article 113",
        ),
        (
            "(67) 'floating-point operation' means ...",
            "Article 3 Definitions",
            ["guidance"],
            "AI Act, Article 3",
        ),
        # an earlier version, renumbered: the map by number is not used, the title's words are
        (
            "Member States shall coordinate their activities.",
            "Commission proposal COM(2021) 206 > Article 53 AI regulatory sandboxes",
            ["guidance", "experimentation"],
            "AI Act, Article 53",
        ),
        (
            "collect and share expertise among Member States;",
            "Commission proposal COM(2021) 206 > Article 58 Tasks of the Board",
            ["guidance", "collaboration"],
            "AI Act, Article 58",
        ),
        (
            "The purpose of this Regulation",
            "Commission proposal COM(2021) 206 > Article 4 Amendments to Annex I",
            ["guidance"],
            "AI Act, Article 4",
        ),
        # a bare recital of legislation
        (
            "(174) the Commission should evaluate and review this Regulation by 2 August 2029",
            "Recital 174",
            ["guidance"],
            "AI Act, Recital 174",
        ),
    ],
)
def test_the_acts_own_text_is_guidance_plus_its_subject(
    taxonomy: Taxonomy, text: str, context: str, dimensions: list[str], guidance: str
) -> None:
    result = tag_text(text, taxonomy, context=context)
    assert result.dimensions == dimensions
    assert result.evidence["guidance"][0] == guidance


@pytest.mark.parametrize(
    ("text", "context"),
    [
        (
            "Manufacturers shall keep documentation.",
            "Regulation (EU) 2017/745 on medical devices\nArticle 3 Definitions",
        ),
        ("The label shall state the batch number.", "Article 12 Labelling"),
        (
            "Version 2 of the guideline.",
            "Annex 22 > 4",
        ),  # GMP annexes are numbered, the act's are roman
        ("Members of the committee met in May.", "Recital 5"),  # no legislative wording
    ],
)
def test_headings_of_other_texts_are_not_the_act(
    taxonomy: Taxonomy, text: str, context: str
) -> None:
    assert tag_text(text, taxonomy, context=context).to_json()["about_ai"] is False


def test_an_article_of_another_text_about_ai_is_guidance_without_the_acts_map(
    taxonomy: Taxonomy,
) -> None:
    context = "Regulation (EU) 2025/327 on the European Health Data Space\nArticle 57"
    result = tag_text("Data users may train AI models on the data.", taxonomy, context=context)
    assert result.evidence["guidance"] == ["legal text about AI, Article 57"]
    assert "experimentation" not in result.dimensions


@pytest.mark.skipif(not UNITS.exists(), reason="shared corpus not available")
def test_every_block_of_the_real_act_page_is_filed_as_the_acts_text(taxonomy: Taxonomy) -> None:
    """The EUR-Lex page of the act, extracted as a poll does, tagged with the context a poll
    passes (its title and each block's heading path): all of it is guidance, none of it tools,
    and the subjects follow the map (Articles 57-61: experimentation; 65-69: collaboration)."""
    from observatory.extract import extract

    page = UNITS.parent / "eurlex-oj-l-202401689-en.html"
    doc = extract("page", page.read_bytes(), url="https://eur-lex.europa.eu/eli/reg/2024/1689")
    located = 0
    for block in doc.blocks:
        result = tag_text(block.text, taxonomy, context=f"{doc.title}\n{block.location}")
        assert "guidance" in result.dimensions, block.location
        assert "tools" not in result.dimensions, block.location
        located += result.evidence["guidance"][0].startswith("AI Act, ")
        unit = block.location.split(" > ")[0]
        if unit in {f"Article {n}" for n in range(57, 62)}:
            assert "experimentation" in result.dimensions, block.location
        if unit in {f"Article {n}" for n in range(65, 70)}:
            assert "collaboration" in result.dimensions, block.location
    assert located >= len(doc.blocks) - 10  # all but the title block and the like
