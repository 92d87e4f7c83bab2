"""Statuses computed when read: --as-of moves a milestone through upcoming, due and overdue; a
period is due on its last day; and the shipped registry on a fresh database, without network,
shows each milestone with the status its due day (or recorded delivery) gives today."""

from __future__ import annotations

import calendar
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from observatory.cli.main import main
from observatory.milestones.registry import REGISTRY

MILESTONES = """
milestones:
  - id: sandbox-report
    title: First annual report of the national AI regulatory sandbox
    owner: Member States
    due: 2026-08-02
    basis: AI Act, Article 57(16)
    dimensions: [experimentation]
    match: ["annual report of the ai regulatory sandbox"]
  - id: half-year
    title: Something due in a half-year
    owner: EMA
    due: 2024-H2
    basis: ai-workplan-facts.json
    dimensions: [tools]
    match: ["some phrase"]
"""


def run(tmp_path: Path, *args: str) -> list[dict[str, object]]:
    config = tmp_path / "sources.yaml"
    if not config.exists():
        config.write_text(MILESTONES)
    result = CliRunner().invoke(
        main, ["--config", str(config), "--db", str(tmp_path / "o.db"), "milestones", *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def status_on(tmp_path: Path, milestone: str, day: str) -> str:
    shown = {m["id"]: m for m in run(tmp_path, "--format", "json", "--as-of", day)}
    return str(shown[milestone]["status"])


def test_as_of_moves_a_milestone_through_upcoming_due_and_overdue(tmp_path: Path) -> None:
    assert status_on(tmp_path, "sandbox-report", "2026-07-02") == "upcoming"  # 31 days before
    assert status_on(tmp_path, "sandbox-report", "2026-07-03") == "due"  # 30 days before
    assert status_on(tmp_path, "sandbox-report", "2026-08-02") == "due"  # the due day
    assert status_on(tmp_path, "sandbox-report", "2026-08-03") == "overdue"


def test_a_period_is_due_on_its_last_day_and_says_so(tmp_path: Path) -> None:
    shown = {m["id"]: m for m in run(tmp_path, "--format", "json", "--as-of", "2024-12-31")}
    assert shown["half-year"]["due"] == "2024-12-31"
    assert shown["half-year"]["due_period"] == "2024-H2"
    assert shown["half-year"]["status"] == "due"
    assert status_on(tmp_path, "half-year", "2025-01-01") == "overdue"
    table = CliRunner().invoke(
        main,
        [
            "--config",
            str(tmp_path / "sources.yaml"),
            "--db",
            str(tmp_path / "o.db"),
            "milestones",
            "--dimension",
            "tools",
            "--as-of",
            "2024-12-01",
        ],
    )
    assert "(end of 2024-H2)" in table.stdout


def test_filters_by_status_and_dimension(tmp_path: Path) -> None:
    rows = run(tmp_path, "--format", "json", "--as-of", "2026-07-20", "--status", "due")
    assert rows and {r["status"] for r in rows} == {"due"}
    assert "sandbox-report" in {r["id"] for r in rows}
    rows = run(tmp_path, "--format", "json", "--dimension", "experimentation")
    assert rows and all("experimentation" in r["dimensions"] for r in rows)  # type: ignore[operator]


def expected_status(entry: dict[str, str], today: date) -> str:
    """The status from the registry's own text, computed here without the package's code."""
    delivered = entry.get("delivered")
    if delivered and date.fromisoformat(delivered) <= today:
        return "delivered"
    due = entry["due"]
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", due):
        month = int(m.group(2)) * 3
        day = date(int(m.group(1)), month, calendar.monthrange(int(m.group(1)), month)[1])
    elif m := re.fullmatch(r"(\d{4})-H([12])", due):
        day = date(int(m.group(1)), 6, 30) if m.group(2) == "1" else date(int(m.group(1)), 12, 31)
    elif re.fullmatch(r"\d{4}", due):
        day = date(int(due), 12, 31)
    else:
        day = date.fromisoformat(due)
    if today > day:
        return "overdue"
    return "due" if (day - today).days <= 30 else "upcoming"


@pytest.mark.parametrize("offset", [0, 200, -700])
def test_the_shipped_registry_on_a_fresh_database_shows_the_right_status(
    tmp_path: Path, offset: int
) -> None:
    """Today, and the same check on other days (before 2025 nearly all were upcoming)."""
    (tmp_path / "sources.yaml").write_text("sources: []\n")
    today = datetime.now(UTC).date() + timedelta(days=offset)
    args = ["--format", "json"] + (["--as-of", today.isoformat()] if offset else [])
    shown = {m["id"]: m for m in run(tmp_path, *args)}
    entries = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    assert len(shown) == len(entries) >= 40
    for entry in entries:
        got = shown[entry["id"]]
        assert got["basis"] == entry["basis"] and got["evidence"] == []
        assert got["status"] == expected_status(entry, today), entry["id"]
    assert len({m["status"] for m in shown.values()}) >= 2
