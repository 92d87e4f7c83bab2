"""The tagger's linear model: the shipped file is what training on the tuning split gives, and
plain-Python scoring of it equals scikit-learn's (the training library) to rounding."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from observatory.tagging import load_taxonomy, tag_text

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "train_tagger_model.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_tagger_model", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_model_is_what_training_on_the_tuning_split_gives() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr  # deterministic, and trained on tune.yaml only


def test_plain_python_scores_equal_scikit_learns() -> None:
    script = _script()
    cases = yaml.safe_load(script.TUNE.read_text(encoding="utf-8"))
    vectorizer, fits = script.fit(cases)
    model = load_taxonomy().model
    assert model is not None and set(model.dimensions) == set(fits)
    texts = [script.document(c) for c in cases[:60]] + ["", "AI", "an assistant for assessors"]
    rows = vectorizer.transform(texts)
    expected = fits["tools"].predict_proba(rows)[:, 1]
    weights = fits["tools"].coef_[0]
    for index, (text, probability) in enumerate(zip(texts, expected, strict=True)):
        found = model.evidence(text).get("tools")
        has_words = any(weights[j] > 0 for j in rows[index].indices)  # words that argue for it
        if probability >= model.threshold + 1e-4 and has_words:
            assert found and float(found.split()[1].rstrip(":")) == pytest.approx(
                probability, abs=6e-3
            )
        elif probability < model.threshold - 1e-4 or not has_words:
            assert found is None


def test_a_text_the_model_has_no_words_for_gets_nothing_from_it() -> None:
    model = load_taxonomy().model
    assert model is not None
    assert model.evidence("") == {}  # the intercept alone never tags
    assert model.evidence("Zyxw qvbn.") == {}


def test_model_evidence_names_the_words_that_weighed_most() -> None:
    text = "EMA staff use an AI assistant that drafts summaries of assessment reports."
    result = tag_text(text, load_taxonomy())
    model_evidence = [p for p in result.evidence["tools"] if p.startswith("model ")]
    assert model_evidence and "assistant" in model_evidence[0]
