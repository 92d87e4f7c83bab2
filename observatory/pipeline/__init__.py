"""The poll: ``check_source`` runs the steps for one source; ``check_sources`` for many.

poll.py   check_source(): the named steps of one poll and the function for each outcome
steps.py  fetch, extract, compare (diff, volatile blocks), tag: values in, values out
"""

from observatory.pipeline.poll import (
    NOT_RECORDED,
    OUTCOMES,
    CheckResult,
    Outcome,
    PollContext,
    check_source,
    check_sources,
)

__all__ = [
    "NOT_RECORDED",
    "OUTCOMES",
    "CheckResult",
    "Outcome",
    "PollContext",
    "check_source",
    "check_sources",
]
