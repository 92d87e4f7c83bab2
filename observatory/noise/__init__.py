"""Noise: what changes on every fetch (or only in a stamp) must never become a change.

masks.py     text normalised, and stamps, clock times and tokens masked by placeholders
volatile.py  blocks that differ between two back-to-back fetches, and the fingerprint
"""

from observatory.noise.masks import (
    Span,
    apply_spans,
    differs_only_by_noise,
    is_stamp_label,
    mask_noise,
    may_hold_noise,
    noise_spans,
    normalise_text,
)
from observatory.noise.volatile import (
    block_key,
    drop_volatile,
    fingerprint,
    volatile_keys,
)

__all__ = [
    "Span",
    "apply_spans",
    "block_key",
    "differs_only_by_noise",
    "drop_volatile",
    "fingerprint",
    "is_stamp_label",
    "mask_noise",
    "may_hold_noise",
    "noise_spans",
    "normalise_text",
    "volatile_keys",
]
