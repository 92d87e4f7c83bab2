"""Digest cadences: ``daily 07:00``, ``weekly mon 07:00`` or a five-field cron, in a time zone;
and the due dates of milestones (a day, a quarter, a half-year or a year).

``parse_schedule`` validates the text (config validation calls it) and ``next_due`` says when a
schedule fires next after a given instant; the service uses it to run digests on time. Times are
wall-clock times in the subscriber's zone, so ``daily 07:00`` stays 07:00 across DST changes.
``parse_due`` reads ``2025-08-02``, ``2026-Q1``, ``2024-H2`` or ``2028``: a period is due on its
last day.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAILY = re.compile(r"^daily\s+(\d{1,2}):(\d{2})$")
_WEEKLY = re.compile(r"^weekly\s+([a-z]{3})\w*\s+(\d{1,2}):(\d{2})$")
_DUE = re.compile(r"^(\d{4})(?:-(\d{2})-(\d{2})|-Q([1-4])|-H([12]))?$")


@dataclass(frozen=True)
class Schedule:
    kind: Literal["daily", "weekly", "cron"]
    text: str
    timezone: str
    hour: int = 0
    minute: int = 0
    day: str | None = None  # weekly only

    def trigger(self, jitter: float | None = None) -> Any:
        """The APScheduler trigger that fires on this schedule (``jitter``: seconds of spread)."""
        from apscheduler.triggers.cron import CronTrigger

        fields: dict[str, Any]
        if self.kind == "cron":
            minute, hour, day, month, dow = self.text.split()
            fields = {"minute": minute, "hour": hour, "day": day, "month": month}
            fields["day_of_week"] = cron_weekdays(dow)
        else:
            fields = {"hour": self.hour, "minute": self.minute, "second": 0}
            if self.day:
                fields["day_of_week"] = self.day
        return CronTrigger(timezone=ZoneInfo(self.timezone), jitter=jitter, **fields)


def cron_weekdays(field: str) -> str:
    """Cron's numeric weekdays (0 or 7 = Sunday) as names: APScheduler 3 counts 0 = Monday,
    so ``CronTrigger.from_crontab("0 7 * * 1-5")`` would fire Tuesday to Saturday."""
    return re.sub(
        r"(?<![/\d])\d+",
        lambda m: CRON_DAYS[int(m.group())] if int(m.group()) < 8 else m.group(),
        field,
    )


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def _clock(hour: str, minute: str, text: str) -> tuple[int, int]:
    h, m = int(hour), int(minute)
    if h > 23 or m > 59:
        raise ValueError(f"invalid time of day in schedule {text!r}")
    return h, m


def parse_schedule(text: str, timezone: str = "Europe/Amsterdam") -> Schedule:
    """``daily HH:MM``, ``weekly DAY HH:MM`` (mon..sun) or cron ``m h dom mon dow``."""
    check_timezone(timezone)
    clean = " ".join(str(text).split()).lower()
    if match := _DAILY.match(clean):
        hour, minute = _clock(match.group(1), match.group(2), text)
        return Schedule("daily", clean, timezone, hour, minute)
    if clean.startswith("weekly"):
        match = _WEEKLY.match(clean)
        if not match or match.group(1) not in DAYS:
            raise ValueError(f"invalid schedule {text!r} (use e.g. 'weekly mon 07:00')")
        hour, minute = _clock(match.group(2), match.group(3), text)
        return Schedule("weekly", clean, timezone, hour, minute, match.group(1))
    if clean.startswith("daily"):
        raise ValueError(f"invalid schedule {text!r} (use e.g. 'daily 07:00')")
    if len(clean.split()) != 5:
        raise ValueError(
            f"invalid schedule {text!r} (use 'daily 07:00', 'weekly mon 07:00' or a "
            "five-field cron such as '0 7 * * 1-5')"
        )
    schedule = Schedule("cron", clean, timezone)
    try:
        schedule.trigger()
    except ValueError as exc:
        raise ValueError(f"invalid cron schedule {text!r}: {exc}") from None
    next_due(schedule, datetime.now(UTC))  # "0 7 30 2 *" parses but never fires: refused here
    return schedule


def next_due(schedule: Schedule, after: datetime) -> datetime:
    """The first firing strictly after *after* (an aware datetime), in UTC."""
    trigger = schedule.trigger()
    # APScheduler returns the first time >= now; step one second so "after" is strict.
    probe = after.replace(microsecond=0)
    probe = probe if probe > after else datetime.fromtimestamp(probe.timestamp() + 1, UTC)
    fire = trigger.get_next_fire_time(None, probe)
    if fire is None:  # a cron that can never fire again (e.g. Feb 30) - config rejects most
        raise ValueError(f"schedule {schedule.text!r} never fires")
    return fire.astimezone(UTC)


def parse_due(text: str) -> tuple[date, str | None]:
    """A milestone's due text -> (the day it is due, the period or None for a plain day).

    ``2025-08-02`` is that day; ``2026-Q1``, ``2024-H2`` and ``2028`` are due on the last day of
    the quarter, half-year or year (the period is returned so that outputs can say so).
    """
    match = _DUE.match(str(text).strip())
    if not match:
        raise ValueError(f"invalid due {text!r} (use 2025-08-02, 2026-Q1, 2024-H2 or 2028)")
    year = int(match.group(1))
    if match.group(2):
        try:
            return date(year, int(match.group(2)), int(match.group(3))), None
        except ValueError:
            raise ValueError(f"invalid due {text!r}: no such day") from None
    quarter, half = match.group(4), match.group(5)
    last_month = int(quarter) * 3 if quarter else int(half) * 6 if half else 12
    return date(year, last_month, monthrange(year, last_month)[1]), str(text).strip()
