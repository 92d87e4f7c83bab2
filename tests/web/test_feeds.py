"""The Atom feed: valid for feed readers (feedparser, no bozo), filtered like /changes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import feedparser
import httpx

from observatory.web.feeds import xml_text

if TYPE_CHECKING:
    from tests.fixtures.web.world import World

pytest_plugins = ["tests.fixtures.web.world"]


def parse(http: httpx.Client, url: str) -> feedparser.FeedParserDict:
    response = http.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_feed_of_every_change(http: httpx.Client, web_world: World) -> None:
    feed = parse(http, "/feed.atom")
    assert len(feed.entries) == 9
    changes = http.get("/api/changes").json()["items"]
    # no public_url in this world: ids are URNs, never built from the request's Host header
    assert [e.id for e in feed.entries] == [f"urn:observatory:change:{c['id']}" for c in changes]
    wanted = next(
        c["id"] for c in changes if (c["source"], c["location"]) == ("ema-ai", "Workplan")
    )
    workplan = next(e for e in feed.entries if e.id.endswith(f":{wanted}"))
    assert "<ins>" in workplan.summary and "regulatory sandbox pilot" in workplan.summary
    assert {t.term for t in workplan.tags} >= {"experimentation"}
    assert any(link.rel == "related" for link in workplan.links)


def test_feed_filters(http: httpx.Client, web_world: World) -> None:
    feed = parse(http, "/feed.atom?dimension=experimentation&source=eurlex-ai-act")
    assert len(feed.entries) == 1 and "Article 57" in feed.entries[0].summary
    assert (
        parse(http, "/feed.atom?q=%22scientific+advice%22")
        .entries[0]
        .title.startswith("reflection-paper")
    )
    assert parse(http, "/feed.atom?until=2000-01-01").entries == []
    assert http.get("/feed.atom?since=garbage").status_code == 400


def test_hostile_entry_stays_text(http: httpx.Client, web_world: World) -> None:
    raw = http.get("/feed.atom?dimension=experimentation").text
    root = ET.fromstring(raw.encode())
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    feed = parse(http, "/feed.atom?dimension=experimentation")
    hostile = next(e for e in feed.entries if e.id.endswith(f":{web_world.hostile_id}"))
    assert hostile.title == f"ema-ai: {web_world.HOSTILE_TITLE}"
    assert all(link.href != web_world.HOSTILE_URL for link in hostile.links)
    assert "&lt;img" in hostile.summary, "the scraped tag is text inside the entry's HTML"


def test_xml_text_drops_characters_xml_forbids() -> None:
    assert xml_text("a\x00b\x0bc\ufffed\U0001f600") == "abcd\U0001f600"
