"""Tests of observatory/tagging/: the AI gate, evidence, hints, context, unfiled texts, override
and bad taxonomy files. How well the shipped rules do on the labelled set: test_targets.py."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from observatory.dimensions import KEYS as DIMENSIONS
from observatory.errors import ConfigError
from observatory.tagging import (
    HINT_EVIDENCE,
    RuleSet,
    Tagging,
    Taxonomy,
    ai_terms,
    load_taxonomy,
    parse_taxonomy,
    score,
    tag_text,
)

HERE = Path(__file__).parent
CASES: list[dict[str, Any]] = [
    case
    for name in ("tune", "locked")
    for case in yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8"))
]


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def tag(text: str, taxonomy: Taxonomy, *hints: str, context: str = "") -> Tagging:
    return tag_text(text, taxonomy, hints, context=context)


# --------------------------------------------------------------------------- packaged taxonomy


def test_packaged_taxonomy_is_loaded_once_and_covers_every_dimension(taxonomy: Taxonomy) -> None:
    assert load_taxonomy() is taxonomy  # compiled once, then reused
    assert list(taxonomy.dimensions) == list(DIMENSIONS)
    assert taxonomy.path == "observatory/taxonomy.yaml"
    assert all(
        isinstance(p.regex, re.Pattern) for r in taxonomy.dimensions.values() for p in r.patterns
    )


# --------------------------------------------------------------------------- the AI gate


@pytest.mark.parametrize(
    "text",
    [
        "The PRAC reviewed medicines for HIV/AIDS, the chair said.",
        "Dr Ai Sato was elected chair of the working party.",
        "AIFA signed a memorandum with AEMPS on GMP inspections.",
        "Maintaining supply: the ai of the batch was checked.",
        "The acceptable intake (AI) of the nitrosamine is 18 ng/day; see the guidance.",
        "N-nitroso-fluoxetine: potency category 4, AI 1500 ng/day.",
        "The dosing algorithm in the guideline was revised.",
        "The PRAC started a review after new data on neural tube defects.",
        "Table 1 lists the AI (acceptable intake) values for 14 nitrosamines.",
        "The network training centre's learning management system moved to a new platform.",
        "Translation memory files for the QRD templates have been updated.",
        "Clearance is 12 ML/min in adults.",
    ],
)
def test_gate_refuses_text_not_about_ai(taxonomy: Taxonomy, text: str) -> None:
    assert ai_terms(text, taxonomy) == []
    assert tag(text, taxonomy) == Tagging([], {})


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("An AI-based tool was qualified.", "AI"),
        ("Guidance on AI/ML in pharmacovigilance.", "AI"),
        ("The use of LLMs by staff.", "LLMs"),
        ("Obligations for GPAI providers.", "GPAI"),
        ("Machine-learning models in\ntrials.", "Machine-learning"),
        ("Use of artificial\nintelligence in medicines.", "artificial intelligence"),
        ("A general-purpose AI model with systemic risk.", "general-purpose AI"),
        ("A classifier trained on past validation issues.", "classifier trained"),
        ("Results of the technical deep dive were presented.", "technical deep dive"),
        ("A predictive algorithm learning from data adjusts dosing.", "learning from data"),
        ("Staff use the agency's neural machine translation.", "neural machine translation"),
        ("An assistant built on a vision-language model.", "vision-language model"),
        ("The second experimentation cycle starts in May.", "experimentation cycle"),
        ("Deployers shall inform workers.", "Deployers"),
    ],
)
def test_gate_accepts_text_about_ai(taxonomy: Taxonomy, text: str, term: str) -> None:
    assert term in ai_terms(text, taxonomy)


def test_text_not_about_ai_gets_nothing_even_with_dimension_words(taxonomy: Taxonomy) -> None:
    text = (
        "The pilot regulatory sandbox offers guidelines, training workshops and international "
        "collaboration on the new tools and technology for antibiotics."
    )
    assert tag(text, taxonomy, "guidance", "tools").to_json() == {
        "dimensions": [],
        "evidence": {},
        "about_ai": False,
        "ai_evidence": [],
    }


# --------------------------------------------------------------------------- evidence


def test_evidence_is_the_phrase_as_it_appears_deduplicated_in_dimension_order(
    taxonomy: Taxonomy,
) -> None:
    text = (
        "Member States shall set up an AI Regulatory\nSandbox. The Commission publishes "
        "Guidelines on AI; the guidelines and the sandbox plan are reviewed by the AI Board."
    )
    result = tag(text, taxonomy)
    assert result.dimensions == ["guidance", "collaboration", "experimentation"]
    assert result.evidence == {
        "guidance": ["Guidelines"],
        "collaboration": ["AI Board"],
        "experimentation": ["Sandbox"],
    }
    assert json.loads(json.dumps(result.to_json())) == {
        "dimensions": result.dimensions,
        "evidence": result.evidence,
        "about_ai": True,
        "ai_evidence": ["AI"],
    }


def test_words_inside_other_words_do_not_match_and_leave_the_text_unfiled(
    taxonomy: Taxonomy,
) -> None:
    text = "AI providers: autopilots, guidelinesque drafts and unexperimented ideas."
    result = tag(text, taxonomy)
    assert result.dimensions == []
    assert result.about_ai and result.unfiled  # about AI, under no dimension: not lost
    assert not tag("Autopilots and guidelinesque drafts.", taxonomy).unfiled


def test_excluded_spans_do_not_count(taxonomy: Taxonomy) -> None:
    text = "The European Data Protection Supervisor may establish an AI regulatory sandbox."
    result = tag(text, taxonomy)
    assert result.dimensions == ["experimentation"]
    assert "tools" not in result.evidence


def test_ai_literacy_tools_are_not_ai_tools(taxonomy: Taxonomy) -> None:
    result = tag("The Board should promote AI literacy tools.", taxonomy)
    assert "tools" not in result.dimensions
    assert "AI literacy" in result.evidence["collaboration"]


@pytest.mark.parametrize(
    ("text", "expected", "evidence"),
    [
        (
            "Signal detection staff use a neural network that groups case narratives.",
            ["tools"],
            "neural network + groups",
        ),
        (
            "An AI chatbot answers staff questions about procurement procedures.",
            ["tools"],
            "chatbot",
        ),
        (
            "A proof of concept tested whether a deep-learning model could support assessors.",
            ["tools", "experimentation"],
            "proof of concept",
        ),
        (
            "EMA and Health Canada signed a memorandum on AI in medicines regulation.",
            ["collaboration"],
            "memorandum",
        ),
        (
            "Sponsors should report the architecture of any neural network used for an endpoint.",
            ["guidance"],
            "should",
        ),
    ],
)
def test_concept_families_file_texts_that_name_no_rule_word(
    taxonomy: Taxonomy, text: str, expected: list[str], evidence: str
) -> None:
    result = tag(text, taxonomy)
    assert result.dimensions == expected
    assert evidence in [p for phrases in result.evidence.values() for p in phrases]


def test_a_workplan_heading_files_its_actions(taxonomy: Taxonomy) -> None:
    context = "HMA/EMA AI workplan 2023-2028 > AI tools and technology"
    result = tag(
        "Ensure full compliance with data protection legislation", taxonomy, context=context
    )
    assert result.dimensions == ["tools"]
    assert "heading: AI tools and technology" in result.evidence["tools"]


# --------------------------------------------------------------------------- hints and context


def test_hint_adds_its_dimension_to_text_about_ai(taxonomy: Taxonomy) -> None:
    result = tag("EMA updated its page on artificial intelligence.", taxonomy, "tools")
    assert result.to_json() == {
        "dimensions": ["tools"],
        "evidence": {"tools": [HINT_EVIDENCE]},
        "about_ai": True,
        "ai_evidence": ["artificial intelligence"],
    }


def test_hint_joins_rule_evidence(taxonomy: Taxonomy) -> None:
    result = tag(
        "A new AI regulatory sandbox and the reflection paper.", taxonomy, "experimentation"
    )
    assert result.dimensions == ["guidance", "experimentation"]
    assert result.evidence["experimentation"] == ["sandbox", HINT_EVIDENCE]


def test_unknown_hint_is_a_programming_error(taxonomy: Taxonomy) -> None:
    with pytest.raises(ValueError, match="unknown dimension hint 'policy'"):
        tag("About AI.", taxonomy, "policy")


def test_context_opens_the_gate_and_tags(taxonomy: Taxonomy) -> None:
    text = "5. Any subjects of the testing may withdraw their informed consent at any time."
    assert tag(text, taxonomy).dimensions == []
    context = "Article 60 Testing of high-risk AI systems in real world conditions > 5"
    result = tag(text, taxonomy, context=context)
    assert result.dimensions == ["guidance", "experimentation"]  # the act's own text: guidance
    assert result.evidence["guidance"] == ["AI Act, Article 60"]
    assert "real world conditions" in result.evidence["experimentation"]


# --------------------------------------------------------------------------- override files

OVERRIDE = """
version: 1
gate:
  patterns: ['robot(s)?']
  case_sensitive: [RPA]
dimensions:
  tools:
    patterns: ['robot arms?', 'automation platforms?']
    exclude: ['toy robot arms?']
"""


def test_override_file_replaces_the_packaged_rules(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(OVERRIDE, encoding="utf-8")
    custom = load_taxonomy(path)
    assert load_taxonomy(str(path)) is custom  # compiled once per version of the file
    assert custom.path == str(path)
    assert list(custom.dimensions) == ["tools"]
    assert tag_text("A robot arm and an automation platform.", custom).evidence == {
        "tools": ["robot arm", "automation platform"]
    }
    assert tag_text("Guidelines on artificial intelligence.", custom).dimensions == []
    assert tag_text("RPA guidelines", custom, ["guidance"]).evidence == {
        "guidance": [HINT_EVIDENCE]
    }
    assert tag_text("The toy robot arm.", custom).dimensions == []
    # RPA is a case-sensitive gate pattern
    assert tag_text("rpa guidelines", custom, ["guidance"]).dimensions == []
    path.write_text(OVERRIDE.replace("robot arms?", "robot hands?"), encoding="utf-8")
    changed = load_taxonomy(path)
    assert changed is not custom
    assert tag_text("A robot hand.", changed).dimensions == ["tools"]


def test_override_file_can_use_concepts_headings_an_act_map_and_a_model(tmp_path: Path) -> None:
    packaged = Path(__file__).parents[2] / "observatory" / "taxonomy-model.json"
    (tmp_path / "m.json").write_bytes(packaged.read_bytes())
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        "model: m.json\n"
        "gate: {patterns: ['robots?']}\n"
        "concepts:\n  arm: {patterns: ['arms?']}\n  moves: {patterns: [moves]}\n"
        "dimensions:\n"
        "  tools: {combinations: [[arm, moves]], headings: [machines]}\n"
        "  experimentation: {patterns: ['trials?']}\n"
        "ai_act:\n  names: {patterns: [Robot Act]}\n"
        "  subjects: {experimentation: {patterns: ['trials?']}}\n"
        "  articles: {'3': Robot trials}\n",
        encoding="utf-8",
    )
    custom = load_taxonomy(path)
    assert custom.version.startswith("taxonomy.yaml@") and custom.model is not None
    assert tag_text("The robot arm moves.", custom).evidence["tools"][0] == "arm + moves"
    assert tag_text("A robot.", custom, context="Machines").evidence["tools"] == [
        "heading: Machines"
    ]
    act = tag_text("Nothing here.", custom, context="The Robot Act\nArticle 3 > 2")
    assert act.evidence == {
        "guidance": ["AI Act, Article 3"],
        "experimentation": ["AI Act, Article 3 Robot trials"],
    }


def test_packaged_file_parses_from_its_text() -> None:
    folder = Path(__file__).parents[2] / "observatory"
    text = (folder / "taxonomy.yaml").read_text("utf-8")
    parsed = parse_taxonomy(text, base=folder)
    assert list(parsed.dimensions) == list(DIMENSIONS)
    assert parsed.version == load_taxonomy().version  # the text and the model file decide it


@pytest.mark.parametrize(
    ("text", "problem", "line"),
    [
        ("gate: [\n", "YAML syntax error", 2),
        ("- a list\n", "expected a mapping", 1),
        (
            "gate: {patterns: [AI]}\ndimensions: {tools: {patterns: [x]}}\nextra: 1\n",
            "unknown key 'extra'",
            3,
        ),
        (
            "version: 2\ngate: {patterns: [AI]}\ndimensions: {tools: {patterns: [x]}}\n",
            "unsupported version 2",
            1,
        ),
        ("dimensions: {tools: {patterns: [x]}}\n", "missing 'gate'", 1),
        (
            "gate: {patterns: []}\ndimensions: {tools: {patterns: [x]}}\n",
            "the gate has no patterns",
            1,
        ),
        ("gate: {patterns: [AI]}\n", "missing 'dimensions'", 1),
        (
            "gate: {patterns: [AI]}\ndimensions:\n  policy: {patterns: [x]}\n",
            "unknown dimension 'policy'",
            3,
        ),
        ("gate: {patterns: [AI]}\ndimensions:\n  tools: [x]\n", "expected a mapping", 3),
        (
            "gate: {patterns: [AI]}\ndimensions:\n  tools:\n    pattern: [x]\n",
            "tools: unknown key 'pattern'",
            4,
        ),
        (
            "gate: {patterns: [AI]}\ndimensions:\n  tools:\n    patterns: tools\n",
            "tools.patterns: expected a list of non-empty strings",
            4,
        ),
        (
            "gate: {patterns: [AI]}\ndimensions:\n  tools:\n    patterns:\n      - ok\n"
            "      - bad(\n",
            "pattern 'bad(' is not a valid regular expression",
            6,
        ),
        (
            "gate: {patterns: [AI]}\ndimensions:\n  tools:\n    patterns: ['x?']\n",
            "matches the empty text",
            4,
        ),
        (
            "gate: {patterns: [AI]}\ndimensions:\n  tools:\n    combinations: [[robot]]\n",
            "tools.combinations: unknown concept 'robot'",
            4,
        ),
        (
            "gate: {patterns: [AI]}\nconcepts: [robot]\ndimensions: {tools: {patterns: [x]}}\n",
            "concepts: expected a mapping",
            2,
        ),
        (
            "gate: {patterns: [AI]}\ndimensions: {tools: {patterns: [x]}}\nai_act:\n"
            "  articles: {'4': {title: AI literacy, dimensions: [training]}}\n",
            "unknown dimension 'training'",
            4,
        ),
        (
            "gate: {patterns: [AI]}\ndimensions: {tools: {patterns: [x]}}\nai_act:\n"
            "  recitals: {'20-x': [collaboration]}\n",
            "recitals 20-x: expected a number or range",
            4,
        ),
        (
            "gate: {patterns: [AI]}\ndimensions: {tools: {patterns: [x]}}\n"
            "ai_act: {chapters: {}}\n",
            "ai_act: unknown key 'chapters'",
            3,
        ),
        (
            "gate: {patterns: [AI]}\ndimensions: {tools: {patterns: [x]}}\nmodel: absent.json\n",
            "model file not found",
            3,
        ),
    ],
)
def test_bad_file_raises_config_error_naming_file_line_and_problem(
    tmp_path: Path,
    text: str,
    problem: str,
    line: int | None,
) -> None:
    path = tmp_path / "bad-taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_taxonomy(path)
    error = caught.value
    assert problem in error.message
    assert error.path == str(path)
    assert error.line == line
    assert str(error).startswith(str(path))
    assert error.exit_code == 2


def test_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="taxonomy file not found") as caught:
        load_taxonomy(tmp_path / "nope.yaml")
    assert caught.value.path == str(tmp_path / "nope.yaml")


# --------------------------------------------------------------------------- speed


def test_literal_prefilter_never_changes_a_result(taxonomy: Taxonomy) -> None:
    def unfiltered(rules: RuleSet) -> RuleSet:
        return replace(
            rules,
            patterns=tuple(replace(p, literal="") for p in rules.patterns),
            excludes=tuple(replace(p, literal="") for p in rules.excludes),
        )

    plain = replace(
        taxonomy,
        gate=unfiltered(taxonomy.gate),
        dimensions={k: unfiltered(r) for k, r in taxonomy.dimensions.items()},
    )
    assert any(p.literal for p in taxonomy.gate.patterns)
    for case in CASES:
        assert _run(case, plain) == _run(case, taxonomy), case["id"]
        assert ai_terms(case["text"], plain) == ai_terms(case["text"], taxonomy), case["id"]


def _run(case: dict[str, Any], taxonomy: Taxonomy) -> Tagging:
    return tag_text(case["text"], taxonomy, context=case.get("context") or "")


def test_tagging_a_5_kb_text_is_fast(taxonomy: Taxonomy) -> None:
    text = " ".join(c["text"] for c in CASES if c["expect"])[:5000]
    tag(text, taxonomy)
    start = time.perf_counter()
    for _ in range(20):
        tag(text, taxonomy)
    per_call = (time.perf_counter() - start) / 20
    assert per_call < 0.02  # measured well under 1 ms; this only catches runaway patterns


# --------------------------------------------------------------------------- scoring


def test_score_counts_true_and_false_positives_and_misses() -> None:
    scores = score([({"guidance"}, {"guidance", "tools"}), ({"tools"}, set()), (set(), set())])
    assert (scores["guidance"].tp, scores["guidance"].fp, scores["guidance"].fn) == (1, 0, 0)
    assert (scores["tools"].tp, scores["tools"].fp, scores["tools"].fn) == (0, 1, 1)
    assert scores["micro"].precision == 0.5 and scores["micro"].recall == 0.5
    assert scores["experimentation"].f1 == 1.0  # nothing expected, nothing found
