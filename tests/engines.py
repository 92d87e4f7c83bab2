"""Fresh databases for tests, on both engines: a SQLite file, or a PostgreSQL database.

Tests that should hold on both engines take the ``db_url`` fixture (parametrised ``sqlite`` and
``postgresql``; see tests/conftest.py). Each gets a database of its own, already migrated: a copy
of a template migrated once per session (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE``
on PostgreSQL), dropped after the test. PostgreSQL is the server of ``OBSERVATORY_TEST_PG``
(default: postgresql://postgres@127.0.0.1:5432/postgres, as `.ci/run` starts it); without one the
PostgreSQL cases skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from observatory.store.db import make_engine, migrate

PG_ADMIN = os.environ.get(
    "OBSERVATORY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PREFIX = f"observatory_test_{os.getpid()}_"  # this session's databases (left-overs: later runs)


def pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


class Databases:
    """Migrated template databases, made on first use, and the copies handed out."""

    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="observatory-test-db-"))
        self._sqlite: Path | None = None
        self._pg_template: str | None = None
        self._admin: Engine | None = None
        self._pg_error: str | None = None

    def admin(self) -> Engine:
        """The maintenance connection to PostgreSQL; skip (fail in CI) when there is none."""
        if self._admin is None and self._pg_error is None:
            try:
                admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text("SELECT 1"))
                self._admin = admin
            except Exception as exc:  # no server, or no driver
                self._pg_error = f"no PostgreSQL at {PG_ADMIN}: {exc}".splitlines()[0]
        if self._admin is None:
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL is expected in CI: {self._pg_error}")
            pytest.skip(self._pg_error or "no PostgreSQL")
        return self._admin

    def new_postgresql(self, migrated: bool = True) -> str:
        """A new database (migrated, or empty); its URL."""
        admin = self.admin()
        name = PREFIX + uuid.uuid4().hex[:10]
        with admin.connect() as conn:
            if migrated and self._pg_template is None:
                template = PREFIX + "template"
                conn.execute(text(f'CREATE DATABASE "{template}"'))
                engine = make_engine(pg_url(template))
                migrate(engine)
                engine.dispose()
                self._pg_template = template
            from_template = f' TEMPLATE "{self._pg_template}"' if migrated else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{from_template}'))
        return pg_url(name)

    def drop_postgresql(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self.admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def new_sqlite(self, path: Path) -> str:
        """A migrated SQLite file at *path*; its path (what --db takes)."""
        if self._sqlite is None:
            template = self._folder / "template.db"
            engine = make_engine(str(template))
            migrate(engine)
            engine.dispose()
            self._sqlite = template
        shutil.copyfile(self._sqlite, path)
        return str(path)

    def close(self) -> None:
        if self._admin is not None:
            with self._admin.connect() as conn:
                names = conn.execute(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                    {"p": PREFIX.replace("_", r"\_") + "%"},
                ).scalars()
                for name in list(names):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self._admin.dispose()
        shutil.rmtree(self._folder, ignore_errors=True)


def is_postgresql(url: str) -> bool:
    return url.startswith("postgresql")
