"""Milestones: what is due, by whom and when, and the evidence in the change history that it
was delivered.

registry.py   the shipped registry (registry.yaml) merged with ``milestones:`` of sources.yaml
matching.py   which milestones a change is evidence for, and whether it shows a delivery (pure)
status.py     a milestone's status on a day: upcoming, due, overdue, delivered (pure)
evidence.py   the links in the database: read, set by an analyst, computed again (relink)
ics.py        the due dates as an iCalendar feed (import it from its module: it loads
              the icalendar library, which a poll does not need)
"""

from observatory.milestones.evidence import (
    Relinked,
    link_rows,
    milestone_views,
    read_evidence,
    relink,
    set_link,
)
from observatory.milestones.matching import Match, Matcher, match_changes
from observatory.milestones.registry import find, load_milestones, shipped_milestones
from observatory.milestones.status import (
    DUE_SOON,
    STATUSES,
    Evidence,
    MilestoneView,
    Status,
    parse_day,
    view_of,
    view_to_dict,
    views_of,
)

__all__ = [
    "DUE_SOON",
    "STATUSES",
    "Evidence",
    "Match",
    "Matcher",
    "MilestoneView",
    "Relinked",
    "Status",
    "find",
    "link_rows",
    "load_milestones",
    "match_changes",
    "milestone_views",
    "parse_day",
    "read_evidence",
    "relink",
    "set_link",
    "shipped_milestones",
    "view_of",
    "view_to_dict",
    "views_of",
]
