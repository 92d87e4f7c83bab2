"""What a cluster worker does when Procrastinate hands it a job (``service.queue``'s tasks).

One ``Cluster`` per worker process: the configuration (read at start and on SIGHUP), the poll
context (a Fetcher whose pace and robots.txt cache are the database's, claims that lapse after
``STALL_TIMEOUT`` unless renewed) and the counters of /healthz and /metrics.

No poll is lost: a poll that finds its source claimed (``busy``), whose outcome the database
could not keep, or that is cancelled at shutdown brings the source's ``due_at`` forward, and
``recover`` does the same for the polls of workers whose heartbeat stopped (SIGKILL, a frozen
machine), then drops their jobs; the next dispatch defers them again. A late poll of a worker
that comes back writes nothing twice: the fence of ``record_version`` makes it ``superseded``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from observatory.config import Config, load_config
from observatory.errors import NotFoundError
from observatory.fetch import Fetcher
from observatory.milestones import Matcher, load_milestones
from observatory.pipeline import NOT_RECORDED, PollContext, check_source
from observatory.service import logs
from observatory.service.dispatch import dispatch, plan
from observatory.service.pace import DatabasePace, DatabaseRobots
from observatory.service.status import SchedulerStatus
from observatory.store import claims
from observatory.store.due import POLL_TASK, orphaned_polls, poll_again
from observatory.store.models import utcnow
from observatory.store.sources import SOURCES
from observatory.tagging import load_taxonomy

# seconds without a heartbeat after which a worker's polls are done again (tests and the bench
# set OBSERVATORY_STALL_TIMEOUT lower)
STALL_TIMEOUT = min(max(float(os.environ.get("OBSERVATORY_STALL_TIMEOUT") or 30.0), 3.0), 3600.0)
HEARTBEAT = min(5.0, STALL_TIMEOUT / 3)  # seconds between two heartbeats (jobs' and claims')
ORPHAN_AFTER = timedelta(seconds=5)  # a poll job this old without a live claim is orphaned
BUSY_RETRY = timedelta(seconds=3)  # a source claimed by another process is tried again after
log = logging.getLogger("observatory.service")


class Cluster:
    def __init__(
        self,
        config_path: Path,
        config: Config,
        engine: Engine,
        status: SchedulerStatus,
        now: Callable[[], datetime] = utcnow,
        offload: Callable[..., Awaitable[Any]] = asyncio.to_thread,
    ) -> None:
        self.config_path, self.config, self.engine = config_path, config, engine
        self.status, self.now, self.offload = status, now, offload
        self.app: Any = None  # the Procrastinate app, set by the worker process
        self.in_flight: set[str] = set()  # sources being polled by this process now
        self.ctx = self._context(config)

    def _context(self, config: Config) -> PollContext:
        settings = config.settings
        fetcher = Fetcher(
            settings,
            pace=DatabasePace(self.engine, hold=settings.timeout + 5.0),
            robots=DatabaseRobots(self.engine),
        )
        return PollContext(
            self.engine,
            fetcher,
            settings,
            load_taxonomy(config.taxonomy_path),
            self.now,
            offload=self.offload,
            matcher=Matcher(load_milestones(config)),
            claim_ttl=timedelta(seconds=STALL_TIMEOUT),
        )

    # --- configuration ------------------------------------------------------------------------

    async def start(self) -> None:
        planned = await asyncio.to_thread(plan, self.engine, self.config, self.now())
        log.info("configuration synced: %d sources (re)planned", planned)

    async def reload(self, reason: str) -> bool:
        """Read sources.yaml again; a bad file is logged and the running configuration stays."""
        try:
            new = await asyncio.to_thread(load_config, self.config_path)
            planned = await asyncio.to_thread(plan, self.engine, new, self.now())
        except Exception as exc:
            log.error("configuration not reloaded (%s): %s; the running one stays", reason, exc)
            return False
        if new.settings != self.config.settings or new.taxonomy_path != self.config.taxonomy_path:
            old, self.ctx = self.ctx.fetcher, self._context(new)
            asyncio.get_running_loop().call_later(900, lambda: asyncio.ensure_future(old.aclose()))
        else:
            self.ctx.matcher = Matcher(load_milestones(new))
        self.config = new
        enabled = sum(s.enabled for s in new.sources)
        log.info(
            "configuration reloaded (%s): %d sources enabled, %d planned", reason, enabled, planned
        )
        return True

    async def close(self) -> None:
        await self.ctx.fetcher.aclose()

    # --- tasks --------------------------------------------------------------------------------

    async def poll(self, source_id: str, due: str) -> None:
        try:
            source = self.config.source(source_id)
        except NotFoundError:  # removed from this process's configuration since it was due
            return
        lag = (self.now() - datetime.fromisoformat(due)).total_seconds()
        self.in_flight.add(source_id)  # its claim is renewed by the heartbeat meanwhile
        try:
            result = await check_source(source, self.ctx)
        except asyncio.CancelledError:  # stopped past the grace period: poll it again soon
            await asyncio.shield(self._again(source_id, self.now()))
            raise
        finally:
            self.in_flight.discard(source_id)
        unrecorded = result.outcome == "error" and (result.error or "").startswith(NOT_RECORDED)
        if result.outcome == "busy" or unrecorded:  # not polled, or not kept: poll it again
            await self._again(source_id, self.now() + BUSY_RETRY)
        await asyncio.to_thread(self.status.count, result, self.engine, self.now())
        logs.log_result(result, lag)

    async def _again(self, source_id: str, at: datetime) -> None:
        def write() -> None:
            with self.engine.begin() as conn:
                poll_again(conn, source_id, at)

        try:
            await asyncio.to_thread(write)
        except Exception as exc:  # the database is down: ``recover`` finds the job later
            log.warning("could not bring the poll of %s forward: %s", source_id, exc)

    async def dispatch(self) -> None:
        deferred = await asyncio.to_thread(dispatch, self.engine, self.config, self.now())
        if deferred:
            log.debug("dispatch: %d polls deferred", deferred)

    async def recover(self) -> None:
        """Polls whose worker is gone (dead pid on this host, claim lapsed, or no heartbeat):
        poll the source again soon, drop the stale job."""
        from procrastinate.jobs import Status

        manager = self.app.job_manager
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALL_TIMEOUT):
            if job.task_name == POLL_TASK:
                await self._recovered(str(job.task_kwargs.get("source_id", "")))
            await manager.finish_job(job, status=Status.FAILED, delete_job=True)
        for job_id, source_id in await asyncio.to_thread(self._orphans):
            await self._recovered(source_id)
            with contextlib.suppress(Exception):  # finished meanwhile
                await manager.finish_job_by_id_async(job_id, Status.FAILED, delete_job=True)

    def _orphans(self) -> list[tuple[int, str]]:
        now = self.now()
        with self.engine.connect() as conn:
            rows = orphaned_polls(conn, now, now - ORPHAN_AFTER, socket.gethostname())
        return [
            (job_id, source_id)
            for job_id, source_id, holder, until in rows
            if holder is None or (until is not None and until < now) or claims.dead_here(holder)
        ]

    async def _recovered(self, source_id: str) -> None:
        await self._again(source_id, self.now())
        logs.event(logging.WARNING, f"poll {source_id} recovered", event_type="recover")

    async def digests(self) -> None:
        from observatory.service.cluster_mail import due_digests

        await asyncio.to_thread(due_digests, self.engine, self.config, self.now(), self.status)

    async def renew_claims(self) -> None:
        ttl, keys = timedelta(seconds=STALL_TIMEOUT), set(self.in_flight)
        await asyncio.to_thread(claims.renew, self.engine, SOURCES, keys, now=self.now(), ttl=ttl)
