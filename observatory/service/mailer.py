"""Digest jobs of the service: each subscriber's digest on its cadence, pending ones retried.

It calls what the CLI calls (``store_new_digests`` + ``deliver_pending``, as ``observatory
digest --send`` does), in one mail thread so that an SMTP exchange never blocks the event loop.
A missed digest slot is sent once, shortly after start; then the next slot is scheduled. After
the service starts stopping, no new SMTP session begins.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from observatory.config import Config
from observatory.errors import UsageError
from observatory.service import logs
from observatory.service.lease import last_digest_due, mark_digest_due
from observatory.service.planning import next_slot, plan_digest, subscriber_schedule
from observatory.service.status import SchedulerStatus

OUTBOX_RETRY_EVERY = 300.0  # seconds between retries of pending digest messages
log = logging.getLogger("observatory.service")


class _Stopping(Exception):
    """Raised inside a mail retry wait once the service stops: no new SMTP session."""


class DigestJobs:
    """The digest side of the scheduler: planned on the shared APScheduler, run in one thread."""

    def __init__(
        self,
        engine: Engine,
        scheduler: AsyncIOScheduler,
        status: SchedulerStatus,
        config: Callable[[], Config],
        now: Callable[[], datetime],
        smtp_settings: Callable[[], Any] | None = None,
    ) -> None:
        self.engine, self.status, self.now = engine, status, now
        self._scheduler, self._config, self._smtp_settings = scheduler, config, smtp_settings
        self._mail = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail")
        self._mail_future: asyncio.Future[Any] | None = None

    def start(self) -> None:
        self._scheduler.add_job(
            self.retry_outbox, IntervalTrigger(seconds=OUTBOX_RETRY_EVERY), id="outbox-retry"
        )

    def plan(self, config: Config) -> None:
        """One job per subscriber: its missed slot soon, else its next slot."""
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
                self._schedule_next(email, slot)

    def _schedule_next(self, email: str, slot: datetime) -> None:
        config = self._config()
        sub = next((s for s in config.subscribers if s.email.lower() == email.lower()), None)
        if sub is None:
            return
        upcoming = next_slot(subscriber_schedule(sub, config), max(slot, self.now()))
        self._scheduler.add_job(
            self.send_digest,
            DateTrigger(upcoming),
            args=[sub.email, upcoming],
            id=f"digest:{email.lower()}",
            replace_existing=True,
        )

    async def retry_outbox(self) -> None:
        from observatory.digest import pending_messages

        if self.status.stopping or not pending_messages(self.engine):
            return
        settings = self._load_smtp()
        if settings is not None:
            await self._in_mail_thread(self._deliver, settings, None, False)

    def _load_smtp(self) -> Any:
        from observatory.digest import smtp_settings_from_env

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
        from observatory.digest import deliver_pending, store_new_digests

        if store and email is not None:
            store_new_digests(
                self.engine, self._config(), settings, subscriber=email, now=self.now()
            )
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

    async def stop(self, deadline: float) -> None:
        """Let a delivery in flight finish until *deadline* (monotonic), then drop the thread."""
        if self._mail_future is not None and not self._mail_future.done():
            await asyncio.wait({self._mail_future}, timeout=max(deadline - time.monotonic(), 0.1))
        self._mail.shutdown(wait=False, cancel_futures=True)
