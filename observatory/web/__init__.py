"""Read-only analyst views over the database: HTML pages, a JSON and CSV API, an Atom feed.

    create_app(config, engine) -> FastAPI     served by ``observatory serve`` (and ``run``)

Modules: ``app`` (wiring, templates, errors), ``security`` (methods, token, headers), ``filters``
(the query parameters), ``data`` (queries), ``pages``, ``api``, ``feeds``, ``docs``,
``milestones`` (routes), ``render``, ``charts`` and ``timeline`` (HTML and SVG helpers);
``health`` (/healthz, /metrics) belongs to the service side.
"""

from __future__ import annotations

from observatory.web.app import create_app

__all__ = ["create_app"]
