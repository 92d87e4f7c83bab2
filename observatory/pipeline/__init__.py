"""The poll: ``check_source`` runs the steps for one source; ``check_sources`` for many.

poll.py   check_source(): the named steps of one poll and the function for each outcome
steps.py  fetch, extract, compare (diff, volatile blocks), tag: values in, values out
retag.py  retag_changes(): the stored history tagged again with the current taxonomy
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
from observatory.pipeline.retag import RetagSummary, retag_changes

__all__ = [
    "NOT_RECORDED",
    "OUTCOMES",
    "CheckResult",
    "Outcome",
    "PollContext",
    "RetagSummary",
    "check_source",
    "check_sources",
    "retag_changes",
]
