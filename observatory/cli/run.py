"""``observatory run``: the scheduler and the web app in one long-running process."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import TYPE_CHECKING

from observatory.cli import context as cli

if TYPE_CHECKING:
    from observatory.cli.context import State


@cli.web_command
def run(state: State, host: str, port: int) -> None:
    """Poll every source on its schedule, send digests on their cadence, serve the web app.

    One scheduler per database: a second `run` exits 1 naming the holder. SIGHUP (or an edit of
    the config file) reloads the configuration; SIGTERM or SIGINT stops cleanly (exit 0). Logs go
    to stderr, as JSON with OBSERVATORY_LOG_FORMAT=json.

    \b
    Example:
      OBSERVATORY_MAIL_FROM=observatory@example.org observatory run --port 8000
    """
    from observatory.service.logs import setup_logging
    from observatory.service.run import run_service

    setup_logging()
    code = run_service(cli.resolve_config_path(state.config_path), state.db_url, host, port)
    # A worker thread stuck past the grace period (a PDF parse, an SMTP exchange) must not hold
    # the exit: everything that matters is committed and the lease is released by now.
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(t.is_alive() and not t.daemon for t in others):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
