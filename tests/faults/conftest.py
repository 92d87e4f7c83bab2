"""Shared pieces of the fault-injection suite: a config of good sources beside a hostile one,
and the CLI run in-process (CliRunner) or as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from observatory.cli.main import main
from tests.sitesrv import FixtureSite

RUN = [sys.executable, "-c", "from observatory.cli.main import main; main()"]
FAST = "settings: {per_host_delay: 0, retries: 0, timeout: 10, recheck_on_change: false}\n"


def config_with(
    tmp_path: Path, site: FixtureSite, *hostile: str, name: str = "sources.yaml"
) -> Path:
    """Three good sources of the fixture site, then the *hostile* entries ($B = base URL)."""
    b = site.base_url
    lines = [
        "sources:",
        f'  - {{id: good-page, url: "{b}/ai.html", select: "main#content"}}',
        f'  - {{id: good-feed, url: "{b}/feed.xml", kind: feed}}',
        f'  - {{id: good-act, url: "{b}/act.html"}}',
        *(f"  - {entry.replace('$B', b)}" for entry in hostile),
    ]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n" + FAST, encoding="utf-8")
    return path


def cli(config: Path, db: Path | str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args], env=env)


def spawn(config: Path, db: Path | str, *args: str, **kw: Any) -> subprocess.Popen[str]:
    """The CLI as its own process (a real second writer, a real crash)."""
    return subprocess.Popen(
        [*RUN, "--config", str(config), "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **kw.pop("env", {})},
        **kw,
    )
