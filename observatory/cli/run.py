"""``observatory run``: the scheduler and the web app in one long-running process."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import TYPE_CHECKING

import click

from observatory.cli import context as cli

if TYPE_CHECKING:
    from observatory.cli.context import State


@cli.web_command
def run(state: State, host: str, port: int) -> None:
    """Poll every source on its schedule, send digests on their cadence, serve the web app.

    On SQLite, one scheduler per database: a second `run` exits 1 naming the holder. On
    PostgreSQL, `run` is one worker of a cluster plus the web views, and several may run.
    SIGHUP (or, on SQLite, an edit of the config file) reloads the configuration; SIGTERM or
    SIGINT stops cleanly (exit 0). Logs go to stderr, as JSON with OBSERVATORY_LOG_FORMAT=json.

    \b
    Example:
      OBSERVATORY_MAIL_FROM=observatory@example.org observatory run --port 8000
    """
    from observatory.service.logs import setup_logging
    from observatory.store.db import normalise_url

    setup_logging()
    config_path = cli.resolve_config_path(state.config_path)
    if normalise_url(state.db_url).startswith("postgresql"):  # a cluster member: no lease
        from observatory.service.worker import run_worker, web_views

        code = run_worker(config_path, state.db_url, None, web=web_views(host, port))
    else:
        from observatory.service.run import run_service

        code = run_service(config_path, state.db_url, host, port)
    _exit(code)


@click.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=None,
    envvar="OBSERVATORY_CONCURRENCY",
    help="Polls run at once by this worker [env OBSERVATORY_CONCURRENCY; default: the "
    "concurrency setting].",
)
@click.pass_obj
@cli.handle_errors
def worker(state: State, concurrency: int | None) -> None:
    """Poll sources, send digests and dispatch due polls, as one of many workers (PostgreSQL).

    Any number of workers, on any number of machines, share one PostgreSQL database: each poll
    is done once, one request at a time per host across all of them. SIGHUP reads sources.yaml
    again; SIGTERM lets the polls in flight finish (8 s at most) and exits 0.

    \b
    Example:
      observatory --db postgresql+psycopg://obs@db/obs worker --concurrency 16
    """
    from observatory.service.logs import setup_logging
    from observatory.service.worker import run_worker

    setup_logging()
    _exit(run_worker(cli.resolve_config_path(state.config_path), state.db_url, concurrency))


def _exit(code: int) -> None:
    # A worker thread stuck past the grace period (a PDF parse, an SMTP exchange) must not hold
    # the exit: everything that matters is committed and the lease is released by now.
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(t.is_alive() and not t.daemon for t in others):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
