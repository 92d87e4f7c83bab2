"""The README tells the same story as the code: settings, commands, modules, test command."""

from __future__ import annotations

import re
from pathlib import Path

import click

from observatory.cli.main import main
from observatory.config import SETTINGS, Source

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_default() -> None:
    for setting in SETTINGS:
        row = re.search(rf"^\| `{setting.name}` \| `([^`]*)` \|", README, re.M)
        assert row, f"setting {setting.name} missing from the README"
        default = setting.default
        assert row.group(1).strip("'") == str(default), setting.name


def test_every_source_key_is_documented() -> None:
    for key in Source.model_fields:
        assert f"| `{key}` |" in README, f"source key {key} missing from the README"


def test_every_command_is_documented_and_has_an_example() -> None:
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        assert f"observatory {name}" in README, f"command {name} missing from the README"
        assert "Example:" in (command.help or ""), f"command {name} has no example in its help"


def test_how_it_works_lists_the_modules() -> None:
    section = README.split("## How it works", 1)[1].split("\n## ", 1)[0]
    for module in (
        "fetch/",
        "extract/",
        "noise/",
        "store/snapshots.py",
        "diff/",
        "tagging/",
        "digest/",
        "pipeline/",
        "store/",
        "service/",
        "web/",
        "config/",
        "cli/",
    ):
        assert f"observatory/{module}" in section
        assert (ROOT / "observatory" / module).exists(), module


def test_ci_runs_the_readme_test_command() -> None:
    assert "scripts/check" in README
    assert "scripts/check" in (ROOT / ".ci" / "run").read_text()


def test_no_merge_conflict_markers_are_left_anywhere() -> None:
    markers = ("<<<<<<< ", ">>>>>>> ")
    for path in [
        ROOT / "README.md",
        *(ROOT / "observatory").rglob("*"),
        *(ROOT / "tests").rglob("*.py"),
    ]:
        if path.is_file() and path.suffix in (".md", ".py", ".j2", ".yaml", ".css", ".toml"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(line.startswith(markers) for line in text.splitlines()), path
