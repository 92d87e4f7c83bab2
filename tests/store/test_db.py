"""Schema and migrations: the same Alembic revisions run on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from observatory.config import parse_config
from observatory.errors import UsageError
from observatory.pipeline import check_sources
from observatory.store.changes import ChangeFilter, iter_changes
from observatory.store.db import alembic_config, make_engine, migrate, open_db
from tests.engines import Databases
from tests.sitesrv import FixtureSite

CORE_TABLES = {
    "sources",
    "checks",
    "blobs",
    "snapshots",
    "changes",
    "change_dimensions",
    "volatile_blocks",
}


def test_sqlite_pragmas_and_tables(tmp_path: Path) -> None:
    engine = open_db(str(tmp_path / "o.db"))
    assert set(inspect(engine).get_table_names()) >= CORE_TABLES
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    engine = open_db(str(tmp_path / "o.db"))
    cfg = alembic_config(engine)
    command.downgrade(cfg, "base")
    assert not CORE_TABLES & set(inspect(engine).get_table_names())
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= CORE_TABLES


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        open_db(str(tmp_path / "no" / "such" / "o.db"))


@pytest.fixture
def pg_url(databases: Databases) -> Iterator[str]:
    """An empty PostgreSQL database (skipped without a server, failed in CI)."""
    url = databases.new_postgresql(migrated=False)
    try:
        yield url
    finally:
        databases.drop_postgresql(url)


def test_postgresql_runs_the_same_migrations_and_pipeline(pg_url: str, site: FixtureSite) -> None:
    engine = make_engine(pg_url)
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= CORE_TABLES
    b = site.base_url
    config = parse_config(f"""
sources:
  - {{id: act, url: "{b}/act.html"}}
  - {{id: feed, url: "{b}/feed.xml", kind: feed}}
settings: {{per_host_delay: 0}}
""")
    first = asyncio.run(check_sources(config, engine))
    assert sorted(r.outcome for r in first) == ["new", "new"]
    site.version = 2
    second = {r.source_id: r for r in asyncio.run(check_sources(config, engine))}
    assert second["act"].outcome == "changed" and second["feed"].outcome == "changed"
    rows = list(iter_changes(engine, ChangeFilter(dimensions=["experimentation"])))
    assert any(r.location == "Article 57 > 9 > (b)" for r in rows)
    assert list(iter_changes(engine, ChangeFilter(words="lessons learnt")))
    command.downgrade(alembic_config(engine), "base")
    engine.dispose()


def test_schema_head_constant_matches_the_migrations(tmp_path: Path) -> None:
    """db.SCHEMA_HEAD lets a migrated database skip Alembic; it must name the real head."""
    from alembic.script import ScriptDirectory

    from observatory.store.db import SCHEMA_HEAD, schema_revision

    engine = open_db(str(tmp_path / "o.db"))
    assert ScriptDirectory.from_config(alembic_config(engine)).get_current_head() == SCHEMA_HEAD
    assert schema_revision(engine) == SCHEMA_HEAD
