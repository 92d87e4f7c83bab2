"""Hostile or careless configuration: refused by `check` exactly as `run` would refuse it, with
file, line and field, exit 2, and the database never created."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.faults.conftest import cli

SOURCE = '  - {id: a, url: "https://example.org/a"}\n'
CASES = {
    "NaN timeout": ("sources:\n" + SOURCE + "settings: {timeout: .nan}\n", ["timeout", "finite"]),
    "infinite delay": (
        "sources:\n" + SOURCE + "settings: {per_host_delay: .inf}\n",
        ["per_host_delay", "finite"],
    ),
    "negative retries": (
        "sources:\n" + SOURCE + "settings: {retries: -1}\n",
        ["retries", "greater than or equal to 0"],
    ),
    "CR/LF in the user agent": (
        "sources:\n" + SOURCE + 'settings: {user_agent: "Bot\\r\\nX-Evil: 1"}\n',
        ["user_agent", "control characters"],
    ),
    "a key given twice": (
        'sources:\n  - id: a\n    url: "https://example.org/a"\n    url: "https://e.org/b"\n',
        ["line 4", "key 'url' given twice"],
    ),
    "an interval that overflows the scheduler": (
        'sources:\n  - {id: a, url: "https://example.org/a", every: 99999999999d}\n',
        ["every", "at most 366d"],
    ),
    "a subscriber cron of 30 February": (
        "sources:\n" + SOURCE + 'subscribers:\n  - {email: a@b.org, schedule: "0 7 30 2 *"}\n',
        ["never fires"],
    ),
    "a source cron of 31 April": (
        'sources:\n  - {id: a, url: "https://example.org/a", cron: "0 7 31 4 *"}\n',
        ["never fires"],
    ),
    "nesting 5,000 deep": ("[" * 5000 + "]" * 5000 + "\n", ["nested deeper than"]),
    "a taxonomy file that is missing": (
        "sources:\n" + SOURCE + "settings: {taxonomy: nowhere.yaml}\n",
        ["nowhere.yaml", "not found"],
    ),
}


@pytest.mark.parametrize("command", [["check"], ["sources"], ["changes"]])
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_refused_with_where_and_why_before_the_database_exists(
    tmp_path: Path, case: str, command: list[str]
) -> None:
    text, expected = CASES[case]
    config = tmp_path / "sources.yaml"
    config.write_text(text, encoding="utf-8")
    db = tmp_path / "obs.db"
    result = cli(config, db, *command)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in expected:
        assert fragment in result.output, result.output
    assert not db.exists(), "the database must stay untouched on a configuration error"


def test_a_48_megabyte_file_is_refused_unread(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    with config.open("w", encoding="utf-8") as handle:
        handle.write("sources:\n")
        handle.write("# " + "x" * 1_000 + "\n" * 1)
        for _ in range(48_000):
            handle.write("# " + "x" * 1_000 + "\n")
    result = cli(config, tmp_path / "obs.db", "check")
    assert result.exit_code == 2 and "byte cap" in result.output
    assert not (tmp_path / "obs.db").exists()


def test_a_cluster_sized_file_of_20000_sources_is_read(tmp_path: Path) -> None:
    """The cap is for accidents, not for big watch lists: 20,000 sources (1.8 MB) are read."""
    config = tmp_path / "sources.yaml"
    lines = ["sources:"]
    for i in range(20_000):
        host = f"127.0.1.{i % 200 + 1}"
        lines.append(
            f'  - {{id: p{i}, url: "http://{host}:1/p/{i}.html", select: main, every: 10m}}'
        )
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert config.stat().st_size > 1_500_000
    result = cli(config, tmp_path / "obs.db", "sources", "--format", "json")
    assert result.exit_code == 0, result.output[-500:]
    assert len(json.loads(result.output)) == 20_000


def test_the_watcher_survives_every_bad_file_and_applies_the_next_good_one(
    tmp_path: Path,
) -> None:
    from tests.service.test_run import ServiceProcess

    config = tmp_path / "sources.yaml"
    good = 'sources:\n  - {id: a, url: "http://127.0.0.1:9/a", every: 1h}\n'
    config.write_text(good, encoding="utf-8")
    service = ServiceProcess(tmp_path, config, tmp_path / "obs.db").start()
    try:
        bad_files = [
            ("[" * 5000 + "]" * 5000, "nested deeper than"),
            (good + "settings: {taxonomy: missing.yaml}\n", "taxonomy file not found"),
            (good.replace("every: 1h", "every: 99999999999d"), "at most 366d"),
        ]
        for count, (text, reason) in enumerate(bad_files, 1):
            config.write_text(text, encoding="utf-8")
            line = service.wait_for(r"configuration not reloaded", count=count, timeout=15)
            assert reason in line, line
        config.write_text(good.replace("/a", "/b"), encoding="utf-8")
        service.wait_for(r"configuration reloaded \(file changed\)", timeout=15)
        assert service.get("/healthz").json()["scheduler_alive"] is True
        assert "Task exception was never retrieved" not in service.log
    finally:
        service.stop()
