"""The CLI as a user drives it: tag, output formats, unchecked sources, bad arguments."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from observatory.cli.main import main
from tests.sitesrv import FixtureSite


def test_tag_from_stdin_prints_dimensions_and_evidence(tmp_path: Path) -> None:
    text = "Article 57: Member States shall establish at least one AI regulatory sandbox."
    result = CliRunner().invoke(
        main, ["--config", str(tmp_path / "absent.yaml"), "tag", "-"], input=text
    )
    assert result.exit_code == 2  # an explicit --config that does not exist is an error
    result = CliRunner().invoke(main, ["tag", "-"], input=text, env={"OBSERVATORY_CONFIG": ""})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["dimensions"] == ["experimentation"]
    assert any("sandbox" in phrase.lower() for phrase in data["evidence"]["experimentation"])


def test_tag_leaves_text_not_about_ai_untagged() -> None:
    text = "The CHMP recommended approval of a new antibiotic for complicated urinary infections."
    result = CliRunner().invoke(main, ["tag"], input=text, env={"OBSERVATORY_CONFIG": ""})
    assert json.loads(result.stdout) == {
        "dimensions": [],
        "evidence": {},
        "about_ai": False,
        "ai_evidence": [],
    }


def test_sources_before_any_poll_are_unchecked(tmp_path: Path) -> None:
    config = tmp_path / "s.yaml"
    config.write_text("sources:\n  - {id: a, url: 'https://e.org/', enabled: false}\n")
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "--db", str(tmp_path / "o.db"), "sources", "--format", "json"],
    )
    assert result.exit_code == 0
    (row,) = json.loads(result.stdout)
    assert row["status"] == "unchecked" and row["enabled"] is False
    assert row["last_checked_at"] is None and row["last_error"] is None


def test_changes_csv_round_trips_the_json(site: FixtureSite, tmp_path: Path) -> None:
    config = tmp_path / "s.yaml"
    config.write_text(
        f"sources:\n  - {{id: act, url: '{site.url('/act.html')}'}}\n"
        "settings: {per_host_delay: 0}\n"
    )
    args = ["--config", str(config), "--db", str(tmp_path / "o.db")]
    runner = CliRunner()
    assert runner.invoke(main, [*args, "check"]).exit_code == 0
    site.version = 2
    assert runner.invoke(main, [*args, "check"]).exit_code == 0
    as_json = json.loads(runner.invoke(main, [*args, "changes", "--format", "json"]).stdout)
    as_csv = list(
        csv.DictReader(
            io.StringIO(runner.invoke(main, [*args, "changes", "--format", "csv"]).stdout)
        )
    )
    assert len(as_json) == len(as_csv) == 2
    for j, c in zip(as_json, as_csv, strict=True):
        assert int(c["id"]) == j["id"] and c["location"] == j["location"]
        assert json.loads(c["added"]) == j["added"] and json.loads(c["diff"]) == j["diff"]
        assert json.loads(c["dimensions"]) == j["dimensions"]
    table = runner.invoke(main, [*args, "changes", "--limit", "1"])
    assert table.exit_code == 0 and "1 change." in table.stdout


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "s.yaml"
    config.write_text("sources: []\n")
    args = ["--config", str(config), "--db", str(tmp_path / "o.db")]
    result = CliRunner().invoke(main, [*args, "changes", "--since", "last tuesday"])
    assert result.exit_code == 2 and "--since: cannot read 'last tuesday'" in result.stderr
    result = CliRunner().invoke(main, [*args, "changes", "--dimension", "ai"])
    assert result.exit_code == 2


def test_tag_reads_context_as_a_poll_passes_it() -> None:
    text = "5. Any subjects of the testing may withdraw their informed consent at any time."
    args = [
        "tag",
        "--context",
        "Article 60 Testing of high-risk AI systems in real world conditions",
    ]
    result = CliRunner().invoke(main, args, input=text, env={"OBSERVATORY_CONFIG": ""})
    data = json.loads(result.stdout)
    assert data["dimensions"] == ["guidance", "experimentation"]
    assert data["evidence"]["guidance"] == ["AI Act, Article 60"]
    assert data["about_ai"] is True
