"""Database engine, connection pragmas and schema migrations (Alembic).

SQLite is the default: one file, WAL, ``busy_timeout`` and ``foreign_keys`` on every connection.
The same models and migrations run on PostgreSQL (``--db postgresql+psycopg://...``).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, SQLAlchemyError
from sqlmodel import create_engine

from observatory.errors import StoreError, UsageError

DEFAULT_DB = "sqlite:///observatory.db"
MIGRATIONS = Path(__file__).parent / "migrations"


# The driver for PostgreSQL URLs written the usual way (``postgresql://user@host/db``), which
# SQLAlchemy would otherwise give to psycopg2; it comes with the extra "postgresql".
POSTGRESQL_PREFIXES = ("postgresql://", "postgres://")
POSTGRESQL_DRIVER = "postgresql+psycopg://"


def normalise_url(url: str | None) -> str:
    """Accept a SQLAlchemy URL, a plain PostgreSQL URL or a file path (``data/obs.db``)."""
    if not url:
        return DEFAULT_DB
    for prefix in POSTGRESQL_PREFIXES:
        if url.startswith(prefix):
            return POSTGRESQL_DRIVER + url[len(prefix) :]
    if "://" in url:
        return url
    return f"sqlite:///{url}"


def make_engine(url: str | None = None, **options: Any) -> Engine:
    """An engine for *url*; *options* go to ``create_engine`` (pool sizes of a worker)."""
    url = normalise_url(url)
    # JSON columns hold scraped text: keep it readable (and searchable) in the file.
    kwargs: dict[str, Any] = {"json_serializer": lambda o: json.dumps(o, ensure_ascii=False)}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    kwargs.update(options)
    try:
        engine = create_engine(url, **kwargs)
    except ModuleNotFoundError as exc:  # the embedded default carries no PostgreSQL driver
        hint = (
            " (install it with: pip install 'observatory[postgresql]')" if "psycopg" in url else ""
        )
        raise UsageError(f"cannot open database {_shown(url)}: {exc}{hint}") from None
    except Exception as exc:  # bad URL
        raise UsageError(f"cannot open database {_shown(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _shown(url: str) -> str:
    """The URL as an error message may show it (no password)."""
    from sqlalchemy.engine import make_url

    try:
        return repr(make_url(url).render_as_string(hide_password=True))
    except Exception:  # unreadable: show nothing of it beyond its scheme
        return repr(url.split("://", 1)[0] + "://...")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


# The newest migration in observatory/migrations/versions (tests/test_db.py checks it against
# Alembic). A database already there skips importing Alembic: every CLI command opens the
# database, and the import costs about a third of a second.
SCHEMA_HEAD = "0009"
MIGRATION_LOCK = 0x0B5E_7A70  # the advisory lock key that serialises migrations on PostgreSQL


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database (``file:...`` URIs included), or None (in memory, or not
    SQLite)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
        if "mode=memory" in str(engine.url):
            return None
    return Path(database)


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None (new database, or no alembic_version table)."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


SchemaStep = Callable[[Engine], None]
# Schemas applied after Alembic's revisions by ``observatory migrate``, under the same lock, in
# this order; each must be idempotent. The hook for the task queue's schema (Procrastinate's,
# PostgreSQL only) when workers arrive: append a step that applies it if it is missing.
SCHEMA_STEPS: tuple[SchemaStep, ...] = ()


def migrate(engine: Engine, steps: Sequence[SchemaStep] = ()) -> str | None:
    """Bring the schema to the newest revision (creates it on a new database), then run
    *steps* (``SCHEMA_STEPS`` for ``observatory migrate``), all under one lock, so processes
    starting together on a new database take turns. Returns the revision this process found
    (None: a new database), so exactly one of them reports having created it."""
    database = sqlite_file(engine)
    if database is not None and not database.parent.exists():
        raise UsageError(
            f"cannot open database {str(database)!r}: folder {database.parent} does not exist"
        )
    found = schema_revision(engine)
    if found == SCHEMA_HEAD and not steps:
        return found
    try:
        with _one_migrator(engine):  # processes starting together on a new database take turns
            found = schema_revision(engine)
            if found != SCHEMA_HEAD:
                from alembic import command

                command.upgrade(alembic_config(engine), "head")
            for step in steps:
                step(engine)
        return found
    except DatabaseError as exc:
        if "not a database" in str(exc):  # --db names some other file
            raise UsageError(
                f"cannot open database {engine.url.database!r}: not a database"
            ) from None
        raise _store_error(engine, exc) from None
    except SQLAlchemyError as exc:  # a fault of the database, or a bug in a migration: not input
        raise _store_error(engine, exc) from None


@contextmanager
def _one_migrator(engine: Engine) -> Iterator[None]:
    """Hold an exclusive lock while migrating: an advisory lock on PostgreSQL, ``flock`` on the
    folder of the SQLite file.

    Never a lock taken through a descriptor of the database file itself: closing *any*
    descriptor of a file drops every POSIX lock the process holds on it, including those of
    SQLite's open connections, after which another process takes the database for unused and
    checkpoints and deletes the WAL under the running service (its writes then go to an
    unlinked file and are lost). The folder is another inode, so its lock touches none of
    SQLite's, and it leaves no extra file in the volume."""
    if engine.dialect.name == "postgresql":
        with advisory_lock(engine, MIGRATION_LOCK):
            yield
        return
    database = sqlite_file(engine)
    if database is None:  # in memory: nothing else can open it
        yield
        return
    folder = os.open(database.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # releases the flock


@contextmanager
def advisory_lock(engine: Engine, key: int) -> Iterator[Connection]:
    """Hold PostgreSQL's session advisory lock *key* (processes that take it take turns); the
    connection that holds it."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield conn
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()


def _store_error(engine: Engine, exc: Exception) -> StoreError:
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    where = engine.url.render_as_string(hide_password=True)
    return StoreError(f"cannot bring database {where} to the current schema: {first_line}")


def open_db(url: str | None = None) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine


def database_fault(exc: BaseException) -> str:
    """What went wrong with the database, in one short line: the driver's own message, never
    SQLAlchemy's rendering (which quotes the statement and its parameters: scraped text)."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).splitlines() or [type(orig).__name__])[0]
    first = first[:200]
    low = first.lower()
    for clue, meaning in FAULTS:
        if clue in low:
            return f"{meaning} ({first})"
    return f"database error ({first})"


FAULTS = (
    ("disk is full", "the disk holding the database is full"),
    ("disk i/o error", "the disk holding the database failed"),
    ("readonly database", "the database is read-only"),
    ("database is locked", "the database stayed locked by another process"),
    ("unable to open database", "the database file cannot be opened"),
    ("could not connect", "the database server cannot be reached"),
    ("connection refused", "the database server cannot be reached"),
)
