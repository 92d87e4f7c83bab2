"""The four dimensions of the HMA/EMA AI workplan: keys, labels, short labels and colours.

The one home of the vocabulary: the taxonomy, configuration, digests, web pages and API all read
it from here. Keys are a stable contract (config, JSON, URLs); labels follow EMA, which renamed
two dimensions in 2025, so both names are kept.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str  # the workplan's name (December 2023)
    short: str  # one word, for subjects and chips
    colour: str  # charts and chips
    label_2025: str | None = None  # the name EMA used from 2025, when it changed


ALL: tuple[Dimension, ...] = (
    Dimension("guidance", "Guidance, policy and product support", "Guidance", "#1f6feb"),
    Dimension("tools", "AI tools and technology", "Tools", "#d97706", "Tools and technology"),
    Dimension(
        "collaboration",
        "Collaboration and training",
        "Collaboration",
        "#15803d",
        "Collaboration and change management",
    ),
    Dimension("experimentation", "Experimentation", "Experimentation", "#a21caf"),
)
KEYS: tuple[str, ...] = tuple(d.key for d in ALL)
LABELS: dict[str, str] = {d.key: d.label for d in ALL}
SHORT_LABELS: dict[str, str] = {d.key: d.short for d in ALL}
COLOURS: dict[str, str] = {d.key: d.colour for d in ALL}
OTHER = "other"  # the digest group of changes that carry no dimension
OTHER_LABEL = "Other"
UNFILED = "unfiled"  # the digest group of changes about AI that the tagger filed nowhere
UNFILED_LABEL = "About AI, no dimension"
UNFILED_SHORT = "Unfiled AI"
FALLBACK_COLOUR = "#6b7280"


def label(key: str) -> str:
    """The label of *key*, or the key itself when it is not a dimension (never fails)."""
    return LABELS.get(key, _GROUPS.get(key, key))


def short_label(key: str) -> str:
    """The one-word label of *key* ("Other" for the group of untagged changes)."""
    return SHORT_LABELS.get(key, _SHORT_GROUPS.get(key, key))


_GROUPS = {OTHER: OTHER_LABEL, UNFILED: UNFILED_LABEL}
_SHORT_GROUPS = {OTHER: OTHER_LABEL, UNFILED: UNFILED_SHORT}


def names(key: str) -> tuple[str, ...]:
    """Every name EMA has given the dimension *key* (the 2023 label first)."""
    dimension = next(d for d in ALL if d.key == key)
    return tuple(n for n in (dimension.label, dimension.label_2025) if n)


def check_keys(keys: list[str]) -> list[str]:
    """*keys* unchanged, or ValueError naming the first unknown one (for validators)."""
    unknown = [k for k in keys if k not in LABELS]
    if unknown:
        raise ValueError(f"unknown dimension {unknown[0]!r} (known: {', '.join(KEYS)})")
    return keys
