"""The milestones: ``/milestones`` (a timeline and a table), ``/milestones/{id}`` (basis and
evidence), ``/milestones.ics`` (a calendar to subscribe to) and ``/api/milestones`` (JSON).

Every view takes the same filters: ``dimension`` and ``status`` (both repeatable) and ``as_of``
(a day; default today, UTC). Statuses are computed when the page is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from observatory import dimensions
from observatory.config import Milestone
from observatory.errors import UsageError
from observatory.milestones import (
    STATUSES,
    MilestoneView,
    find,
    load_milestones,
    milestone_views,
    parse_day,
    view_to_dict,
)
from observatory.web.api import ErrorOut
from observatory.web.pages import page
from observatory.web.timeline import STATUS_COLOURS, timeline

router = APIRouter()
DAY = r"^\s*\d{4}-\d{2}-\d{2}\s*$"
StatusKey = Literal[STATUSES]  # type: ignore[valid-type]
DimensionKey = Literal[dimensions.KEYS]  # type: ignore[valid-type]


def _views(
    request: Request, statuses: Sequence[str], wanted: Sequence[str], as_of: str | None
) -> tuple[list[MilestoneView], date]:
    registry: list[Milestone] = load_milestones(request.app.state.config)
    day = parse_day(as_of, option="as_of")
    views = milestone_views(
        request.app.state.engine, registry, day, statuses=statuses, dimensions=wanted
    )
    return views, day


@router.get("/milestones", response_class=HTMLResponse, include_in_schema=False)
def milestones_page(request: Request) -> HTMLResponse:
    query = request.query_params
    wanted = [d for d in query.getlist("dimension") if d in dimensions.KEYS]
    statuses = [s for s in query.getlist("status") if s in STATUSES]
    as_of = query.get("as_of") or None
    views, day = _views(request, statuses, wanted, as_of)
    title = "Milestones by due date" + (f" ({', '.join(wanted)})" if wanted else "")
    return page(
        request,
        "milestones.html.j2",
        views=views,
        chart=timeline(views, day, title=title, label="as of" if as_of else "today"),
        day=day,
        wanted=wanted,
        statuses=statuses,
        as_of=as_of,
        status_colours=STATUS_COLOURS,
        all_statuses=STATUSES,
        query=_query(statuses, wanted, as_of),
    )


def _query(statuses: Sequence[str], wanted: Sequence[str], as_of: str | None) -> str:
    """The filters as a query string for the calendar and JSON links ("" when none)."""
    pairs = [("dimension", d) for d in wanted] + [("status", s) for s in statuses]
    pairs += [("as_of", as_of)] if as_of else []
    return "?" + urlencode(pairs) if pairs else ""


@router.get("/milestones/{milestone_id}", response_class=HTMLResponse, include_in_schema=False)
def milestone_page(request: Request, milestone_id: str) -> HTMLResponse:
    registry = load_milestones(request.app.state.config)
    try:
        milestone = find(registry, milestone_id)
    except UsageError:
        raise HTTPException(404, f"no milestone {milestone_id!r}") from None
    day = parse_day(request.query_params.get("as_of"), option="as_of")
    view = milestone_views(request.app.state.engine, [milestone], day)[0]
    return page(request, "milestone.html.j2", v=view, m=milestone, day=day)


@router.get("/milestones.ics", include_in_schema=False)
def milestones_calendar(request: Request) -> Response:
    from observatory.milestones.ics import calendar_of

    query = request.query_params
    wanted = [d for d in query.getlist("dimension") if d in dimensions.KEYS]
    statuses = [s for s in query.getlist("status") if s in STATUSES]
    views, _ = _views(request, statuses, wanted, query.get("as_of") or None)
    body = calendar_of(views, base_url=str(request.base_url).rstrip("/"))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="milestones.ics"'},
    )


class EvidenceOut(BaseModel):
    change_id: int
    detected_at: str | None
    matched: list[str]
    delivery: list[str]
    confirmed: bool


class MilestoneOut(BaseModel):
    id: str
    title: str
    owner: str
    due: str
    due_period: str | None
    basis: str
    link: str | None
    dimensions: list[str]
    status: StatusKey
    delivered_at: str | None
    evidence: list[EvidenceOut]


@router.get(
    "/api/milestones",
    response_model=list[MilestoneOut],
    tags=["api"],
    responses={400: {"model": ErrorOut, "description": "as_of is not a day (e.g. 2026-02-31)."}},
)
def api_milestones(
    request: Request,
    status: Annotated[
        list[StatusKey] | None, Query(description="Only this status (repeatable).")
    ] = None,
    dimension: Annotated[
        list[DimensionKey] | None, Query(description="Only this dimension (repeatable).")
    ] = None,
    as_of: Annotated[
        str | None, Query(description="Statuses as on this day (default today).", pattern=DAY)
    ] = None,
) -> list[dict[str, Any]]:
    """Milestones soonest due first, with their status on *as_of* and their evidence."""
    views, _ = _views(request, status or [], dimension or [], as_of)
    return [view_to_dict(v) for v in views]
