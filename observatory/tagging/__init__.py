"""Tag change text with the dimensions of the HMA/EMA AI workplan, with the evidence for each.

The rules live in ``taxonomy.yaml`` (packaged; a user's copy replaces it through
``settings.taxonomy``). A text is tagged only when it passes the AI gate; then every dimension
whose phrase patterns match is tagged, and the phrases as they appear in the text are its evidence.
A source's ``dimensions`` hint adds its dimensions (evidence ``"source hint"``), again only for
text about AI. Patterns are compiled once per taxonomy, each to its own regular expression run
on the lower-cased text (see ``Pattern``): tens of µs for a paragraph, about 1 ms for 5 KB.

    taxonomy = load_taxonomy()                      # or load_taxonomy(settings.taxonomy)
    tag_text("EMA adopted the reflection paper on AI.", taxonomy).to_json()
    # {"dimensions": ["guidance"], "evidence": {"guidance": ["reflection paper"]}}

The modules: ``match`` (the compiled rules and running them over a text), ``rules`` (reading,
validating and compiling a taxonomy.yaml) and ``scoring`` (precision and recall over cases).
"""

from __future__ import annotations

from observatory.tagging.match import (
    HINT_EVIDENCE,
    Pattern,
    RuleSet,
    Tagging,
    Taxonomy,
    ai_terms,
    tag_text,
)
from observatory.tagging.rules import PACKAGED, load_taxonomy, parse_taxonomy
from observatory.tagging.scoring import Score, score

__all__ = [
    "HINT_EVIDENCE",
    "PACKAGED",
    "Pattern",
    "RuleSet",
    "Score",
    "Tagging",
    "Taxonomy",
    "ai_terms",
    "load_taxonomy",
    "parse_taxonomy",
    "score",
    "tag_text",
]
