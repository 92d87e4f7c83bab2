"""Digest cadences: parsing, validation and the next due time across time zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from observatory.config.schedules import check_timezone, next_due, parse_schedule


def test_daily_in_local_time_across_dst() -> None:
    daily = parse_schedule("daily 07:00", "Europe/Amsterdam")
    assert (daily.kind, daily.hour, daily.minute) == ("daily", 7, 0)
    # winter: 07:00 CET is 06:00 UTC; summer: 07:00 CEST is 05:00 UTC
    assert next_due(daily, datetime(2026, 1, 10, 12, 0, tzinfo=UTC)) == datetime(
        2026, 1, 11, 6, 0, tzinfo=UTC
    )
    assert next_due(daily, datetime(2026, 3, 28, 12, 0, tzinfo=UTC)) == datetime(
        2026, 3, 29, 5, 0, tzinfo=UTC
    )  # the night the clocks go forward


def test_next_due_is_strictly_after() -> None:
    daily = parse_schedule("daily 07:00", "UTC")
    at = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    assert next_due(daily, at) == datetime(2026, 6, 2, 7, 0, tzinfo=UTC)
    assert next_due(daily, at.replace(tzinfo=None)) == datetime(2026, 6, 2, 7, 0, tzinfo=UTC)


def test_weekly_and_cron() -> None:
    weekly = parse_schedule("weekly mon 07:30", "Europe/Lisbon")
    assert weekly.day == "mon"
    # Wed 3 June 2026 -> Mon 8 June, 07:30 WEST = 06:30 UTC
    assert next_due(weekly, datetime(2026, 6, 3, tzinfo=UTC)) == datetime(
        2026, 6, 8, 6, 30, tzinfo=UTC
    )
    assert parse_schedule("Weekly  Monday 7:30", "UTC").text == "weekly monday 7:30"
    cron = parse_schedule("0 7 * * 1-5", "UTC")
    # Saturday 6 June -> Monday 8 June 07:00
    assert next_due(cron, datetime(2026, 6, 6, 9, 0, tzinfo=UTC)) == datetime(
        2026, 6, 8, 7, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("daily 24:00", "invalid time of day"),
        ("daily 7am", "invalid schedule"),
        ("weekly someday 07:00", "invalid schedule"),
        ("weekly mon", "invalid schedule"),
        ("hourly", "invalid schedule"),
        ("61 7 * * *", "invalid cron schedule"),
        ("* * *", "invalid schedule"),
    ],
)
def test_bad_schedules(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule(text)


def test_cron_weekdays_count_from_sunday() -> None:
    sunday = parse_schedule("30 8 * * 0", "UTC")
    assert next_due(sunday, datetime(2026, 6, 3, tzinfo=UTC)) == datetime(
        2026, 6, 7, 8, 30, tzinfo=UTC
    )  # 7 June 2026 is a Sunday
    seventh = parse_schedule("30 8 * * 7", "UTC")
    assert next_due(seventh, datetime(2026, 6, 3, tzinfo=UTC)).weekday() == 6
    every_other = parse_schedule("0 6 * * */2", "UTC")
    assert every_other.trigger() is not None


def test_time_zones() -> None:
    assert check_timezone("Europe/Amsterdam") == "Europe/Amsterdam"
    with pytest.raises(ValueError, match="unknown time zone"):
        check_timezone("Mars/Olympus")
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_schedule("daily 07:00", "Nowhere/Town")
