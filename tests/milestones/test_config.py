"""``milestones:`` in sources.yaml: a shipped id is replaced, a new id added; a bad entry stops
every command with exit 2 naming the file, the line and the field, and touches no database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from observatory.cli.main import main

GOOD = """\
sources:
  - id: feed
    url: https://example.org/feed.xml
milestones:
  - id: gpai-guidelines
    title: Guidelines for providers of general-purpose AI models
    owner: AI Office
    due: 2025-08-02
    basis: AI Act, Article 56
    dimensions: [guidance]
    match: ["guidelines for providers of general-purpose AI models"]
"""

BAD = {  # the entry's line is 5; (replace what, with what) -> what the message must name
    "bad due": (("due: 2025-08-02", "due: 2025-08-32"), ["line 8", "milestones.due", "2025-08-32"]),
    "quarter 5": (("due: 2025-08-02", "due: 2025-Q5"), ["line 8", "milestones.due"]),
    "missing title": (
        ("    title: Guidelines for providers of general-purpose AI models\n", ""),
        ["line 5", "missing required key 'title'", "gpai-guidelines"],
    ),
    "unknown key": (
        ("    owner: AI Office\n", "    owner: AI Office\n    colour: red\n"),
        ["line 8", "unknown key 'colour'"],
    ),
    "unknown dimension": (
        ("dimensions: [guidance]", "dimensions: [policy]"),
        ["line 10", "milestones.dimensions", "unknown dimension 'policy'"],
    ),
    "no dimension": (("dimensions: [guidance]", "dimensions: []"), ["line 10", "dimensions"]),
    "no phrase": (
        ('match: ["guidelines', 'match: ["", "guidelines'),
        ["line 11", "milestones.match"],
    ),
    "unknown source": (
        ("    match:", "    sources: [nope]\n    match:"),
        ["line 11", "milestones.sources", "unknown source id 'nope'"],
    ),
    "bad link": (
        ("    match:", "    link: ftp://example.org/x\n    match:"),
        ["line 11", "milestones.link", "bad URL scheme"],
    ),
    "delivered period": (
        ("    match:", "    delivered: 2025-Q3\n    match:"),
        ["line 11", "milestones.delivered", "use a day"],
    ),
    "duplicate id": (
        (
            "    match: [",
            '    match: ["x"]\n  - id: gpai-guidelines\n    title: T\n    owner: O\n'
            "    due: 2025\n    basis: B\n    dimensions: [tools]\n    match: [",
        ),
        ["line 12", "duplicate id"],
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
@pytest.mark.parametrize("command", [["milestones"], ["check"], ["changes"]])
def test_a_bad_milestone_exits_2_naming_file_line_and_field(
    tmp_path: Path, name: str, command: list[str]
) -> None:
    (old, new), expected = BAD[name]
    assert old in GOOD
    config = tmp_path / "sources.yaml"
    config.write_text(GOOD.replace(old, new, 1))
    db = tmp_path / "obs.db"
    result = CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *command])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"observatory: configuration error: {config}")
    for part in expected:
        assert part in result.stderr, result.stderr
    assert not db.exists()  # the database is not touched


def test_a_shipped_id_is_replaced_and_a_new_id_added(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        GOOD
        + """  - id: gpai-codes-of-practice-ready
    title: The code of practice, as we track it
    owner: AI Office
    due: 2025-07-10
    basis: AI Act, Article 56(9)
    dimensions: [guidance, tools]
    match: ["general-purpose ai code of practice"]
"""
    )
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "--db", str(tmp_path / "o.db"), "milestones", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    shown = {m["id"]: m for m in json.loads(result.stdout)}
    assert len(shown) == 80  # 79 shipped, one replaced, one added
    code = shown["gpai-codes-of-practice-ready"]
    assert (code["title"], code["due"], code["dimensions"]) == (
        "The code of practice, as we track it",
        "2025-07-10",
        ["guidance", "tools"],
    )
    assert shown["gpai-guidelines"]["owner"] == "AI Office"
