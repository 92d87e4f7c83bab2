"""When is each source and digest due: the pure planning behind the scheduler (no I/O).

``observatory.scheduler`` turns these decisions into APScheduler jobs. A source is next due one
interval (or cron firing) after its ``last_checked_at``; an overdue one is polled once, promptly,
spread over a short window. A digest slot is due after the last slot recorded; a missed slot is
sent once.

Rules kept here:
- ``every`` runs on a grid anchored at the first poll, each run moved by a random jitter of up
  to 10% of the interval (at most 5 minutes) so that sources of one host do not stay in step;
  the jitter never accumulates, so the mean interval is the configured one;
- a DST fall-back day repeats a wall-clock hour: a slot whose local time equals the previous
  slot's is skipped, so a subscriber gets one digest, not two (spring-forward yields one too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from observatory.config import Config, Source, Subscriber
from observatory.config.schedules import Schedule, next_due, parse_schedule

CATCH_UP_WINDOW = 60.0  # seconds over which overdue sources are spread after downtime, at most
CATCH_UP_STEP = 2.0  # ... and at most this many seconds between two of them
MAX_LOOKBACK = timedelta(days=400)


def jitter_for(interval: float) -> float:
    return min(interval * 0.1, 300.0)


class SteadyIntervalTrigger(IntervalTrigger):
    """An interval grid anchored at the start date; the jitter moves each run, never the grid.

    APScheduler's own IntervalTrigger counts the next run from the previous *jittered* run, a
    random walk that stretches the mean interval by half the jitter (10 s + 1 s jitter polls
    every 10.5 s on average)."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is not None:
            now = previous_fire_time + timedelta(microseconds=1)
        fire: datetime | None = super().get_next_fire_time(None, now)
        return fire


def poll_trigger(
    source: Source, timezone: str, jitter: bool = True, start: datetime | None = None
) -> BaseTrigger:
    if source.cron:
        return parse_schedule(source.cron, timezone).trigger(jitter=30 if jitter else None)
    interval = source.interval_seconds or 6 * 3600.0
    spread = jitter_for(interval) if jitter else None
    return SteadyIntervalTrigger(seconds=interval, jitter=spread, start_date=start, timezone=UTC)


def plan_polls(
    sources: Iterable[Source],
    last_checked: Mapping[str, datetime | None],
    now: datetime,
    timezone: str,
    window: float = CATCH_UP_WINDOW,
) -> dict[str, datetime]:
    """First poll time of each source: one interval (or cron firing) after its last check.

    Overdue and never-checked sources are due now; they are spread evenly, the longest overdue
    first, over ``min(window, shortest interval, CATCH_UP_STEP * their number)`` seconds.
    """
    due: dict[str, datetime] = {}
    intervals: list[float] = []
    for source in sources:
        last = last_checked.get(source.id)
        if last is None:
            due[source.id] = datetime.min.replace(tzinfo=UTC)
        elif source.cron:
            fire = poll_trigger(source, timezone, jitter=False).get_next_fire_time(None, last)
            due[source.id] = fire.astimezone(UTC) if fire else now + MAX_LOOKBACK
        else:
            due[source.id] = last + timedelta(seconds=source.interval_seconds or 0)
        intervals.append(source.interval_seconds or window)
    overdue = sorted((t, sid) for sid, t in due.items() if t <= now)
    spread = min([window, *intervals, CATCH_UP_STEP * len(overdue)])
    for index, (_, sid) in enumerate(overdue):
        due[sid] = now + timedelta(seconds=spread * index / max(len(overdue), 1))
    return due


def next_slot(schedule: Schedule, after: datetime) -> datetime:
    """The digest slot after *after*, skipping the repeat of a wall-clock time on fall-back."""
    tz = ZoneInfo(schedule.timezone)
    previous_wall = after.astimezone(tz).replace(tzinfo=None)
    slot = next_due(schedule, after)
    while slot.astimezone(tz).replace(tzinfo=None) == previous_wall:
        slot = next_due(schedule, slot)
    return slot


def plan_digest(
    schedule: Schedule, last_due: datetime | None, now: datetime
) -> tuple[datetime | None, datetime]:
    """(the latest missed slot to send now, or None; the next slot in the future)."""
    if last_due is None:
        return None, next_slot(schedule, now)
    missed, slot = None, next_slot(schedule, max(last_due, now - MAX_LOOKBACK))
    while slot <= now:
        missed, slot = slot, next_slot(schedule, slot)
    return missed, slot


def subscriber_schedule(subscriber: Subscriber, config: Config) -> Schedule:
    return parse_schedule(subscriber.schedule, subscriber.timezone or config.settings.timezone)
