"""A cluster's digests: the due slot is composed and sent once, however many workers run the task
after one another (Procrastinate's ``lock`` keeps them from running it at the same time)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from observatory.pipeline import check_sources
from observatory.service.cluster_mail import due_digests
from observatory.service.lease import last_digest_due, mark_digest_due
from observatory.service.status import SchedulerStatus
from tests.service.test_scheduler import Inbox, inbox, world  # noqa: F401  (fixtures)
from tests.sitesrv import FixtureSite


def test_a_due_digest_is_composed_and_sent_once(
    tmp_path: Path,
    site: FixtureSite,
    inbox: tuple[Inbox, int],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler, port = inbox
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
        "MAIL_FROM": "obs@example.org",
    }.items():
        monkeypatch.setenv(f"OBSERVATORY_{name}", value)
    engine, config = world(tmp_path, site)
    asyncio.run(check_sources(config, engine))
    site.version = 2
    assert asyncio.run(check_sources(config, engine))[0].outcome == "changed"
    now = datetime.now(UTC)
    mark_digest_due(engine, "ana@example.org", now - timedelta(days=3), now - timedelta(days=3))

    for _worker in range(3):  # the task run by three workers, one after another
        due_digests(engine, config, now, SchedulerStatus())
    assert len(handler.messages) == 1 and handler.messages[0]["To"] == "ana@example.org"
    slot = last_digest_due(engine, "ana@example.org")
    assert slot is not None and now - timedelta(days=1) < slot <= now
