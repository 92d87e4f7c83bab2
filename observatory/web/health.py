"""Health and metrics endpoints: ``GET /healthz`` (JSON) and ``GET /metrics`` (Prometheus text).

Both read ``request.app.state``: ``engine``, ``config`` and ``scheduler_status`` (a
``observatory.scheduler.SchedulerStatus`` under ``observatory run``; ``None`` under
``observatory serve``).

/healthz answers 200 when the database answers and, under ``run``, the scheduler is alive; 503
when the database is unreachable or the scheduler has died (or is stopping). Under ``serve``
there is no scheduler by design: ``scheduler_alive`` is false, ``mode`` is ``serve``, and the
answer stays 200 as long as the database answers. Failing sources do not make it unhealthy (a
regulator's outage is not ours): they are counted and named.

/metrics joins the scheduler's in-process counters (polls by outcome, poll duration, changes
detected by dimension, skipped schedules, deliveries) with gauges read from the database at
scrape time (outbox by state, failing sources, last poll, stored changes by dimension), so it is
useful under ``serve`` too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from observatory import dimensions
from observatory.store.models import ChangeDimension, OutboxMessage, SourceState, iso

router = APIRouter()
OUTBOX_STATES = ("pending", "sent", "failed")


def database_facts(engine: Engine, source_ids: set[str] | None) -> dict[str, Any]:
    """Failing sources, last poll, outbox by state, stored changes by dimension (raises if the
    database cannot be read)."""
    with Session(engine) as session:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        states = [
            s for s in session.exec(select(SourceState)) if source_ids is None or s.id in source_ids
        ]
        outbox = dict.fromkeys(OUTBOX_STATES, 0)
        query = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        for state, count in session.exec(query):
            outbox[state] = int(count)
        dims = dict.fromkeys(dimensions.KEYS, 0)
        query2 = select(ChangeDimension.dimension, func.count()).group_by(ChangeDimension.dimension)
        for dimension, count in session.exec(query2):
            dims[dimension] = int(count)
    checked = [s.last_checked_at for s in states if s.last_checked_at]
    return {
        "failing": sorted(s.id for s in states if s.status == "error"),
        "sources": len(states),
        "last_poll_at": max((c for c in checked if c), default=None),
        "outbox": outbox,
        "changes": dims,
    }


def _configured_ids(request: Request) -> set[str] | None:
    config = getattr(request.app.state, "config", None)
    return {s.id for s in config.sources if s.enabled} if config is not None else None


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request) -> JSONResponse:
    """Liveness and readiness in one: 200 healthy, 503 scheduler dead or database unreachable."""
    status = getattr(request.app.state, "scheduler_status", None)
    body: dict[str, Any] = {"status": "ok", "mode": "serve" if status is None else "run"}
    body["scheduler_alive"] = bool(status is not None and status.alive)
    try:
        facts = database_facts(request.app.state.engine, _configured_ids(request))
    except Exception as exc:  # any driver error means "unreachable" to a probe
        body |= {"status": "unavailable", "database_reachable": False}
        body["database_error"] = str(exc).splitlines()[0][:200]
        return JSONResponse(body, status_code=503)
    body["database_reachable"] = True
    failing = sorted(set(facts["failing"]) | set(unrecorded(status)))
    body["sources_failing"] = len(failing)
    body["failing_sources"] = failing
    last = facts["last_poll_at"]
    if status is not None and status.last_poll_at and (last is None or status.last_poll_at > last):
        last = status.last_poll_at
    body["last_poll_at"] = iso(last)
    body["outbox_pending"] = facts["outbox"]["pending"]
    if status is not None:
        body["scheduler"] = {
            "started_at": iso(status.started_at),
            "heartbeat_at": iso(status.heartbeat_at),
            "stopping": status.stopping,
            "lease_lost": status.lease_lost,
        }
        if not status.alive:
            body["status"] = "unavailable"
            return JSONResponse(body, status_code=503)
    return JSONResponse(body)


def unrecorded(status: Any) -> dict[str, str]:
    """Sources whose last poll failed and could not even be recorded (a database fault)."""
    return dict(getattr(status, "unrecorded", None) or {})


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time."""

    def __init__(
        self,
        engine: Engine,
        source_ids: set[str] | None,
        also_failing: frozenset[str] = frozenset(),
    ) -> None:
        self.engine, self.source_ids, self.also_failing = engine, source_ids, also_failing

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("observatory_database_up", "1 if the database answered.")
        try:
            facts = database_facts(self.engine, self.source_ids)
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        failing = GaugeMetricFamily(
            "observatory_sources_failing", "Sources whose last poll failed."
        )
        failing.add_metric([], len(set(facts["failing"]) | self.also_failing))
        yield failing
        last = GaugeMetricFamily(
            "observatory_last_poll_timestamp_seconds", "Unix time of the latest poll (0: none)."
        )
        last.add_metric([], facts["last_poll_at"].timestamp() if facts["last_poll_at"] else 0)
        yield last
        outbox = GaugeMetricFamily(
            "observatory_outbox_messages",
            "Digest messages in the outbox by state.",
            labels=["state"],
        )
        for state, count in facts["outbox"].items():
            outbox.add_metric([state], count)
        yield outbox
        stored = GaugeMetricFamily(
            "observatory_changes_stored", "Stored changes by dimension.", labels=["dimension"]
        )
        for dimension, count in facts["changes"].items():
            stored.add_metric([dimension], count)
        yield stored


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    status = getattr(request.app.state, "scheduler_status", None)
    engine, ids = request.app.state.engine, _configured_ids(request)
    registry.register(DatabaseCollector(engine, ids, frozenset(unrecorded(status))))
    payload = generate_latest(registry)
    alive = 1 if status is not None and status.alive else 0
    payload += (
        b"# HELP observatory_scheduler_up 1 if this process runs a live scheduler.\n"
        b"# TYPE observatory_scheduler_up gauge\n"
        b"observatory_scheduler_up " + str(alive).encode() + b"\n"
    )
    if status is not None:
        payload += generate_latest(status.registry)
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
