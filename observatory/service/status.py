"""What /healthz and /metrics read of a running service: liveness, last poll, counters."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from observatory import dimensions
from observatory.pipeline import NOT_RECORDED, OUTCOMES, CheckResult
from observatory.store.db import database_fault
from observatory.store.models import ChangeDimension, utcnow

DELIVERY_RESULTS = ("sent", "pending", "failed")
log = logging.getLogger("observatory.service")


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

    def count(self, result: CheckResult, engine: Engine, now: datetime) -> None:
        """A poll's outcome in the counters (changes by dimension read from the database), and
        in ``unrecorded`` when the database could not keep it."""
        self.last_poll_at = now
        self.polls.labels(result.outcome).inc()
        self.poll_seconds.observe(result.duration)
        if result.outcome == "error" and (result.error or "").startswith(NOT_RECORDED):
            self.unrecorded[result.source_id] = result.error or ""
        elif result.outcome != "busy":
            self.unrecorded.pop(result.source_id, None)
        if not result.change_ids:
            return
        query = select(ChangeDimension.dimension).where(
            col(ChangeDimension.change_id).in_(result.change_ids)
        )
        try:
            with Session(engine) as session:
                for dimension in session.exec(query):
                    self.changes.labels(dimension).inc()
        except SQLAlchemyError as exc:  # a metric, not a reason to lose the poll's log line
            log.warning("changes not counted for metrics: %s", database_fault(exc))

    @property
    def alive(self) -> bool:
        return self.running and not self.lease_lost
