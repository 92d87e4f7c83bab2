"""APScheduler wiring: each source polled on its schedule, each subscriber's digest on its cadence.

It calls what the CLI calls: ``pipeline.check_source`` (``observatory check``); the digest jobs
live in ``observatory.service.mailer``. Schedules are derived from the database, never only from
memory; *when* each poll and digest is due is decided by the pure functions of
``observatory.service.planning``.

Rules the wiring keeps:
- one poll of a source at a time (``max_instances=1``, ``coalesce``), at most ``concurrency``
  polls at once; one shared Fetcher, so the per-host pace holds; a hanging source only holds its
  own slot, for at most the Fetcher's deadline;
- after ``stop()`` no poll and no SMTP session starts; a poll in flight may finish.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from observatory.config import Config, Source
from observatory.errors import NotFoundError
from observatory.fetch import Fetcher
from observatory.milestones import Matcher, load_milestones
from observatory.pipeline import CheckResult, PollContext, check_source
from observatory.service import logs
from observatory.service.mailer import DigestJobs
from observatory.service.planning import plan_polls, poll_trigger
from observatory.service.status import SchedulerStatus
from observatory.store.models import SourceState, utcnow
from observatory.store.sources import sync_sources
from observatory.tagging import load_taxonomy

RETIRE_FETCHER_AFTER = 900.0  # seconds a replaced Fetcher stays open for polls in flight
log = logging.getLogger("observatory.service")


def _timing(source: Source) -> tuple[str | None, str | None]:
    return source.every, source.cron


class ServiceScheduler:
    def __init__(
        self,
        engine: Engine,
        config: Config,
        *,
        smtp_settings: Callable[[], Any] | None = None,
        status: SchedulerStatus | None = None,
        now: Callable[[], datetime] = utcnow,
        offload: Callable[..., Awaitable[Any]] = asyncio.to_thread,
    ) -> None:
        self.engine, self.config, self.now, self.offload = engine, config, now, offload
        self.status = status or SchedulerStatus()
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._scheduler.add_listener(self._on_skip, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self.digests = DigestJobs(
            engine, self._scheduler, self.status, lambda: self.config, now, smtp_settings
        )
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._fetchers: list[Fetcher] = []
        self._ctx: PollContext | None = None
        self._limit = asyncio.Semaphore(config.settings.concurrency)

    # --- configuration -------------------------------------------------------------------------

    def start(self) -> None:
        self._scheduler.start()
        self.apply_config(self.config, previous=None)
        self.digests.start()
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
            taxonomy = load_taxonomy(config.taxonomy_path)
            self._ctx = PollContext(
                self.engine, fetcher, config.settings, taxonomy, self.now, offload=self.offload
            )
            self._limit = asyncio.Semaphore(config.settings.concurrency)
        if self._ctx is not None:  # milestones may change on reload
            self._ctx.matcher = Matcher(load_milestones(config))
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
        self.digests.plan(config)

    async def _retire(self, fetcher: Fetcher) -> None:
        if fetcher in self._fetchers:
            self._fetchers.remove(fetcher)
            await fetcher.aclose()

    # --- work ----------------------------------------------------------------------------------

    async def poll(self, source_id: str) -> CheckResult | None:
        if self.status.stopping:
            return None
        try:
            source = self.config.source(source_id)
        except NotFoundError:  # removed from the configuration since it was planned
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
        self.status.count(result, self.engine, self.now())
        logs.log_result(result)

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
        await self.digests.stop(deadline)
        for fetcher in self._fetchers:
            await fetcher.aclose()
