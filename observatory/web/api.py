"""The JSON and CSV API: changes (keyset pages, one change, every change as CSV) and sources.

Items are exactly what ``observatory changes --format json`` prints (``change_to_dict``); CSV rows
are the CLI's CSV rows (``changes.csv_row``), streamed in id batches, never one page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from observatory import dimensions
from observatory.store import changes
from observatory.store.changes import CSV_FIELDS, change_to_dict, csv_row
from observatory.store.sources import source_states, source_to_dict
from observatory.web import filters

router = APIRouter(prefix="/api", tags=["api"])

Dimension = Literal[dimensions.KEYS]  # type: ignore[valid-type]
Sources = Annotated[list[str] | None, Query(description="Only this source id (repeatable).")]
Dimensions = Annotated[
    list[Dimension] | None, Query(description="Only changes tagged with this key (repeatable).")
]
WHEN = (
    r"^\s*([0-9]{1,4}\s*[hdw]|[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?)?\s*$"
)
Since = Annotated[
    str | None,
    Query(
        description="Detected at or after: 2026-06-01, 2026-06-01T12:00Z, or 7d / 12h / 2w.",
        pattern=WHEN,
    ),
]
Until = Annotated[
    str | None, Query(description="Detected before (same forms as since).", pattern=WHEN)
]
Words = Annotated[
    str | None,
    Query(
        description='Full-text search: words (all must match), "a phrase", prefix*, a OR b.',
        max_length=500,
    ),
]


@dataclass
class ListFilters:
    """The filters every list takes (the same names as the web pages and the Atom feed)."""

    source: Sources = None
    dimension: Dimensions = None
    since: Since = None
    until: Until = None
    q: Words = None

    def params(self) -> filters.Params:
        return filters.from_values(self.source, self.dimension, self.since, self.until, self.q)


Filters = Annotated[ListFilters, Depends()]


class ErrorOut(BaseModel):
    detail: str


class ChangeOut(BaseModel):
    id: int
    source: str
    url: str
    detected_at: str | None
    kind: str
    location: str
    title: str
    added: list[str]
    removed: list[str]
    diff: list[list[str]] = Field(description='Word-level operations: ["=" | "-" | "+", text].')
    dimensions: list[str]
    evidence: dict[str, list[str]]
    about_ai: bool | None = Field(
        None, description="Passed the AI gate (a change about AI under no dimension is unfiled)."
    )
    tagged_with: str | None = Field(
        None, description='The taxonomy version that tagged it ("taxonomy.yaml@3f2a9c1b7d4e").'
    )
    snapshot_id: int
    previous_snapshot_id: int | None


class ChangePage(BaseModel):
    items: list[ChangeOut]
    next: str | None = Field(description="URL of the next (older) page, null on the last page.")


class SourceOut(BaseModel):
    id: str
    name: str
    url: str
    kind: str
    enabled: bool
    status: str
    last_checked_at: str | None
    last_change_at: str | None
    last_error: str | None
    error_since: str | None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A parameter could not be read (e.g. a bad date)."}
}


@router.get("/changes", response_model=ChangePage, responses=ERRORS)
def list_changes(
    request: Request,
    wanted: Filters,
    cursor: Annotated[
        int | None, Query(ge=1, le=2**62, description="Changes older than this id (from next).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=filters.MAX_LIMIT)] = filters.DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Changes, newest first, one page at a time; follow ``next`` for older ones."""
    params = wanted.params()
    result = changes.page_of_changes(
        request.app.state.engine,
        params.to_filter(),
        cursor=cursor,
        limit=limit,
        fts=request.app.state.fts,
    )
    extra: dict[str, Any] = {"limit": limit if limit != filters.DEFAULT_LIMIT else None}
    next_url = (
        "/api/changes" + params.query(cursor=result.next_cursor, **extra)
        if result.next_cursor
        else None
    )
    return {"items": [change_to_dict(r) for r in result.rows], "next": next_url}


@router.get(
    "/changes.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "Every matching change."},
        **ERRORS,
    },
)
def changes_csv(request: Request, wanted: Filters) -> StreamingResponse:
    """Every matching change as CSV (the CLI's columns), newest first, streamed."""
    flt = wanted.params().to_filter()
    rows = changes.iter_changes(request.app.state.engine, flt, fts=request.app.state.fts)
    return StreamingResponse(
        csv_lines(change_to_dict(r) for r in rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="changes.csv"'},
    )


def csv_lines(changes: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for count, change in enumerate(changes, 1):
        writer.writerow(csv_row(change))
        if count % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@router.get(
    "/changes/{change_id}",
    response_model=ChangeOut,
    responses={404: {"model": ErrorOut, "description": "No such change."}},
)
def get_change(request: Request, change_id: Annotated[int, Path(ge=1, le=2**62)]) -> dict[str, Any]:
    """One change, shaped as in the list."""
    row = changes.get_change(request.app.state.engine, change_id)
    if row is None:
        raise HTTPException(404, f"no change {change_id}")
    return change_to_dict(row)


@router.get("/sources", response_model=list[SourceOut])
def list_sources(request: Request) -> list[dict[str, Any]]:
    """Each configured source with its status, last check, last change and last error."""
    config = request.app.state.config
    enabled = {s.id: s.enabled for s in config.sources}
    return [
        source_to_dict(s, enabled=enabled.get(s.id, True))
        for s in source_states(request.app.state.engine, config)
    ]
