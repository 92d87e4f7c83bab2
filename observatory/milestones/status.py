"""A milestone's status on a day, computed when read: ``upcoming``, ``due``, ``overdue`` or
``delivered``. Pure.

``due`` means due within ``DUE_SOON`` (30 days) from the day asked about, the due day itself
included; ``overdue`` means past its due day without a delivery. A milestone is ``delivered``
from the first day with evidence of delivery: a linked change that shows one (a new item,
"published", "adopted", ...) or that an analyst confirmed, or the ``delivered`` day the registry
records. A period (``2024-H2``) is due on its last day, and outputs say so. Evidence detected
after the day asked about does not count, so ``--as-of`` shows the past as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from observatory.config import Milestone, parse_due
from observatory.errors import UsageError
from observatory.store.models import iso

Status = Literal["upcoming", "due", "overdue", "delivered"]
STATUSES: tuple[Status, ...] = ("upcoming", "due", "overdue", "delivered")
DUE_SOON = timedelta(days=30)


@dataclass(frozen=True)
class Evidence:
    """A change linked to a milestone (rejected links are never evidence)."""

    change_id: int
    detected_at: datetime
    matched: tuple[str, ...]
    delivery: tuple[str, ...]  # the signs of delivery found in the change; () = a mention
    state: str = "auto"  # auto | confirmed
    source_id: str = ""
    title: str = ""

    @property
    def delivers(self) -> bool:
        return self.state == "confirmed" or bool(self.delivery)


@dataclass(frozen=True)
class MilestoneView:
    """A milestone as seen on one day."""

    milestone: Milestone
    due: date  # the day it is due (the last day of a period)
    period: str | None  # the period as written (2024-H2), None for a plain day
    status: Status
    delivered_at: date | None
    evidence: tuple[Evidence, ...]
    as_of: date

    @property
    def days_left(self) -> int:
        """Days from the day asked about to the due day (negative: past due)."""
        return (self.due - self.as_of).days

    @property
    def due_label(self) -> str:
        """``2025-08-02``, or ``2024-12-31 (end of 2024-H2)`` for a period."""
        return (
            f"{self.due.isoformat()} (end of {self.period})"
            if self.period
            else self.due.isoformat()
        )


def parse_day(value: str | None, *, option: str = "--as-of") -> date:
    """The day to compute statuses for: ``2026-11-30``, or today in UTC when not given."""
    if not value:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option}: cannot read {value!r} as a day (use 2026-11-30)") from None


def status_on(due: date, delivered_at: date | None, as_of: date) -> Status:
    if delivered_at is not None and delivered_at <= as_of:
        return "delivered"
    if as_of > due:
        return "overdue"
    return "due" if due - as_of <= DUE_SOON else "upcoming"


def view_of(milestone: Milestone, evidence: Iterable[Evidence], as_of: date) -> MilestoneView:
    """*milestone* on the day *as_of*, given its evidence (any order)."""
    due, period = parse_due(milestone.due)
    seen = tuple(
        sorted(
            (e for e in evidence if e.detected_at.date() <= as_of),
            key=lambda e: (e.detected_at, e.change_id),
        )
    )
    days = [e.detected_at.date() for e in seen if e.delivers]
    if milestone.delivered and date.fromisoformat(milestone.delivered) <= as_of:
        days.append(date.fromisoformat(milestone.delivered))
    delivered_at = min(days, default=None)
    return MilestoneView(
        milestone, due, period, status_on(due, delivered_at, as_of), delivered_at, seen, as_of
    )


def views_of(
    milestones: Sequence[Milestone],
    evidence: Mapping[str, Sequence[Evidence]],
    as_of: date,
    *,
    statuses: Sequence[str] = (),
    dimensions: Sequence[str] = (),
) -> list[MilestoneView]:
    """The milestones on *as_of*, filtered by status and dimension, soonest due first."""
    out = []
    for m in milestones:
        if dimensions and not set(dimensions) & set(m.dimensions):
            continue
        v = view_of(m, evidence.get(m.id, ()), as_of)
        if not statuses or v.status in statuses:
            out.append(v)
    return sorted(out, key=lambda v: (v.due, v.milestone.id))


def view_to_dict(v: MilestoneView) -> dict[str, Any]:
    """A milestone as ``observatory milestones --format json`` and ``/api/milestones`` print it."""
    m = v.milestone
    return {
        "id": m.id,
        "title": m.title,
        "owner": m.owner,
        "due": v.due.isoformat(),
        "due_period": v.period,
        "basis": m.basis,
        "link": m.link,
        "dimensions": list(m.dimensions),
        "status": v.status,
        "delivered_at": v.delivered_at.isoformat() if v.delivered_at else None,
        "evidence": [
            {
                "change_id": e.change_id,
                "detected_at": iso(e.detected_at),
                "matched": list(e.matched),
                "delivery": list(e.delivery),
                "confirmed": e.state == "confirmed",
            }
            for e in v.evidence
        ],
    }
