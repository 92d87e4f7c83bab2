"""Database engine, connection pragmas and schema migrations (Alembic).

SQLite is the default: one file, WAL, ``busy_timeout`` and ``foreign_keys`` on every connection.
The same models and migrations run on PostgreSQL (``--db postgresql+psycopg://...``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from observatory.errors import UsageError

DEFAULT_DB = "sqlite:///observatory.db"
MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str | None) -> str:
    """Accept a SQLAlchemy URL or a plain file path (``data/obs.db``)."""
    if not url:
        return DEFAULT_DB
    if "://" in url:
        return url
    return f"sqlite:///{url}"


def make_engine(url: str | None = None) -> Engine:
    url = normalise_url(url)
    # JSON columns hold scraped text: keep it readable (and searchable) in the file.
    kwargs: dict[str, Any] = {"json_serializer": lambda o: json.dumps(o, ensure_ascii=False)}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    try:
        engine = create_engine(url, **kwargs)
    except Exception as exc:  # bad URL or missing driver
        raise UsageError(f"cannot open database {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


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


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (creates it on a new database)."""
    from alembic import command

    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:":
            parent = Path(database).parent
            if not parent.exists():
                raise UsageError(
                    f"cannot open database {database!r}: folder {parent} does not exist"
                )
    try:
        command.upgrade(alembic_config(engine), "head")
    except UsageError:
        raise
    except Exception as exc:
        raise UsageError(f"cannot open database {engine.url!r}: {exc}") from None


def open_db(url: str | None = None) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine
