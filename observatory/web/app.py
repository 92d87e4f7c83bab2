"""Build the read-only web app: routers, the security middleware, templates, the stylesheet.

Templates are looked up in ``settings.templates`` first, then in the packaged ``templates/``
(``web/*.html.j2``), with autoescaping on; the stylesheet ``web/style.css`` is found the same way
and served at ``/static/style.css``, so a deployment restyles the pages without touching code.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from observatory import __version__, dimensions
from observatory.config import Config
from observatory.errors import ObservatoryError
from observatory.store import search
from observatory.store.models import iso
from observatory.templating import base_environment
from observatory.web import render
from observatory.web.security import TOKEN_ENV, SecurityMiddleware

API_PREFIX = "/api/"


def make_environment(templates: str | Path | None = None) -> jinja2.Environment:
    env = base_environment(templates)
    env.filters.update(iso=iso, diff_html=render.diff_html, when=render.when)
    env.globals.update(dimension_labels=dimensions.LABELS, version=__version__)
    return env


def create_app(config: Config, engine: Engine, *, scheduler_status: Any | None = None) -> FastAPI:
    """The web app over *engine* (already migrated) for the sources of *config*."""
    app = FastAPI(
        title="Observatory",
        version=__version__,
        description=(
            "Read-only access to the change history of the watched regulatory sources: "
            "the same filters (`source`, `dimension`, `since`, `until`, `q`) on every list."
        ),
        docs_url=None,  # Swagger UI needs script from a CDN; /docs is rendered on the server
        redoc_url=None,
    )
    app.state.config = config
    app.state.engine = engine
    app.state.env = make_environment(config.templates_path)
    app.state.scheduler_status = scheduler_status
    app.state.fts = search.full_text_index(engine)
    app.state.cache = {}

    from observatory.web import api, docs, feeds, milestones, pages

    app.include_router(pages.router)
    app.include_router(milestones.router)
    app.include_router(api.router)
    app.include_router(feeds.router)
    app.include_router(docs.router)
    # /healthz and /metrics live in observatory/web/health.py, written and owned by the service
    # (scheduler) side; it reads app.state.scheduler_status. Included only when the module is
    # there, so the web views can be served and tested on their own.
    if importlib.util.find_spec("observatory.web.health") is not None:
        from observatory.web import health

        app.include_router(health.router)
    _handle_errors(app)
    app.add_middleware(SecurityMiddleware, token=os.environ.get(TOKEN_ENV) or None)
    return app


def _handle_errors(app: FastAPI) -> None:
    """Errors as JSON under /api (and for .csv/.atom), as an error page elsewhere."""

    @app.exception_handler(ObservatoryError)
    async def _usage(request: Request, exc: ObservatoryError) -> Response:
        return error_response(request, 400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith(API_PREFIX):
            return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
        return error_response(request, 422, "invalid parameter: " + _first_error(exc))


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type"))}
        for e in exc.errors()
    ]


def _first_error(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "bad request"
    first = errors[0]
    return f"{'.'.join(str(p) for p in first.get('loc', ()))}: {first.get('msg', '')}"


def error_response(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith(API_PREFIX) or request.url.path.endswith(
        (".csv", ".atom", ".ics")
    ):
        return JSONResponse({"detail": message}, status_code=status)
    env: jinja2.Environment = request.app.state.env
    html = env.get_template("web/error.html.j2").render(
        status=status, message=message, request=request
    )
    return HTMLResponse(html, status_code=status)
