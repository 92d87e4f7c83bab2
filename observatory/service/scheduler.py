"""APScheduler wiring: each source polled on its schedule, each subscriber's digest on its cadence.

It calls what the CLI calls: ``pipeline.check_source`` (``observatory check``) and
``mail.store_new_digests`` + ``mail.deliver_pending`` (``observatory digest --send``). Schedules
are derived from the database, never only from memory; *when* each poll and digest is due is
decided by the pure functions of ``observatory.planning`` (re-exported here).

Rules the wiring keeps:
- one poll of a source at a time (``max_instances=1``, ``coalesce``), at most ``concurrency``
  polls at once; one shared Fetcher, so the per-host pace holds; a hanging source only holds its
  own slot, for at most the Fetcher's deadline;
- a missed digest slot is sent once, shortly after start; then the next slot is scheduled;
- after ``stop()`` no poll and no SMTP session starts; a poll in flight may finish.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from observatory import dimensions
from observatory.config import Config, Source
from observatory.fetch import Fetcher
from observatory.pipeline import OUTCOMES, CheckResult, PollContext, check_source, sync_sources
from observatory.service import logs
from observatory.service.lease import last_digest_due, mark_digest_due
from observatory.service.planning import (
    CATCH_UP_STEP,
    CATCH_UP_WINDOW,
    MAX_LOOKBACK,
    SteadyIntervalTrigger,
    jitter_for,
    next_slot,
    plan_digest,
    plan_polls,
    poll_trigger,
    subscriber_schedule,
)
from observatory.store.models import ChangeDimension, SourceState, utcnow
from observatory.tagging import load_taxonomy

__all__ = [
    "CATCH_UP_STEP",
    "CATCH_UP_WINDOW",
    "MAX_LOOKBACK",
    "OUTBOX_RETRY_EVERY",
    "RETIRE_FETCHER_AFTER",
    "SchedulerStatus",
    "ServiceScheduler",
    "SteadyIntervalTrigger",
    "jitter_for",
    "next_slot",
    "plan_digest",
    "plan_polls",
    "poll_trigger",
    "subscriber_schedule",
]

OUTBOX_RETRY_EVERY = 300.0  # seconds between retries of pending digest messages
RETIRE_FETCHER_AFTER = 900.0  # seconds a replaced Fetcher stays open for polls in flight
log = logging.getLogger("observatory.service")


def _timing(source: Source) -> tuple[str | None, str | None]:
    return source.every, source.cron


@dataclass
class SchedulerStatus:
    """What /healthz and /metrics read: liveness, last poll, and the in-process counters."""

    started_at: datetime = field(default_factory=utcnow)
    running: bool = False
    stopping: bool = False
    lease_lost: bool = False
    heartbeat_at: datetime | None = None
    last_poll_at: datetime | None = None
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
        for result in ("sent", "pending", "failed"):
            self.deliveries.labels(result)

    @property
    def alive(self) -> bool:
        return self.running and not self.lease_lost


class _Stopping(Exception):
    """Raised inside a mail retry wait once the service stops: no new SMTP session."""


class ServiceScheduler:
    def __init__(
        self,
        engine: Engine,
        config: Config,
        *,
        smtp_settings: Callable[[], Any] | None = None,
        status: SchedulerStatus | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine, self.config, self.now = engine, config, now
        self.status = status or SchedulerStatus()
        self._smtp_settings = smtp_settings
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._scheduler.add_listener(self._on_skip, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self._mail = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail")
        self._mail_future: asyncio.Future[Any] | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._fetchers: list[Fetcher] = []
        self._ctx: PollContext | None = None
        self._limit = asyncio.Semaphore(config.settings.concurrency)

    # --- configuration -------------------------------------------------------------------------

    def start(self) -> None:
        self._scheduler.start()
        self.apply_config(self.config, previous=None)
        self._scheduler.add_job(
            self._retry_outbox, IntervalTrigger(seconds=OUTBOX_RETRY_EVERY), id="outbox-retry"
        )
        self.status.running = True

    def apply_config(self, config: Config, previous: Config | None) -> None:
        """Make the jobs match *config*; unchanged sources keep their timing."""
        sync_sources(self.engine, config)
        if previous is None or previous.settings != config.settings:
            if self._ctx is not None:  # it may still serve a poll in flight: close it later
                retire_at = self.now() + timedelta(seconds=RETIRE_FETCHER_AFTER)
                self._scheduler.add_job(
                    self._retire, DateTrigger(retire_at), args=[self._ctx.fetcher]
                )
            fetcher = Fetcher(config.settings)
            self._fetchers.append(fetcher)
            taxonomy = load_taxonomy(
                str(config.base_dir / config.settings.taxonomy)
                if config.settings.taxonomy
                else None
            )
            self._ctx = PollContext(self.engine, fetcher, config.settings, taxonomy, self.now)
            self._limit = asyncio.Semaphore(config.settings.concurrency)
        old = {s.id: s for s in previous.sources if s.enabled} if previous else {}
        new = {s.id: s for s in config.sources if s.enabled}
        self.config = config
        for sid in old.keys() - new.keys():
            self._scheduler.remove_job(f"poll:{sid}")
        fresh = [s for s in new.values() if s.id not in old or _timing(old[s.id]) != _timing(s)]
        if previous and previous.settings.timezone != config.settings.timezone:
            fresh += [s for s in new.values() if s.cron and s not in fresh]
        with Session(self.engine) as session:
            states = session.exec(select(SourceState)).all()
            last = {st.id: st.last_checked_at for st in states}
        tz = config.settings.timezone
        for sid, first in plan_polls(fresh, last, self.now(), tz).items():
            source = new[sid]
            self._scheduler.add_job(
                self.poll,
                poll_trigger(source, tz, start=first),
                args=[sid],
                id=f"poll:{sid}",
                next_run_time=first,
                replace_existing=True,
            )
        self._plan_digests(config)

    async def _retire(self, fetcher: Fetcher) -> None:
        if fetcher in self._fetchers:
            self._fetchers.remove(fetcher)
            await fetcher.aclose()

    def _plan_digests(self, config: Config) -> None:
        for job in self._scheduler.get_jobs():
            if job.id.startswith("digest:"):
                job.remove()
        now = self.now()
        for index, sub in enumerate(config.subscribers):
            schedule = subscriber_schedule(sub, config)
            last = last_digest_due(self.engine, sub.email)
            if last is None:  # first time: the cadence starts now, nothing was missed
                mark_digest_due(self.engine, sub.email, now, now)
            missed, upcoming = plan_digest(schedule, last, now)
            slot, when = (
                (missed, now + timedelta(seconds=2 + index)) if missed else (upcoming, upcoming)
            )
            self._scheduler.add_job(
                self.send_digest,
                DateTrigger(when),
                args=[sub.email, slot],
                id=f"digest:{sub.email.lower()}",
            )

    # --- work ----------------------------------------------------------------------------------

    async def poll(self, source_id: str) -> CheckResult | None:
        if self.status.stopping:
            return None
        try:
            source = self.config.source(source_id)
        except KeyError:
            return None
        task = asyncio.current_task()
        async with self._limit:
            if self.status.stopping or self._ctx is None:
                return None
            if task:
                self._in_flight.add(task)
            try:
                result = await check_source(source, self._ctx)
            finally:
                if task:
                    self._in_flight.discard(task)
        self._record(result)
        return result

    def _record(self, result: CheckResult) -> None:
        self.status.last_poll_at = self.now()
        self.status.polls.labels(result.outcome).inc()
        self.status.poll_seconds.observe(result.duration)
        if result.change_ids:
            with Session(self.engine) as session:
                query = select(ChangeDimension.dimension).where(
                    col(ChangeDimension.change_id).in_(result.change_ids)
                )
                for dimension in session.exec(query):
                    self.status.changes.labels(dimension).inc()
        logs.log_poll(
            result.source_id,
            result.outcome,
            changes=result.changes,
            http_status=result.http_status,
            duration=result.duration,
            error=result.error,
        )

    async def send_digest(self, email: str, slot: datetime) -> None:
        """Handle one digest slot of one subscriber, then schedule the next slot."""
        try:
            if self.status.stopping:
                return
            settings = self._load_smtp()
            if settings is None:
                return  # slot not marked: it is sent once mail is configured and we restart
            mark_digest_due(self.engine, email, slot, self.now())
            await self._in_mail_thread(self._deliver, settings, email, True)
        finally:
            if not self.status.stopping:
                self._schedule_next_digest(email, slot)

    def _schedule_next_digest(self, email: str, slot: datetime) -> None:
        sub = next((s for s in self.config.subscribers if s.email.lower() == email.lower()), None)
        if sub is None:
            return
        upcoming = next_slot(subscriber_schedule(sub, self.config), max(slot, self.now()))
        self._scheduler.add_job(
            self.send_digest,
            DateTrigger(upcoming),
            args=[sub.email, upcoming],
            id=f"digest:{email.lower()}",
            replace_existing=True,
        )

    async def _retry_outbox(self) -> None:
        from observatory.digest.outbox import pending_messages

        if self.status.stopping or not pending_messages(self.engine):
            return
        settings = self._load_smtp()
        if settings is not None:
            await self._in_mail_thread(self._deliver, settings, None, False)

    def _load_smtp(self) -> Any:
        from observatory.digest.smtp import smtp_settings_from_env
        from observatory.errors import UsageError

        try:
            return (self._smtp_settings or smtp_settings_from_env)()
        except UsageError as exc:
            log.error("digests not sent: %s", exc)
            return None

    async def _in_mail_thread(self, func: Callable[..., None], *args: Any) -> None:
        loop = asyncio.get_running_loop()
        self._mail_future = loop.run_in_executor(self._mail, func, *args)
        try:
            await self._mail_future
        except _Stopping:
            log.info("delivery interrupted by shutdown; messages stay pending")
        except Exception:
            log.exception("digest delivery failed")

    def _deliver(self, settings: Any, email: str | None, store: bool) -> None:
        """In the mail thread: store what is owed, then send what is pending (the CLI's steps)."""
        from observatory.digest.smtp import deliver_pending, store_new_digests

        if store and email is not None:
            store_new_digests(self.engine, self.config, settings, subscriber=email, now=self.now())
        if self.status.stopping:
            return  # no new SMTP session once we stop
        report = deliver_pending(self.engine, settings, subscriber=email, sleep=self._mail_sleep)
        self.status.deliveries.labels("sent").inc(len(report.sent))
        self.status.deliveries.labels("pending").inc(len(report.pending))
        self.status.deliveries.labels("failed").inc(len(report.failed))
        if email is not None or report.sent or report.errors:
            logs.log_delivery(
                email or "(pending outbox)",
                sent=len(report.sent),
                pending=len(report.pending),
                failed=len(report.failed),
                errors=report.errors,
            )

    def _mail_sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.status.stopping:
                raise _Stopping()
            time.sleep(min(left, 0.2))

    def _on_skip(self, event: JobExecutionEvent) -> None:
        self.status.missed.inc()
        logs.event(logging.WARNING, f"schedule skipped {event.job_id}", reason="still running")

    # --- stop ----------------------------------------------------------------------------------

    async def stop(self, grace: float = 8.0) -> None:
        """Take no new work; let polls in flight finish within *grace* seconds, else cancel them
        (a cancelled poll has written nothing: its one transaction comes last)."""
        self.status.stopping = True
        if self._scheduler.running:
            self._scheduler.pause()  # shutdown() would cancel the polls in flight at once
        deadline = time.monotonic() + grace
        if self._in_flight:
            log.info("waiting for %d poll(s) in flight", len(self._in_flight))
            _, pending = await asyncio.wait(set(self._in_flight), timeout=grace)
            for task in pending:
                log.warning("poll still running at shutdown; cancelled (nothing was written)")
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self.status.running = False
        if self._mail_future is not None and not self._mail_future.done():
            await asyncio.wait({self._mail_future}, timeout=max(deadline - time.monotonic(), 0.1))
        self._mail.shutdown(wait=False, cancel_futures=True)
        for fetcher in self._fetchers:
            await fetcher.aclose()
