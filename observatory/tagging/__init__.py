"""Tag change text with the dimensions of the HMA/EMA AI workplan, with the evidence for each.

The rules live in ``taxonomy.yaml`` (packaged; a user's copy replaces it through
``settings.taxonomy``); ``../shared/TAGGING.md`` is the codebook they follow. A text is tagged
only when it passes the AI gate (a gate phrase in the text or its context, or a heading of the
AI Act); the AI Act's own text is guidance plus the subjects of its place in the act; other text
gets each dimension whose phrases, concept combinations or workplan headings match. The phrases as
they appear in the text are the evidence. Patterns are compiled once per taxonomy, each to its own
regular expression run on the lower-cased text.

    taxonomy = load_taxonomy()                      # or load_taxonomy(settings.taxonomy)
    tag_text("EMA adopted the reflection paper on AI.", taxonomy).to_json()
    # {"dimensions": ["guidance"], "evidence": {"guidance": ["reflection paper"]},
    #  "about_ai": true, "ai_evidence": ["AI"]}

The modules: ``tagger`` (the order of the steps, ``Tagging``, ``Taxonomy``), ``match`` (running a
set of phrase patterns over a text), ``act`` (the AI Act's structure), ``patterns`` and ``rules``
(reading, validating and compiling a taxonomy.yaml) and ``scoring`` (precision and recall).
"""

from __future__ import annotations

from observatory.tagging.act import ActMap, ActUnit
from observatory.tagging.match import Pattern, RuleSet, Text
from observatory.tagging.rules import PACKAGED, load_taxonomy, parse_taxonomy
from observatory.tagging.scoring import Score, score
from observatory.tagging.tagger import HINT_EVIDENCE, Tagging, Taxonomy, ai_terms, tag_text

__all__ = [
    "HINT_EVIDENCE",
    "PACKAGED",
    "ActMap",
    "ActUnit",
    "Pattern",
    "RuleSet",
    "Score",
    "Tagging",
    "Taxonomy",
    "Text",
    "ai_terms",
    "load_taxonomy",
    "parse_taxonomy",
    "score",
    "tag_text",
]
