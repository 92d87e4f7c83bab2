"""Tests of observatory/tagging.py: the AI gate, evidence, hints, context, override and bad
taxonomy files, and precision/recall over the labelled case table tests/tagging_cases.yaml."""

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

CASES_FILE = Path(__file__).with_name("tagging_cases.yaml")
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


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
        ("A general-purpose AI model with systemic risk.", "AI"),
    ],
)
def test_gate_accepts_text_about_ai(taxonomy: Taxonomy, text: str, term: str) -> None:
    assert term in ai_terms(text, taxonomy)


def test_text_not_about_ai_gets_nothing_even_with_dimension_words(taxonomy: Taxonomy) -> None:
    text = (
        "The pilot regulatory sandbox offers guidelines, training workshops and international "
        "collaboration on the new tools and technology for antibiotics."
    )
    assert tag(text, taxonomy, "guidance", "tools").to_json() == {"dimensions": [], "evidence": {}}


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
    }


def test_words_inside_other_words_do_not_match(taxonomy: Taxonomy) -> None:
    text = "AI providers: autopilots, guidelinesque drafts and unexperimented ideas."
    assert tag(text, taxonomy).dimensions == []


def test_excluded_spans_do_not_count(taxonomy: Taxonomy) -> None:
    text = "The European Data Protection Supervisor may establish an AI regulatory sandbox."
    result = tag(text, taxonomy)
    assert result.dimensions == ["experimentation"]
    assert "tools" not in result.evidence


def test_ai_literacy_tools_are_not_ai_tools(taxonomy: Taxonomy) -> None:
    result = tag("The Board should promote AI literacy tools.", taxonomy)
    assert result.evidence == {"collaboration": ["AI literacy"]}


# --------------------------------------------------------------------------- hints and context


def test_hint_adds_its_dimension_to_text_about_ai(taxonomy: Taxonomy) -> None:
    result = tag("EMA updated its page on artificial intelligence.", taxonomy, "tools")
    assert result.to_json() == {"dimensions": ["tools"], "evidence": {"tools": [HINT_EVIDENCE]}}


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
    assert result.to_json() == {
        "dimensions": ["experimentation"],
        "evidence": {"experimentation": ["real world conditions"]},
    }


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


def test_packaged_file_parses_from_its_text() -> None:
    text = (Path(__file__).parents[1] / "observatory" / "taxonomy.yaml").read_text("utf-8")
    assert list(parse_taxonomy(text).dimensions) == list(DIMENSIONS)


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


def test_tagging_a_5_kb_text_is_fast(taxonomy: Taxonomy) -> None:
    text = " ".join(c["text"] for c in CASES if c["kind"] == "ai")[:5000]
    tag(text, taxonomy)
    start = time.perf_counter()
    for _ in range(20):
        tag(text, taxonomy)
    per_call = (time.perf_counter() - start) / 20
    assert per_call < 0.02  # measured well under 1 ms; this only catches runaway patterns


# --------------------------------------------------------------------------- the case table


def test_case_table_is_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 70
    assert sum(c["kind"] == "not_ai" for c in CASES) >= 15
    for case in CASES:
        assert set(case) <= {"id", "kind", "text", "expect", "hints", "context", "note"}
        assert case["kind"] in ("not_ai", "ai_no_dim", "ai")
        assert set(case["expect"]) <= set(DIMENSIONS)
        assert bool(case["expect"]) == (case["kind"] == "ai")


def _run(case: dict[str, Any], taxonomy: Taxonomy) -> Tagging:
    return tag_text(case["text"], taxonomy, case.get("hints", []), context=case.get("context", ""))


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "not_ai"], ids=lambda c: c["id"])
def test_text_not_about_ai_gets_no_dimension(case: dict[str, Any], taxonomy: Taxonomy) -> None:
    assert _run(case, taxonomy).dimensions == []


# Floors sit one to two misses per dimension below the figures measured when they were set
# (whole table micro P 0.97 / R 0.97; held-out AI Act sample with context P 0.94 / R 0.88, see
# bench/tagging_report.py): a rule change that costs more than that fails here.
@pytest.mark.parametrize(
    ("selection", "precision", "recall", "per_dimension"),
    [
        ("all", 0.90, 0.90, 0.80),
        ("held-out", 0.85, 0.80, None),
    ],
)
def test_precision_and_recall_over_the_case_table(
    taxonomy: Taxonomy,
    selection: str,
    precision: float,
    recall: float,
    per_dimension: float | None,
) -> None:
    cases = [c for c in CASES if selection == "all" or c["id"].startswith("sample-")]
    scores = score((set(c["expect"]), set(_run(c, taxonomy).dimensions)) for c in cases)
    assert scores["micro"].precision >= precision, scores["micro"]
    assert scores["micro"].recall >= recall, scores["micro"]
    if per_dimension is not None:
        for key in DIMENSIONS:
            assert scores[key].precision >= per_dimension, (key, scores[key])
            assert scores[key].recall >= per_dimension, (key, scores[key])


def test_score_counts_true_and_false_positives_and_misses() -> None:
    scores = score([({"guidance"}, {"guidance", "tools"}), ({"tools"}, set()), (set(), set())])
    assert (scores["guidance"].tp, scores["guidance"].fp, scores["guidance"].fn) == (1, 0, 0)
    assert (scores["tools"].tp, scores["tools"].fp, scores["tools"].fn) == (0, 1, 1)
    assert scores["micro"].precision == 0.5 and scores["micro"].recall == 0.5
    assert scores["experimentation"].f1 == 1.0  # nothing expected, nothing found
