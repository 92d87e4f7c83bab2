"""What every command shares: the lazily loaded state, error handling, common options.

``handle_errors`` is the one place where an ``ObservatoryError`` becomes a message on stderr
and an exit code: 0 success, 1 a poll or delivery failed, 2 bad input.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from observatory.config import Config, load_config
from observatory.errors import ConfigError, ObservatoryError
from observatory.store.db import database_fault, open_db

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_CONFIG = "sources.yaml"
PACKAGED_CONFIG = Path(__file__).resolve().parents[1] / "sources.yaml"


class State:
    def __init__(self, config_path: str | None, db_url: str | None) -> None:
        self.config_path = config_path
        self.db_url = db_url
        self._config: Config | None = None
        self._engines: list[Any] = []

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(resolve_config_path(self.config_path))
        return self._config

    def engine(self) -> Any:
        """The migrated database, opened only once every input has been validated (the
        configuration, and a taxonomy file it names), so bad input never creates one."""
        config = self.config
        if config.taxonomy_path is not None:
            from observatory.tagging import load_taxonomy

            load_taxonomy(config.taxonomy_path)
        engine = open_db(self.db_url)
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        """Close the database connections when the command ends (a PostgreSQL server would
        otherwise see them dropped, and Python warns of each)."""
        while self._engines:
            self._engines.pop().dispose()


def resolve_config_path(path: str | None) -> Path:
    """--config (or $OBSERVATORY_CONFIG), else ./sources.yaml, else the packaged copy."""
    if path:
        return Path(path)
    local = Path(DEFAULT_CONFIG)
    if local.exists():
        return local
    return PACKAGED_CONFIG if PACKAGED_CONFIG.exists() else local


def handle_errors(func: F) -> F:
    """Turn ObservatoryError into a message on stderr and its exit code; a database fault
    (disk full, read-only, locked) is one line naming it, exit 1, never a traceback."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ObservatoryError as exc:
            prefix = "configuration error" if isinstance(exc, ConfigError) else "error"
            click.echo(f"observatory: {prefix}: {exc}", err=True)
            sys.exit(exc.exit_code)
        except SQLAlchemyError as exc:
            click.echo(f"observatory: error: {database_fault(exc)}", err=True)
            sys.exit(1)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def web_command(func: F) -> click.Command:
    """A command that serves the web app: --host, --port, the state, and error handling."""
    return click.command()(click.pass_obj(listen_options(handle_errors(func))))


def listen_options(func: F) -> F:
    """--host and --port of the web app (``serve`` and ``run``), with their environment forms."""
    func = click.option(
        "--port",
        envvar="OBSERVATORY_PORT",
        type=click.IntRange(0, 65535),
        default=8000,
        show_default=True,
        help="Port to listen on [env OBSERVATORY_PORT].",
    )(func)
    return click.option(
        "--host",
        envvar="OBSERVATORY_HOST",
        default="127.0.0.1",
        show_default=True,
        help="Address to listen on [env OBSERVATORY_HOST; 0.0.0.0 in the container].",
    )(func)
