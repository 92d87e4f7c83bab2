"""``observatory serve``: the read-only web views and API, without the scheduler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from observatory.cli import context as cli

if TYPE_CHECKING:
    from observatory.cli.context import State


@cli.web_command
def serve(state: State, host: str, port: int) -> None:
    """Serve the web views, the JSON/CSV API and the Atom feed (read-only; no polling).

    Set OBSERVATORY_API_TOKEN to require a token (Bearer header or ?token=) on every page.

    \b
    Example:
      observatory serve --host 0.0.0.0 --port 8000
    """
    import logging

    import uvicorn

    from observatory.service.logs import setup_logging
    from observatory.web import create_app
    from observatory.web.security import RedactTokens

    app = create_app(state.config, state.engine())
    setup_logging()
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO)
    access.addFilter(RedactTokens())  # ?token= never reaches the log
    uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=False)
