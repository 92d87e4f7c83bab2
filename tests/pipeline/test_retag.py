"""``observatory tag --retag``: the stored history tagged again with the current taxonomy, on a
real database (a SQLite file, then PostgreSQL) filled by real polls of the fixture site."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from observatory.cli.main import main
from observatory.store.db import make_engine
from observatory.tagging import load_taxonomy
from tests.sitesrv import FixtureSite

CUSTOM = """
gate: {patterns: [artificial intelligence, literacy], case_sensitive: [AI]}
dimensions:
  tools: {patterns: [literacy]}
"""


def _config(site: FixtureSite, path: Path, taxonomy: str | None = None) -> None:
    setting = f", taxonomy: {taxonomy}" if taxonomy else ""
    path.write_text(
        f"sources:\n  - {{id: act, url: '{site.url('/act.html')}'}}\n"
        f"settings: {{per_host_delay: 0{setting}}}\n",
        encoding="utf-8",
    )


def test_retag_applies_the_current_taxonomy_to_stored_changes(
    site: FixtureSite, tmp_path: Path, db_url: str
) -> None:
    config = tmp_path / "s.yaml"
    _config(site, config)
    args = ["--config", str(config), "--db", db_url]
    runner = CliRunner()
    assert runner.invoke(main, [*args, "check"]).exit_code == 0
    site.version = 2
    assert runner.invoke(main, [*args, "check"]).exit_code == 0
    before = json.loads(runner.invoke(main, [*args, "changes", "--format", "json"]).stdout)
    packaged = load_taxonomy().version
    assert {c["tagged_with"] for c in before} == {packaged}
    assert all(c["about_ai"] is True for c in before)
    article4 = next(c for c in before if c["location"] == "Article 4")
    assert article4["dimensions"] == ["guidance", "collaboration"]

    (tmp_path / "custom.yaml").write_text(CUSTOM, encoding="utf-8")
    _config(site, config, "custom.yaml")
    custom = load_taxonomy(tmp_path / "custom.yaml").version
    assert custom.startswith("custom.yaml@") and custom != packaged
    done = runner.invoke(main, [*args, "tag", "--retag"])
    assert done.exit_code == 0, done.output
    assert f"Re-tagged 2 changes with {custom}: 2 got other dimensions" in done.stdout
    after = json.loads(runner.invoke(main, [*args, "changes", "--format", "json"]).stdout)
    by_location = {c["location"]: c for c in after}
    assert by_location["Article 4"]["dimensions"] == ["tools"]
    assert by_location["Article 4"]["evidence"] == {"tools": ["literacy"]}
    assert by_location["Article 57 > 9 > (b)"]["dimensions"] == []
    assert by_location["Article 57 > 9 > (b)"]["about_ai"] is True  # unfiled, not lost
    assert {c["tagged_with"] for c in after} == {custom}
    # the dimension index follows: filters and digests read change_dimensions
    tools = json.loads(
        runner.invoke(main, [*args, "changes", "--dimension", "tools", "--format", "json"]).stdout
    )
    assert [c["location"] for c in tools] == ["Article 4"]
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT dimension FROM change_dimensions ORDER BY 1")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("tools",)]

    later = runner.invoke(main, [*args, "tag", "--retag", "--since", "2999-01-01"])
    assert later.exit_code == 0 and "Re-tagged 0 changes" in later.stdout


def test_retag_refuses_a_text_and_since_needs_retag(tmp_path: Path) -> None:
    config = tmp_path / "s.yaml"
    config.write_text("sources: []\n", encoding="utf-8")
    args = ["--config", str(config), "--db", str(tmp_path / "o.db")]
    runner = CliRunner()
    both = runner.invoke(main, [*args, "tag", "--retag", "-"], input="AI")
    assert both.exit_code == 2 and "--retag takes no text" in both.stderr
    lone = runner.invoke(main, [*args, "tag", "--since", "7d"], input="AI")
    assert lone.exit_code == 2 and "--since goes with --retag" in lone.stderr
    bad = runner.invoke(main, [*args, "tag", "--retag", "--since", "someday"])
    assert bad.exit_code == 2 and "--since" in bad.stderr
