"""The scenario's delivered milestone in every output: the .ics feed (parsed back with
icalendar, dates round-tripped), /api/milestones, /milestones and /milestones/{id} over a real
uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import icalendar
import pytest

from observatory.config import load_config
from observatory.store.db import open_db
from observatory.web import create_app
from tests.milestones.world import NEW_ITEM, Scenario, change_id, poll_v1_v2, serving
from tests.sitesrv import FixtureSite


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    site = FixtureSite().start()
    try:
        return poll_v1_v2(tmp_path_factory.mktemp("outputs"), site)
    finally:
        site.stop()


@pytest.fixture(scope="module")
def http(scenario: Scenario) -> Iterator[httpx.Client]:
    engine = open_db(str(scenario.db))
    app = create_app(load_config(scenario.config), engine)
    with serving(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client
    engine.dispose()


def events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["uid"]).split("@")[0]: e for e in calendar.walk("VEVENT")}


def test_the_ics_feed_parses_and_round_trips_the_due_dates(scenario: Scenario) -> None:
    shown = scenario.json("milestones")
    result = scenario.run("milestones", "--format", "ics")
    assert result.exit_code == 0
    parsed = events(result.stdout_bytes)
    assert set(parsed) == {m["id"] for m in shown}
    for m in shown:
        event = parsed[m["id"]]
        start = event.decoded("dtstart")
        assert type(start) is date  # an all-day event, not a moment
        assert start.isoformat() == m["due"]
        assert event.decoded("dtend") == start + timedelta(days=1)
        assert str(event["summary"]) == m["title"]
        assert [str(c) for c in event["categories"].cats] == m["dimensions"]
    period = parsed["ai-observatory-setup"]
    assert period.decoded("dtstart") == date(2024, 12, 31)
    assert "end of 2024-H2" in str(period["description"])


def test_the_web_feed_links_each_event_to_its_page(http: httpx.Client) -> None:
    response = http.get("/milestones.ics", params={"dimension": "guidance"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    parsed = events(response.content)
    gpai = parsed["gpai-guidelines"]
    assert str(gpai["url"]) == str(http.base_url).rstrip("/") + "/milestones/gpai-guidelines"
    assert "delivered on" in str(gpai["description"])
    assert "llm-personal-assistants-deployed" not in parsed  # tools only


def test_the_api_shows_the_delivered_milestone_with_its_evidence(
    http: httpx.Client, scenario: Scenario
) -> None:
    item = change_id(scenario, NEW_ITEM)
    rows = http.get("/api/milestones", params={"status": "delivered", "dimension": "guidance"})
    assert rows.status_code == 200
    gpai = next(m for m in rows.json() if m["id"] == "gpai-guidelines")
    assert gpai == next(m for m in scenario.json("milestones") if m["id"] == "gpai-guidelines")
    assert gpai["evidence"][0]["change_id"] == item
    assert {m["status"] for m in rows.json()} == {"delivered"}
    assert http.get("/api/milestones", params={"status": "late"}).status_code == 422
    assert http.get("/api/milestones", params={"as_of": "2026-02-31"}).status_code == 400


def test_the_pages_show_status_basis_and_evidence_linked_to_the_change(
    http: httpx.Client, scenario: Scenario
) -> None:
    item = change_id(scenario, NEW_ITEM)
    page = http.get("/milestones/gpai-guidelines").text
    assert f'href="/changes/{item}"' in page
    assert "delivered" in page and "AI Act, Article 56" in page
    shipped = http.get("/milestones/gpai-codes-of-practice-ready").text
    assert (
        'href="https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=OJ:L_202401689#art_56"'
        in shipped
    )
    assert "Codes of practice shall be ready at the latest by 2 May 2025." in shipped
    assert http.get("/milestones/no-such").status_code == 404
    listing = http.get(
        "/milestones", params={"dimension": "experimentation", "as_of": "2026-07-20"}
    )
    assert listing.status_code == 200
    assert "<svg" in listing.text and 'class="today"' in listing.text
    assert "national-ai-regulatory-sandboxes-operational" in listing.text
    assert "gpai-guidelines" not in listing.text  # guidance only
