"""Train the tagger's small linear model on the tuning split and write it as a JSON data file.

    python scripts/train_tagger_model.py [--check]

Build time only (scikit-learn is a dev dependency; the tagger reads the JSON with plain Python):
TF-IDF of words and word pairs (as scikit-learn's TfidfVectorizer: lower-cased, tokens of two or
more word characters, sublinear tf, L2 norm) and one logistic regression per dimension in
``DIMENSIONS``, fitted on tests/tagging/tune.yaml only (never on the locked split). The fit is
deterministic (lbfgs, no sampling), so ``--check`` retrains and fails if the shipped file differs
(beyond 1e-4 in a weight: floating-point noise of another library version is not a new model).

Only tools, fitted on the tuning split's texts about AI (see ``fit``). 5-fold cross-validation on
the 636 texts of tune.yaml (bench/tagging_report.py; the rules stay as shipped, which flatters
them): rules alone recall 0.87 of tools labels at precision 0.93, rules with this model 0.96 at
0.86 (micro-F1 0.949 -> 0.951); the model alone F1 0.90 when fitted on the texts about AI, 0.84
on all texts. A model for guidance, collaboration or experimentation as well lowered micro-F1
(0.951 -> 0.940-0.949), so those dimensions are left to the rules.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
TUNE = ROOT / "tests" / "tagging" / "tune.yaml"
OUT = ROOT / "observatory" / "taxonomy-model.json"
DIMENSIONS = ("tools",)
C = 10.0  # chosen by 5-fold cross-validation on the tuning split (1, 4 and 10 tried)
THRESHOLD = 0.5
DIGITS = 6


def document(case: dict) -> str:
    """What the model reads: the text and its context, as ``observatory.tagging.model`` does."""
    return f"{case['text']}\n{case.get('context') or ''}"


def fit(cases: list[dict]) -> tuple[TfidfVectorizer, dict[str, LogisticRegression]]:
    """The vectorizer and one fitted logistic regression per dimension in ``DIMENSIONS``.

    Fitted on the cases about AI only (those labelled with a dimension): the tagger consults the
    model only for texts that passed the AI gate, so the texts that fail it would teach the model
    nothing it is asked, and their words ("staff", "training", "platform") blur what it is."""
    cases = [c for c in cases if c["expect"]]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    features = vectorizer.fit_transform([document(c) for c in cases])
    fits = {
        key: LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(
            features, [key in c["expect"] for c in cases]
        )
        for key in DIMENSIONS
    }
    return vectorizer, fits


def train(cases: list[dict]) -> dict:
    """The model file's content (see ``observatory.tagging.model``)."""
    vectorizer, fits = fit(cases)
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    idf = [round(float(v), DIGITS) for v in vectorizer.idf_]
    model: dict = {
        "about": "observatory tagger model: TF-IDF (1-2 word n-grams, sublinear tf, l2) + "
        "logistic regression per dimension; built by scripts/train_tagger_model.py",
        "trained_on": TUNE.relative_to(ROOT).as_posix(),
        "trained_on_sha256": hashlib.sha256(TUNE.read_bytes()).hexdigest(),
        "threshold": THRESHOLD,
        "terms": {term: idf[i] for i, term in enumerate(vocabulary)},
        "dimensions": {},
    }
    for key, regression in fits.items():
        weights = {
            term: round(float(w), DIGITS)
            for term, w in zip(vocabulary, regression.coef_[0], strict=True)
            if round(float(w), DIGITS)
        }
        model["dimensions"][key] = {
            "intercept": round(float(regression.intercept_[0]), DIGITS),
            "weights": weights,
        }
    return model


def differs(shipped: dict, fresh: dict, tolerance: float = 1e-4) -> str:
    """What differs between two model files beyond floating-point noise ("" if nothing):
    another scikit-learn or BLAS may move the sixth decimal, not the model."""
    for key in ("trained_on", "trained_on_sha256", "threshold"):
        if shipped[key] != fresh[key]:
            return f"{key}: {shipped[key]!r} != {fresh[key]!r}"
    if shipped["terms"].keys() != fresh["terms"].keys():
        return "the vocabulary"
    pairs = [(f"idf {t!r}", shipped["terms"][t], fresh["terms"][t]) for t in fresh["terms"]]
    if shipped["dimensions"].keys() != fresh["dimensions"].keys():
        return "the dimensions"
    for dim, model in fresh["dimensions"].items():
        old = shipped["dimensions"][dim]
        pairs.append((f"{dim} intercept", old["intercept"], model["intercept"]))
        for term in old["weights"].keys() | model["weights"].keys():
            pairs.append(
                (f"{dim} {term!r}", old["weights"].get(term, 0.0), model["weights"].get(term, 0.0))
            )
    return next((f"{what}: {a} != {b}" for what, a, b in pairs if abs(a - b) > tolerance), "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the shipped file differs")
    args = parser.parse_args()
    cases = yaml.safe_load(TUNE.read_text(encoding="utf-8"))
    text = json.dumps(train(cases), indent=0, sort_keys=True, ensure_ascii=False) + "\n"
    if args.check:
        problem = differs(json.loads(OUT.read_text(encoding="utf-8")), json.loads(text))
        if problem:
            sys.exit(f"{OUT} differs from a fresh training run: {problem}")
        print(f"{OUT} is what training produces")
        return
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text) // 1024} KB)")


if __name__ == "__main__":
    main()
