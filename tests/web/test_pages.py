"""The HTML pages over the end-to-end database: every page answers and shows the right things."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from bs4 import BeautifulSoup

if TYPE_CHECKING:
    from tests.fixtures.web.world import World

pytest_plugins = ["tests.fixtures.web.world"]


def soup(http: httpx.Client, url: str, status: int = 200) -> BeautifulSoup:
    response = http.get(url)
    assert response.status_code == status, (url, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "lxml")


def change_id(http: httpx.Client, source: str, location: str) -> int:
    for change in http.get("/api/changes", params={"limit": 500}).json()["items"]:
        if (change["source"], change["location"]) == (source, location):
            return int(change["id"])
    raise AssertionError((source, location))


def listed_ids(page: BeautifulSoup) -> list[int]:
    links = page.select("table.changes a.title")
    return [int(str(a["href"]).rsplit("/", 1)[1]) for a in links]


def test_every_page_answers(http: httpx.Client, web_world: World) -> None:
    first = http.get("/api/changes").json()["items"][0]
    for url in (
        "/",
        "/changes",
        "/changes?dimension=guidance&source=ema-news&since=30d",
        f"/changes/{first['id']}",
        "/sources",
        "/sources/ema-ai",
        "/sources/broken",
        f"/snapshots/{first['snapshot_id']}",
        "/docs",
    ):
        page = soup(http, url)
        assert page.title and "Observatory" in page.title.text
    style = http.get("/static/style.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")


def test_dashboard(http: httpx.Client, web_world: World) -> None:
    page = soup(http, "/")
    chart = page.select_one("figure svg")
    assert chart is not None and chart.select("rect title"), "bars with tooltips"
    failing = page.select_one("section.failing")
    assert failing is not None and "broken" in failing.text
    assert len(listed_ids(page)) == 9  # the latest changes (all of them here)


def test_history_filters_and_search_highlights(http: httpx.Client, web_world: World) -> None:
    article57 = change_id(http, "eurlex-ai-act", "Article 57 > 9 > (b)")
    page = soup(http, "/changes?q=lessons+learnt")
    assert listed_ids(page) == [article57]
    marks = [m.text.lower() for m in page.select("mark")]
    assert "lessons" in marks and "learnt" in marks
    assert page.select_one("input[name=q]")["value"] == "lessons learnt"  # type: ignore[index]
    page = soup(http, "/changes?source=eurlex-ai-act")
    assert sorted(listed_ids(page)) == sorted(
        [article57, change_id(http, "eurlex-ai-act", "Article 4")]
    )
    page = soup(http, "/changes?until=2025-01-01")
    assert listed_ids(page) == [web_world.old_id]
    page = soup(http, "/changes?dimension=experimentation")
    assert article57 in listed_ids(page)
    assert soup(http, "/changes?since=not-a-date", status=400).select_one("p.error")


def test_history_pages(http: httpx.Client) -> None:
    page = soup(http, "/changes?limit=4")
    first = listed_ids(page)
    assert len(first) == 4
    older = page.select_one("a[rel=next]")
    assert older is not None
    second = listed_ids(soup(http, str(older["href"])))
    assert second and not set(first) & set(second)
    everything = [c["id"] for c in http.get("/api/changes").json()["items"]]
    assert first + second == everything[: len(first) + len(second)]


def test_change_page(http: httpx.Client, web_world: World) -> None:
    workplan = http.get(f"/api/changes/{change_id(http, 'ema-ai', 'Workplan')}").json()
    page = soup(http, f"/changes/{workplan['id']}")
    diff = page.select_one("p.diff")
    assert diff is not None
    inserted = " ".join(i.text for i in diff.select("ins"))
    assert "regulatory sandbox pilot" in inserted
    assert diff.select("del"), "the replaced words are marked as deleted"
    sides = page.select("section.sides .block")
    assert [s.text for s in sides] == workplan["removed"] + workplan["added"]
    assert page.select(".context .neighbour"), "the block is shown among its neighbours"
    evidence = page.select_one("ul.evidence")
    assert evidence is not None and "sandbox" in evidence.text.lower()
    tagged_with = page.select_one("p.tagged-with code")  # the taxonomy version that tagged it
    assert tagged_with is not None and tagged_with.text.startswith("taxonomy.yaml@")
    hrefs = {str(a["href"]) for a in page.select("a")}
    assert f"/snapshots/{workplan['snapshot_id']}" in hrefs
    assert f"/snapshots/{workplan['previous_snapshot_id']}" in hrefs
    assert workplan["url"] in hrefs
    added = soup(http, f"/changes/{change_id(http, 'ema-ai', 'Large language models')}")
    assert "the block was added" in added.text
    assert http.get("/changes/999999").status_code == 404


def test_sources_pages(http: httpx.Client, web_world: World) -> None:
    page = soup(http, "/sources")
    rows = {r.select_one("a").text: r for r in page.select("table.sources tbody tr")}  # type: ignore[union-attr]
    assert "error" in rows["broken"].text
    assert soup(http, "/sources/nope", status=404)
    one = soup(http, "/sources/eurlex-ai-act")
    assert one.select_one("figure svg") is not None
    assert len(listed_ids(one)) == 2
    snapshots = [str(a["href"]) for a in one.select("ul.snapshots a")]
    assert len(snapshots) == 2  # v1 and v2
    checks = one.select("table.checks tbody tr")
    assert {r.select("td")[1].text for r in checks} >= {"new", "changed"}


def test_snapshot_is_text_never_html(http: httpx.Client) -> None:
    sources = http.get("/api/changes", params={"source": "eurlex-ai-act"}).json()["items"]
    snapshot_id = sources[0]["snapshot_id"]
    page = soup(http, f"/snapshots/{snapshot_id}")
    text = page.select_one("pre.snapshot")
    assert text is not None and "Article 57" in text.text and "lessons learnt" in text.text
    assert not text.find_all(True), "the stored document is shown as text, no markup"
    plain = http.get(f"/snapshots/{snapshot_id}.txt")
    assert plain.headers["content-type"].startswith("text/plain")
    assert plain.text == text.text
    assert http.get("/snapshots/999999").status_code == 404


def test_head_answers_like_get(http: httpx.Client) -> None:
    response = http.head("/changes")
    assert response.status_code == 200 and response.content == b""
