"""A small linear model that adds a dimension the rules missed, and says which words made it.

The model is a data file (``taxonomy-model.json``, built by scripts/train_tagger_model.py from the
tuning split with scikit-learn at build time): a TF-IDF weight per word and word pair, and per
dimension a logistic regression's weights. Reading it needs nothing but this module: a text is
split into the same tokens as scikit-learn's ``TfidfVectorizer`` (lower-cased runs of two or more
word characters, and each pair of neighbours), weighted ``(1 + log tf) * idf``, L2-normalised,
and scored ``sigmoid(w . x + b)``. The terms that add most to a score above the threshold are the
evidence ("model 0.81: assessors, assistant, uses"). Deterministic; nothing is downloaded.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from observatory.dimensions import KEYS
from observatory.errors import ConfigError

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
EVIDENCE_TERMS = 3


@dataclass(frozen=True)
class Weights:
    intercept: float
    weights: Mapping[str, float]


@dataclass(frozen=True, eq=False)
class LinearModel:
    """TF-IDF terms and, per dimension, a logistic regression over them."""

    path: str
    idf: Mapping[str, float]
    dimensions: Mapping[str, Weights]
    threshold: float
    source_text: str  # the file's text, part of the taxonomy's version

    def evidence(self, text: str) -> dict[str, str]:
        """Dimension -> "model 0.81: term, term, term" for each score at or above the threshold."""
        vector = self._vector(text)
        found = {}
        for key, model in self.dimensions.items():
            parts = {t: v * model.weights.get(t, 0.0) for t, v in vector.items()}
            probability = 1 / (1 + math.exp(-(model.intercept + sum(parts.values()))))
            top = sorted((t for t in parts if parts[t] > 0), key=lambda t: -parts[t])
            if probability >= self.threshold and top:  # no words for it, no tag: a text the
                # model knows nothing of must not pass on the intercept alone
                found[key] = f"model {probability:.2f}: {', '.join(top[:EVIDENCE_TERMS])}"
        return found

    def _vector(self, text: str) -> dict[str, float]:
        tokens = _TOKEN.findall(text.lower())
        counts = Counter(tokens)
        counts.update(f"{a} {b}" for a, b in pairwise(tokens))
        vector = {t: (1 + math.log(n)) * self.idf[t] for t, n in counts.items() if t in self.idf}
        norm = math.sqrt(sum(v * v for v in vector.values()))
        return {t: v / norm for t, v in vector.items()} if norm else {}


def load_model(path: Path, fail: Callable[[str], ConfigError]) -> LinearModel:
    """Read a model file; ``fail(message)`` makes the ConfigError to raise for a bad one."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except FileNotFoundError:
        raise fail(f"model file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"cannot read model file {path}: {exc}") from None
    try:
        dims = {
            key: Weights(float(spec["intercept"]), _floats(spec["weights"]))
            for key, spec in data["dimensions"].items()
        }
        model = LinearModel(str(path), _floats(data["terms"]), dims, float(data["threshold"]), text)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise fail(f"model file {path} is not a tagger model ({exc!r})") from None
    unknown = [k for k in dims if k not in KEYS]
    if unknown:
        raise fail(f"model file {path}: unknown dimension {unknown[0]!r}")
    return model


def _floats(mapping: Any) -> dict[str, float]:
    return {str(k): float(v) for k, v in mapping.items()}
