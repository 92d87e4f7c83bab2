"""What /healthz and /metrics read of a running service: liveness, last poll, counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram

from observatory import dimensions
from observatory.pipeline import OUTCOMES
from observatory.store.models import utcnow

DELIVERY_RESULTS = ("sent", "pending", "failed")


@dataclass
class SchedulerStatus:
    """Liveness flags and the in-process Prometheus counters of one service."""

    started_at: datetime = field(default_factory=utcnow)
    running: bool = False
    stopping: bool = False
    lease_lost: bool = False
    heartbeat_at: datetime | None = None
    last_poll_at: datetime | None = None
    unrecorded: dict[str, str] = field(default_factory=dict)  # source -> why it is not recorded
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        reg = self.registry
        self.polls = Counter("observatory_polls", "Polls by outcome.", ["outcome"], registry=reg)
        self.poll_seconds = Histogram(
            "observatory_poll_duration_seconds",
            "Duration of one poll (fetch, extract, diff, store).",
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=reg,
        )
        self.changes = Counter(
            "observatory_changes_detected",
            "Changes detected by dimension.",
            ["dimension"],
            registry=reg,
        )
        self.missed = Counter(
            "observatory_schedules_missed",
            "Polls skipped because the previous poll of the source still ran.",
            registry=reg,
        )
        self.deliveries = Counter(
            "observatory_deliveries",
            "Digest messages by delivery result.",
            ["result"],
            registry=reg,
        )
        for outcome in OUTCOMES:
            self.polls.labels(outcome)
        for dimension in dimensions.KEYS:
            self.changes.labels(dimension)
        for result in DELIVERY_RESULTS:
            self.deliveries.labels(result)

    @property
    def alive(self) -> bool:
        return self.running and not self.lease_lost
