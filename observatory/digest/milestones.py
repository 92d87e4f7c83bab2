"""The milestones section of a digest: due in the next 30 days, and delivered since the
subscriber's last digest, for the dimensions they follow. Pure.

"Since your last digest" is exact: each stored digest keeps every milestone delivered when it
was made (``outbox.milestones["known"]``), so the next one tells only what was delivered after
it, however late the evidence was linked (a relink, an analyst's confirmation). A subscriber's
first digest (or one after a digest stored before milestones existed) tells what was delivered
since their window started.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from observatory.config import Subscriber
from observatory.milestones import MilestoneView


@dataclass(frozen=True)
class MilestoneNews:
    due: list[MilestoneView]  # due within 30 days, not delivered, soonest first
    delivered: list[MilestoneView]  # delivered since the last digest
    known: list[str]  # every milestone delivered now, any dimension (stored with the digest)

    def state(self) -> dict[str, list[str]]:
        """What the outbox keeps of this section."""
        return {
            "due": [v.milestone.id for v in self.due],
            "delivered": [v.milestone.id for v in self.delivered],
            "known": list(self.known),
        }


def milestone_news(
    subscriber: Subscriber,
    views: Sequence[MilestoneView],
    previous: Mapping[str, Sequence[str]] | None,
    since: date,
) -> MilestoneNews:
    """The section for *subscriber*: *views* are every milestone today; *previous* is what
    their last digest stored (None if none did); *since* the first day of their window."""
    followed = set(subscriber.dimensions)

    def theirs(v: MilestoneView) -> bool:
        return not followed or not followed.isdisjoint(v.milestone.dimensions)

    delivered = [v for v in views if v.status == "delivered"]
    if previous is not None and "known" in previous:
        told = set(previous["known"])
        new = [v for v in delivered if v.milestone.id not in told]
    else:
        new = [v for v in delivered if v.delivered_at is not None and v.delivered_at >= since]
    return MilestoneNews(
        due=[v for v in views if v.status == "due" and theirs(v)],
        delivered=sorted(filter(theirs, new), key=lambda v: (v.delivered_at, v.milestone.id)),
        known=sorted(v.milestone.id for v in delivered),
    )
