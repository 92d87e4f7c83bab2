"""The JSON and CSV API over the end-to-end database: filters, search, keyset pages, CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

import httpx

from observatory.store import changes
from observatory.store.changes import CSV_FIELDS, ChangeFilter

if TYPE_CHECKING:
    from tests.fixtures.web.world import World

pytest_plugins = ["tests.fixtures.web.world"]

PIPELINE_CHANGES = {
    ("ema-ai", "Workplan"),
    ("ema-ai", "Large language models"),
    ("ema-news", "Items"),
    ("ai-office-feed", "Items"),
    ("eurlex-ai-act", "Article 4"),
    ("eurlex-ai-act", "Article 57 > 9 > (b)"),
    ("reflection-paper", "Page 2"),
}


def items(http: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = http.get("/api/changes", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    return list(body["items"])


def where(changes: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(c["source"], c["location"]) for c in changes}


def test_all_changes_newest_first(http: httpx.Client, web_world: World) -> None:
    everything = items(http)
    assert where(everything) >= PIPELINE_CHANGES
    assert len(everything) == len(PIPELINE_CHANGES) + 2  # the hostile and the old row
    # JSON shows whole seconds; the order is by the stored time (microseconds), then id
    stored = {r.id: r.detected_at for r in changes.iter_changes(web_world.engine, ChangeFilter())}
    order = [(stored[c["id"]], c["id"]) for c in everything]
    assert order == sorted(order, reverse=True), "newest detection first, then newest id"
    assert everything[-1]["id"] == web_world.old_id


def test_items_are_the_cli_json_shape(http: httpx.Client, web_world: World) -> None:
    from observatory.store.changes import ChangeFilter, change_to_dict, iter_changes

    expected = [change_to_dict(r) for r in iter_changes(web_world.engine, ChangeFilter())]
    by_id = {c["id"]: c for c in json.loads(json.dumps(expected))}
    assert {c["id"]: c for c in items(http)} == by_id
    one = http.get(f"/api/changes/{expected[0]['id']}").json()
    assert one == json.loads(json.dumps(expected[0]))


def test_filters(http: httpx.Client, web_world: World) -> None:
    assert where(items(http, source="eurlex-ai-act")) == {
        ("eurlex-ai-act", "Article 4"),
        ("eurlex-ai-act", "Article 57 > 9 > (b)"),
    }
    both = items(http, source=["ema-news", "ai-office-feed"])
    assert where(both) == {("ema-news", "Items"), ("ai-office-feed", "Items")}
    experimentation = items(http, dimension="experimentation")
    assert experimentation and all("experimentation" in c["dimensions"] for c in experimentation)
    assert ("eurlex-ai-act", "Article 57 > 9 > (b)") in where(experimentation)
    assert web_world.hostile_id in {c["id"] for c in experimentation}
    tools = {c["id"] for c in items(http, dimension="tools")}
    assert web_world.old_id in tools
    old = items(http, until="2025-01-01")
    assert [c["id"] for c in old] == [web_world.old_id]
    assert [c["title"] for c in old] == [web_world.OLD_TITLE]
    recent = items(http, since="2024-06-01")
    assert web_world.old_id not in {c["id"] for c in recent} and len(recent) == 8
    window = items(http, since="2024-01-01", until="2024-02-01", dimension="tools")
    assert [c["id"] for c in window] == [web_world.old_id]
    assert items(http, source="eurlex-ai-act", dimension="tools") == []
    # the AI Act's own text is guidance (../shared/TAGGING.md), whatever its subject adds
    assert where(items(http, source="eurlex-ai-act", dimension="guidance")) == {
        ("eurlex-ai-act", "Article 4"),
        ("eurlex-ai-act", "Article 57 > 9 > (b)"),
    }


def test_full_text_search(http: httpx.Client, web_world: World) -> None:
    assert where(items(http, q="lessons learnt")) == {("eurlex-ai-act", "Article 57 > 9 > (b)")}
    assert where(items(http, q='"scientific advice"')) == {("reflection-paper", "Page 2")}
    sandbox = {c["id"] for c in items(http, q="sandbox")}
    by_where = {(c["source"], c["location"]): c["id"] for c in items(http)}
    assert by_where[("ema-ai", "Workplan")] in sandbox
    assert by_where[("eurlex-ai-act", "Article 57 > 9 > (b)")] in sandbox
    assert web_world.hostile_id in sandbox
    assert by_where[("ema-news", "Items")] not in sandbox
    assert {c["id"] for c in items(http, q="sandb*")} == sandbox
    either = items(http, q="literacy OR assessors")
    assert where(either) == {("eurlex-ai-act", "Article 4"), ("ema-ai", "Large language models")}
    assert where(items(http, q="sandbox", source="ema-ai", dimension="experimentation")) >= {
        ("ema-ai", "Workplan")
    }
    assert items(http, q="zzzunknownword") == []
    # FTS5 syntax in the words is taken literally, never as an operator or an error
    for odd in ('"unbalanced', "NEAR(a b)", "title:x", "a AND", "(", "*", "-x", "^"):
        assert http.get("/api/changes", params={"q": odd}).status_code == 200, odd


def test_keyset_pages_walk_everything_once(http: httpx.Client) -> None:
    seen: list[int] = []
    url: str | None = "/api/changes?limit=2&dimension=experimentation&dimension=collaboration"
    pages = 0
    while url:
        body = http.get(url).json()
        assert len(body["items"]) <= 2
        seen += [c["id"] for c in body["items"]]
        url = body["next"]
        pages += 1
    expected = [c["id"] for c in items(http, dimension=["experimentation", "collaboration"])]
    assert seen == expected and pages >= 2


def test_csv_round_trips_every_matching_change(http: httpx.Client, web_world: World) -> None:
    response = http.get("/api/changes.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0].keys()) == list(CSV_FIELDS)
    expected = items(http)
    assert [int(r["id"]) for r in rows] == [c["id"] for c in expected]
    for row, change in zip(rows, expected, strict=True):
        assert row["title"] == change["title"] and row["url"] == change["url"]
        assert row["location"] == change["location"] and row["kind"] == change["kind"]
        assert json.loads(row["added"]) == change["added"]
        assert json.loads(row["removed"]) == change["removed"]
        assert json.loads(row["dimensions"]) == change["dimensions"]
        assert json.loads(row["evidence"]) == change["evidence"]
        assert json.loads(row["diff"]) == change["diff"]
    assert any(r["title"] == web_world.HOSTILE_TITLE for r in rows), (
        "kept verbatim: CSV is data, not HTML"
    )
    filtered = list(csv.DictReader(io.StringIO(http.get("/api/changes.csv?q=sandbox").text)))
    assert {int(r["id"]) for r in filtered} == {c["id"] for c in items(http, q="sandbox")}


def test_csv_streams_more_than_one_batch(web_world: World) -> None:
    from observatory.store.changes import ChangeFilter

    everything = [r.id for r in changes.iter_changes(web_world.engine, ChangeFilter(), batch=2)]
    assert everything == [r.id for r in changes.iter_changes(web_world.engine, ChangeFilter())]
    assert len(set(everything)) == len(everything) == 9


def test_sources(http: httpx.Client) -> None:
    listed = {s["id"]: s for s in http.get("/api/sources").json()}
    assert list(listed) == [
        "ema-ai",
        "ema-news",
        "ai-office-feed",
        "eurlex-ai-act",
        "reflection-paper",
        "broken",
    ]
    assert listed["broken"]["status"] == "error" and listed["ema-ai"]["status"] == "ok"


def test_bad_parameters_are_client_errors(http: httpx.Client) -> None:
    assert http.get("/api/changes?since=yesterday-ish").status_code == 422  # the pattern
    bad_date = http.get("/api/changes?since=2026-02-31")  # fits the pattern, not a date
    assert bad_date.status_code == 400 and "since" in bad_date.json()["detail"]
    assert http.get("/api/changes?dimension=nope").status_code == 422
    assert http.get("/api/changes?until=707303w").status_code == 422  # found by schemathesis
    assert http.get("/changes?until=707303w").status_code == 400
    assert http.get("/feed.atom?since=99999999w").status_code == 400
    assert http.get("/api/changes?limit=0").status_code == 422
    assert http.get("/api/changes?cursor=-1").status_code == 422
    assert http.get("/api/changes/999999").status_code == 404
    assert http.get(f"/api/changes/{2**70}").status_code == 422
    assert http.get("/api/changes/abc").status_code == 422


def test_openapi_describes_the_api(http: httpx.Client) -> None:
    schema = http.get("/openapi.json").json()
    assert {"/api/changes", "/api/changes/{change_id}", "/api/sources", "/api/changes.csv"} <= set(
        schema["paths"]
    )
    names = {p["name"] for p in schema["paths"]["/api/changes"]["get"]["parameters"]}
    assert {"source", "dimension", "since", "until", "q", "cursor", "limit"} <= names
    docs = http.get("/docs")
    assert docs.status_code == 200 and "/api/changes" in docs.text and "<script" not in docs.text
