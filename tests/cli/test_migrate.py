"""``observatory migrate`` on both engines: it creates the schema once when several processes
start together on a new database, says what it did, and changes nothing the second time."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from observatory.store.db import SCHEMA_HEAD, make_engine, schema_revision
from tests.conftest import ENGINES
from tests.engines import Databases

MIGRATE = [sys.executable, "-c", "from observatory.cli.main import main; main()"]


@pytest.fixture(params=ENGINES)
def empty_db(request: pytest.FixtureRequest, databases: Databases, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a path where no file is yet, or an empty PostgreSQL one."""
    if request.param == "sqlite":
        yield str(tmp_path / "new.db")
        return
    url = databases.new_postgresql(migrated=False)
    try:
        yield url
    finally:
        databases.drop_postgresql(url)


def test_processes_starting_together_migrate_once(empty_db: str, tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [*MIGRATE, "--db", empty_db, "migrate"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,  # no sources.yaml there: migrate needs none
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 3, outputs
    lines = sorted(out.strip() for out, _ in outputs)
    created = f"schema at revision {SCHEMA_HEAD} (was a new database)"
    assert sum(created in line for line in lines) == 1, lines
    assert sum(f"schema already at revision {SCHEMA_HEAD}" in line for line in lines) == 2, lines
    engine = make_engine(empty_db)
    try:
        assert schema_revision(engine) == SCHEMA_HEAD
        assert {"sources", "changes", "outbox"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    again = subprocess.run(
        [*MIGRATE, "--db", empty_db, "migrate"], capture_output=True, text=True, cwd=tmp_path
    )
    assert again.returncode == 0 and "already at revision" in again.stdout


def test_a_database_that_cannot_be_reached_is_one_line_exit_1(tmp_path: Path) -> None:
    url = "postgresql://nobody@127.0.0.1:1/nothing"  # nothing listens on port 1
    result = subprocess.run(
        [*MIGRATE, "--db", url, "migrate"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 1
    assert result.stderr.startswith("observatory: error: cannot bring database")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
