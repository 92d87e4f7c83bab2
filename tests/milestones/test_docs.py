"""The README documents every milestone key and the milestones command."""

from __future__ import annotations

from pathlib import Path

from observatory.config import Milestone

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_milestone_key_is_documented() -> None:
    section = README.split("### Milestones", 1)[1].split("\n### ", 1)[0]
    for key in Milestone.model_fields:
        assert f"| `{key}` |" in section, f"milestone key {key} missing from the README"


def test_the_milestones_section_shows_the_commands() -> None:
    section = README.split("## Milestones", 1)[1].split("\n## ", 1)[0]
    for command in (
        "--status",
        "--dimension",
        "--as-of",
        "--format ics",
        "--relink",
        "link",
        "unlink",
    ):
        assert command in section
