"""Digests in a cluster: each subscriber's due slot composed and sent by exactly one worker.

The ``digests`` task runs once a minute under Procrastinate's ``lock`` "digests", so two workers
never compose at once; a slot is marked handled before its digest is stored (as ``observatory
run`` does), so a later run never composes it again, and the outbox claims make each message
sent by one worker. A slot missed while the cluster was down is sent once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine

from observatory.config import Config
from observatory.errors import UsageError
from observatory.service import logs
from observatory.service.lease import last_digest_due, mark_digest_due
from observatory.service.planning import plan_digest, subscriber_schedule
from observatory.service.status import SchedulerStatus

log = logging.getLogger("observatory.service")


def due_digests(engine: Engine, config: Config, now: datetime, status: SchedulerStatus) -> None:
    from observatory.digest import (
        deliver_pending,
        pending_messages,
        smtp_settings_from_env,
        store_new_digests,
    )

    due = []
    for sub in config.subscribers:
        last = last_digest_due(engine, sub.email)
        if last is None:  # first time: the cadence starts now, nothing was missed
            mark_digest_due(engine, sub.email, now, now)
            continue
        missed, _ = plan_digest(subscriber_schedule(sub, config), last, now)
        if missed is not None:
            due.append((sub.email, missed))
    if not due and not pending_messages(engine):
        return
    try:
        settings = smtp_settings_from_env()
    except UsageError as exc:
        log.error("digests not sent: %s", exc)
        return
    for email, slot in due:
        mark_digest_due(engine, email, slot, now)
        store_new_digests(engine, config, settings, subscriber=email, now=now)
    report = deliver_pending(engine, settings)
    for result, items in (
        ("sent", report.sent),
        ("pending", report.pending),
        ("failed", report.failed),
    ):
        status.deliveries.labels(result).inc(len(items))
    if report.sent or report.errors or due:
        logs.log_delivery(
            "(cluster)",
            sent=len(report.sent),
            pending=len(report.pending),
            failed=len(report.failed),
            errors=report.errors,
        )
