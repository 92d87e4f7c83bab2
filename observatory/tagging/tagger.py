"""Tag a change: is it about AI (the gate), and which workplan dimensions it serves, with evidence.

The order, as the codebook (TAGGING.md) has it:

1. The gate: a gate phrase in the text or its context (page title, heading path), or a heading
   of the AI Act (``ActMap.locate``). Text that fails it gets no dimension, not even a source hint.
2. The AI Act's own text (an article, recital or annex) is guidance, plus the subjects its place
   in the act adds (the map) and the act's subject phrases found in the text or heading
   (``ai_act.subjects``): the general dimension phrases are not read there, since the act's
   "training data", "tools" and "cooperation" are obligations, not activities.
3. Any other text: each dimension whose phrases match (in the text or context), whose every
   concept of one combination matches (a regulator and an AI system: tools), or whose workplan
   heading is in the context.
   Where the taxonomy names a ``model`` (a small linear model, see ``observatory.tagging.model``),
   a dimension it scores at or above its threshold is added too, its strongest terms as evidence.
4. A source's ``dimensions`` hint adds its dimensions (evidence ``"source hint"``).

A text that passes the gate and still gets no dimension is *unfiled*: ``Tagging.about_ai`` is
true, so digests can send it to those who follow any dimension rather than lose it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from observatory.dimensions import KEYS
from observatory.tagging.act import ActMap
from observatory.tagging.match import RuleSet, Text
from observatory.tagging.model import LinearModel

HINT_EVIDENCE = "source hint"


@dataclass(frozen=True)
class Tagging:
    """The dimensions of a text, the evidence for each, and why it counts as about AI."""

    dimensions: list[str]
    evidence: dict[str, list[str]]
    ai_evidence: list[str] = field(default_factory=list)  # empty: not about AI

    @property
    def about_ai(self) -> bool:
        return bool(self.ai_evidence)

    @property
    def unfiled(self) -> bool:
        """About AI, yet under no dimension: digests send it to every dimension's followers."""
        return self.about_ai and not self.dimensions

    def to_json(self) -> dict[str, Any]:
        return {
            "dimensions": list(self.dimensions),
            "evidence": {k: list(v) for k, v in self.evidence.items()},
            "about_ai": self.about_ai,
            "ai_evidence": list(self.ai_evidence),
        }


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """Parsed, validated and compiled tagging rules (``observatory.tagging.rules`` builds it)."""

    path: str
    gate: RuleSet
    dimensions: dict[str, RuleSet]  # ordered as dimensions.KEYS
    combinations: Mapping[str, tuple[tuple[RuleSet, ...], ...]] = field(default_factory=dict)
    headings: Mapping[str, RuleSet] = field(default_factory=dict)
    act: ActMap | None = None
    model: LinearModel | None = None
    source_text: str = ""

    @cached_property
    def version(self) -> str:
        """What tagged a change: the file's name and 12 hex digits of the sha256 of its text and
        of its model file's text (a change to either is a new version)."""
        sha = hashlib.sha256(self.source_text.encode("utf-8"))
        if self.model is not None:
            sha.update(self.model.source_text.encode("utf-8"))
        return f"{self.path.rsplit('/', 1)[-1]}@{sha.hexdigest()[:12]}"


def tag_text(
    text: str, taxonomy: Taxonomy, hints: Sequence[str] = (), *, context: str = ""
) -> Tagging:
    """Dimensions of ``text`` with evidence; nothing at all when the text is not about AI.

    ``context`` is optional framing of the change: the page title and the heading path of the
    changed block ("Article 60 Testing of high-risk AI systems in real world conditions > 5").
    It is read like the text, and it locates the AI Act's own text (see ``ActMap``).
    """
    unknown = [h for h in hints if h not in KEYS]
    if unknown:
        raise ValueError(f"unknown dimension hint {unknown[0]!r}")
    body = Text.of(text)
    ctx = Text.of(context) if context else None
    parts = [body, ctx] if ctx else [body]
    ai = _merge(taxonomy.gate.phrases(p) for p in parts)
    act = taxonomy.act
    unit = act.locate(ctx, body, about_ai=bool(ai)) if act is not None else None
    if unit is not None:
        ai = ai or [unit.label]
    if not ai:
        return Tagging([], {})
    found: dict[str, list[str]] = {key: [] for key in KEYS}
    if unit is not None and act is not None:
        found["guidance"].append(unit.label)
        for key, why in unit.subjects.items():
            found[key].append(why)
        for key, rules in act.subjects.items():
            found[key].extend(_merge(rules.phrases(p) for p in parts))
    else:
        _general_evidence(taxonomy, body, ctx, found)
    for key in hints:
        found[key].append(HINT_EVIDENCE)
    evidence = {key: _merge([phrases]) for key, phrases in found.items() if phrases}
    return Tagging(list(evidence), evidence, ai)


def _general_evidence(
    taxonomy: Taxonomy, body: Text, ctx: Text | None, found: dict[str, list[str]]
) -> None:
    """Step 3 of the module docstring: phrases, combinations, workplan headings, the model."""
    headed = False
    if ctx is not None:
        for key, rules in taxonomy.headings.items():
            phrases = rules.phrases(ctx)
            found[key].extend(f"heading: {p}" for p in phrases)
            headed = headed or bool(phrases)
    read = [body] if headed or ctx is None else [body, ctx]  # under a workplan heading, the
    for key, rules in taxonomy.dimensions.items():  # heading decides, not the page title
        found[key].extend(_merge(rules.phrases(p) for p in read))
    for key, combinations in taxonomy.combinations.items():
        found[key].extend(_combination(combinations, [body]))
    if taxonomy.model is not None:
        context = ctx.original if ctx is not None else ""
        for key, phrase in taxonomy.model.evidence(f"{body.original}\n{context}").items():
            found[key].append(phrase)


def _combination(combinations: Iterable[tuple[RuleSet, ...]], parts: Sequence[Text]) -> list[str]:
    """The phrases of the first combination whose every concept matches, joined with " + "."""
    for concepts in combinations:
        phrases = []
        for concept in concepts:
            hits = _merge(concept.phrases(p, first_only=True) for p in parts)
            if not hits:
                break
            phrases.append(hits[0])
        else:
            return [" + ".join(phrases)]
    return []


def _merge(lists: Iterable[list[str]]) -> list[str]:
    merged: dict[str, str] = {}
    for phrases in lists:
        for phrase in phrases:
            merged.setdefault(phrase.casefold(), phrase)
    return list(merged.values())


def ai_terms(text: str, taxonomy: Taxonomy) -> list[str]:
    """The phrases that put ``text`` through the AI gate (empty: not about AI)."""
    return taxonomy.gate.phrases(text)
