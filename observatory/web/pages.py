"""The HTML pages: dashboard, history with filters and search, one change, sources, snapshots.

Pages are rendered on the server and work without JavaScript; forms use GET, so every view is a
link that can be bookmarked or shared.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from observatory import dimensions
from observatory.store import changes as change_store
from observatory.store.models import SourceState
from observatory.store.sources import source_states
from observatory.web import charts, data, filters

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
ID = Annotated[int, Path(ge=1, le=2**62)]
CACHE_SECONDS = 60.0


def page(request: Request, template: str, **context: Any) -> HTMLResponse:
    env = request.app.state.env
    html = env.get_template(f"web/{template}").render(request=request, **context)
    return HTMLResponse(html)


def cached(request: Request, name: str, compute: Callable[[], T]) -> T:
    """*compute()* at most once a minute (counts over months; the lists are never cached)."""
    key = int(time.time() // CACHE_SECONDS)
    cache: dict[str, tuple[Any, Any]] = request.app.state.cache
    hit = cache.get(name)
    if hit is None or hit[0] != key:
        hit = (key, compute())
        cache[name] = hit
    return hit[1]


def _states(request: Request) -> list[SourceState]:
    return source_states(request.app.state.engine, request.app.state.config)


@router.get("/static/style.css")
def stylesheet(request: Request) -> Response:
    env = request.app.state.env
    source, _, _ = env.loader.get_source(env, "web/style.css")
    return Response(
        source, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    engine = request.app.state.engine
    months = data.month_keys(12)
    series = cached(request, "dimension_months", lambda: data.dimension_months(engine, 12))
    latest = change_store.page_of_changes(engine, filters.Params().to_filter(), limit=10)
    states = _states(request)
    return page(
        request,
        "dashboard.html.j2",
        chart=charts.stacked_bars(months, series, dimensions.LABELS, title="Changes per dimension"),
        months=months,
        series=series,
        latest=latest.rows,
        failing=[s for s in states if s.status == "error"],
        sources=states,
    )


@router.get("/changes", response_class=HTMLResponse)
def changes(request: Request) -> HTMLResponse:
    params = filters.from_query(request.query_params)
    flt = params.to_filter()
    cursor = filters.cursor_of(request.query_params.get("cursor"))
    limit = filters.limit_of(request.query_params.get("limit"))
    result = change_store.page_of_changes(
        request.app.state.engine,
        flt,
        cursor=cursor,
        limit=limit,
        fts=request.app.state.fts,
        highlight=True,
    )
    return page(
        request,
        "changes.html.j2",
        params=params,
        result=result,
        sources=_states(request),
        next_url=(
            "/changes" + params.query(cursor=result.next_cursor) if result.next_cursor else None
        ),
        first_url="/changes" + params.query() if cursor else None,
        feed_url="/feed.atom" + params.query(),
        csv_url="/api/changes.csv" + params.query(),
    )


@router.get("/changes/{change_id:int}", response_class=HTMLResponse)
def change(request: Request, change_id: ID) -> HTMLResponse:
    engine = request.app.state.engine
    row = change_store.get_change(engine, change_id)
    if row is None:
        raise HTTPException(404, f"no change {change_id}")
    after = before = None
    loaded = data.snapshot_with_document(engine, row.snapshot_id)
    if loaded:
        after = data.in_context(loaded[1], list(row.added))
    if row.previous_snapshot_id:
        loaded = data.snapshot_with_document(engine, row.previous_snapshot_id)
        if loaded:
            before = data.in_context(loaded[1], list(row.removed))
    return page(request, "change.html.j2", change=row, before=before, after=after)


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request) -> HTMLResponse:
    engine = request.app.state.engine
    counts = cached(request, "change_counts", lambda: data.change_counts(engine))
    enabled = {s.id: s.enabled for s in request.app.state.config.sources}
    return page(
        request, "sources.html.j2", sources=_states(request), counts=counts, enabled=enabled
    )


@router.get("/sources/{source_id}", response_class=HTMLResponse)
def source(request: Request, source_id: str) -> HTMLResponse:
    engine = request.app.state.engine
    state = next((s for s in _states(request) if s.id == source_id), None)
    if state is None:
        raise HTTPException(404, f"no source {source_id!r}")
    months = data.month_keys(24)
    counts = data.source_months(engine, source_id, 24)
    flt = filters.Params(sources=(source_id,)).to_filter()
    return page(
        request,
        "source.html.j2",
        source=state,
        chart=charts.single_bars(months, counts, title=f"Changes per month: {source_id}"),
        months=months,
        counts=counts,
        latest=change_store.page_of_changes(engine, flt, limit=20).rows,
        checks=data.recent_checks(engine, source_id),
        snapshots=data.recent_snapshots(engine, source_id),
    )


@router.get("/snapshots/{snapshot_id:int}", response_class=HTMLResponse)
def snapshot(request: Request, snapshot_id: ID) -> HTMLResponse:
    loaded = data.snapshot_with_document(request.app.state.engine, snapshot_id)
    if loaded is None:
        raise HTTPException(404, f"no snapshot {snapshot_id}")
    snap, document = loaded
    return page(request, "snapshot.html.j2", snapshot=snap, text=document.as_text())


@router.get("/snapshots/{snapshot_id:int}.txt")
def snapshot_text(request: Request, snapshot_id: ID) -> PlainTextResponse:
    loaded = data.snapshot_with_document(request.app.state.engine, snapshot_id)
    if loaded is None:
        raise HTTPException(404, f"no snapshot {snapshot_id}")
    return PlainTextResponse(loaded[1].as_text())
