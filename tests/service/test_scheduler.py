"""Scheduling decisions (first polls after downtime, digest slots across DST) and a missed digest
sent once, in-process against the fixture site and a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine

from observatory.config import Config, Source, parse_config
from observatory.config.schedules import parse_schedule
from observatory.digest.smtp import SmtpSettings
from observatory.pipeline import check_sources
from observatory.service.lease import last_digest_due, mark_digest_due
from observatory.service.planning import (
    CATCH_UP_STEP,
    next_slot,
    plan_digest,
    plan_polls,
    poll_trigger,
)
from observatory.service.scheduler import ServiceScheduler
from observatory.store.db import open_db
from tests.sitesrv import FixtureSite

NOW = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)  # a Wednesday


def src(sid: str, **kw: Any) -> Source:
    return Source(id=sid, url=f"https://example.org/{sid}", **kw)


def test_first_polls_follow_the_last_check_and_overdue_ones_are_spread() -> None:
    sources = [
        src("a", every="1h"),
        src("b", every="1h"),
        src("c", every="1h"),
        src("d", every="10m"),
    ]
    last = {
        "a": NOW - timedelta(minutes=10),  # due in 50 minutes
        "b": NOW - timedelta(hours=5),  # overdue (4 missed intervals): once, promptly
        "c": None,  # never checked
        "d": NOW - timedelta(hours=1),
    }
    due = plan_polls(sources, last, NOW, "UTC")
    assert due["a"] == NOW + timedelta(minutes=50)
    overdue = sorted(due[s] for s in ("b", "c", "d"))
    assert overdue[0] == NOW and due["c"] == NOW  # the never-checked one first
    steps = [(b - a).total_seconds() for a, b in itertools.pairwise(overdue)]
    assert all(0 < s <= CATCH_UP_STEP for s in steps)
    assert due["b"] < due["d"]  # longest overdue first


def test_many_overdue_sources_spread_within_their_interval() -> None:
    sources = [src(f"s{i:03}", every="10s") for i in range(200)]
    due = plan_polls(sources, {}, NOW, "UTC")
    offsets = sorted((t - NOW).total_seconds() for t in due.values())
    assert offsets[0] == 0 and offsets[-1] < 10
    assert len(set(offsets)) == 200


def test_cron_sources_use_cron_weekdays_and_the_last_check() -> None:
    monday = src("m", cron="0 7 * * 1")
    fire = poll_trigger(monday, "UTC").get_next_fire_time(None, NOW)
    assert fire is not None and fire.weekday() == 0 and fire.hour == 7
    due = plan_polls([monday], {"m": NOW - timedelta(days=1)}, NOW, "UTC")
    assert due["m"] == datetime(2026, 6, 8, 7, 0, tzinfo=UTC)
    due = plan_polls([monday], {"m": NOW - timedelta(days=3)}, NOW, "UTC")
    assert due["m"] == NOW  # Monday's run was missed: once, now


def test_jitter_moves_each_poll_but_never_stretches_the_interval() -> None:
    trigger = poll_trigger(src("j", every="10s"), "UTC", start=NOW)
    runs, previous = [], None
    for _ in range(500):
        previous = trigger.get_next_fire_time(previous, previous or NOW)
        runs.append(previous)
    offsets = [(run - NOW).total_seconds() % 10 for run in runs]
    assert max(offsets) <= 1.0 and len(set(offsets)) > 100  # jittered, within 10%
    mean = (runs[-1] - runs[0]).total_seconds() / (len(runs) - 1)
    assert 9.99 <= mean <= 10.01, mean


def slots(text: str, tz: str, start: datetime, end: datetime) -> list[datetime]:
    schedule = parse_schedule(text, tz)
    found, slot = [], next_slot(schedule, start)
    while slot < end:
        found.append(slot)
        slot = next_slot(schedule, slot)
    return found


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (datetime(2026, 10, 25, tzinfo=UTC), "daily 02:30"),  # 02:30 happens twice
        (datetime(2026, 3, 29, tzinfo=UTC), "daily 02:30"),  # 02:30 does not happen
        (datetime(2026, 10, 25, tzinfo=UTC), "daily 07:00"),
        (datetime(2026, 10, 25, tzinfo=UTC), "30 2 * * *"),
    ],
)
def test_a_dst_change_sends_one_digest(day: datetime, text: str) -> None:
    found = slots(text, "Europe/Amsterdam", day - timedelta(days=3), day + timedelta(days=3))
    zone = ZoneInfo("Europe/Amsterdam")
    local_days = [slot.astimezone(zone).date() for slot in found]
    assert len(found) == 6 and len(set(local_days)) == 6, found


def test_missed_digest_slots_collapse_to_the_latest_one() -> None:
    schedule = parse_schedule("daily 07:00", "Europe/Amsterdam")
    missed, upcoming = plan_digest(schedule, NOW - timedelta(days=3), NOW)
    assert missed == datetime(2026, 6, 3, 5, 0, tzinfo=UTC)  # today 07:00 CEST
    assert upcoming == datetime(2026, 6, 4, 5, 0, tzinfo=UTC)
    assert plan_digest(schedule, missed, NOW) == (None, upcoming)
    assert plan_digest(schedule, None, NOW) == (None, upcoming)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(msg)
        return "250 Message accepted"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def world(tmp_path: Path, site: FixtureSite) -> tuple[Engine, Config]:
    text = f"""
sources:
  - {{id: ai, url: "{site.base_url}/ai.html", select: "main#content", every: 1h}}
subscribers:
  - {{email: ana@example.org, schedule: "daily 07:00", timezone: Europe/Lisbon}}
settings: {{per_host_delay: 0, retries: 0, recheck_on_change: false}}
"""
    return open_db(str(tmp_path / "obs.db")), parse_config(text, str(tmp_path / "sources.yaml"))


def test_a_missed_digest_is_sent_once_after_downtime(
    tmp_path: Path, site: FixtureSite, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    engine, config = world(tmp_path, site)
    asyncio.run(check_sources(config, engine))
    site.version = 2
    [result] = asyncio.run(check_sources(config, engine))
    assert result.outcome == "changed"
    now = datetime.now(UTC)
    mark_digest_due(engine, "ana@example.org", now - timedelta(days=3), now - timedelta(days=3))
    smtp = SmtpSettings(
        host="127.0.0.1", port=port, security="none", mail_from="obs@example.org", timeout=5
    )

    async def run_service(wait_for_mail: bool) -> datetime | None:
        scheduler = ServiceScheduler(engine, config, smtp_settings=lambda: smtp)
        scheduler.start()
        job = scheduler._scheduler.get_job("digest:ana@example.org")
        next_run = job.next_run_time if job else None
        deadline = asyncio.get_running_loop().time() + 8
        while wait_for_mail and not handler.messages:
            assert asyncio.get_running_loop().time() < deadline, "the missed digest never came"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        await scheduler.stop()
        return next_run

    first_run = asyncio.run(run_service(True))
    assert first_run is not None and first_run - now < timedelta(seconds=5)
    assert len(handler.messages) == 1 and handler.messages[0]["To"] == "ana@example.org"
    slot = last_digest_due(engine, "ana@example.org")
    assert slot is not None and now - timedelta(days=1) < slot <= now

    next_run = asyncio.run(run_service(False))  # a restart: nothing is owed before the next slot
    assert next_run is not None and next_run > now + timedelta(minutes=1)
    assert len(handler.messages) == 1
    engine.dispose()


class RefusingInbox(Inbox):
    """Answers every message with a transient 451, so the sender waits and retries."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        return "451 try again later"


def test_stopping_opens_no_new_smtp_session_and_leaves_the_message_pending(
    tmp_path: Path, site: FixtureSite
) -> None:
    from observatory.digest.outbox import pending_messages

    handler = RefusingInbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    engine, config = world(tmp_path, site)
    asyncio.run(check_sources(config, engine))
    site.version = 2
    asyncio.run(check_sources(config, engine))
    smtp = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        mail_from="obs@example.org",
        timeout=5,
        retries=5,
        backoff=2.0,
    )

    async def scenario() -> float:
        scheduler = ServiceScheduler(engine, config, smtp_settings=lambda: smtp)
        sending = asyncio.create_task(scheduler.digests.send_digest("ana@example.org", NOW))
        while handler.attempts == 0:
            await asyncio.sleep(0.02)
        started = asyncio.get_running_loop().time()
        await scheduler.stop()
        await asyncio.wait_for(sending, 3)
        return asyncio.get_running_loop().time() - started

    try:
        took = asyncio.run(scenario())
    finally:
        controller.stop()
    assert took < 2, "the retry wait ends at once on stop"
    assert handler.attempts == 1, "no new SMTP session after stop"
    [message] = pending_messages(engine)
    assert message.subscriber == "ana@example.org" and "451" in (message.last_error or "")
    engine.dispose()
