from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engines import Databases
from tests.sitesrv import FixtureSite

ENGINES = ("sqlite", "postgresql")


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    server = FixtureSite().start()
    try:
        yield server
    finally:
        server.stop()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Tests on the real corpus skip on a machine without ../shared; in CI that would hide them."""
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    if os.environ.get("CI") and not corpus.is_dir():
        raise pytest.UsageError(f"CI expects the shared corpus beside the checkout: {corpus}")


@pytest.fixture(scope="session")
def databases() -> Iterator[Databases]:
    made = Databases()
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, databases: Databases, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test, on each engine in turn: a SQLite file path or a
    PostgreSQL URL, as ``--db`` takes them."""
    if request.param == "sqlite":
        yield databases.new_sqlite(tmp_path / "observatory.db")
        return
    url = databases.new_postgresql()
    try:
        yield url
    finally:
        databases.drop_postgresql(url)
