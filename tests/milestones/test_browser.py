"""The milestone timeline in a real headless Chromium (scripts off, as the CSP demands): it
renders without a console error, links each mark to its milestone, and is kept as a screenshot
under tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from observatory.config import load_config
from observatory.store.db import open_db
from observatory.web import create_app
from tests.milestones.world import poll_v1_v2, serving
from tests.sitesrv import FixtureSite
from tests.web.test_browser import ARTIFACTS, browser  # noqa: F401 (the Chromium fixture)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = FixtureSite().start()
    try:
        scenario = poll_v1_v2(tmp_path_factory.mktemp("timeline"), site)
    finally:
        site.stop()
    engine = open_db(str(scenario.db))
    with serving(create_app(load_config(scenario.config), engine)) as url:
        yield url
    engine.dispose()


@pytest.fixture
def tab(base: str, browser: Any) -> Iterator[Any]:  # noqa: F811  (the site first: no loop yet)
    context = browser.new_context(base_url=base, java_script_enabled=False)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    yield page
    context.close()
    assert problems == [], problems


def test_the_timeline_renders_and_is_kept_as_a_screenshot(tab: Any) -> None:
    tab.set_viewport_size({"width": 1280, "height": 900})
    tab.goto("/milestones")
    assert tab.title() == "Milestones · Observatory"
    marks = tab.locator("svg.timeline a.mark")
    rows = tab.locator("table.milestones tbody tr")
    assert marks.count() == rows.count() == 80
    today = datetime.now(UTC).date().isoformat()
    assert tab.locator("svg.timeline line.today title").text_content() == today
    delivered = tab.locator("svg.timeline a.status-delivered")
    assert delivered.count() == tab.locator("table.milestones tr.status-delivered").count() > 0
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "web-milestones.png"), full_page=True)


def test_filter_by_dimension_and_open_a_milestone_with_its_evidence(tab: Any) -> None:
    tab.goto("/milestones")
    tab.select_option("select[name=dimension]", "experimentation")
    tab.click("form.filters button[type=submit]")
    tab.wait_for_url("**/milestones?**dimension=experimentation**")
    titles = tab.locator("table.milestones tbody td:nth-child(3) > a").all_inner_texts()
    assert titles and all(t for t in titles)
    assert tab.locator("svg.timeline a.mark").count() == len(titles)

    tab.goto("/milestones/gpai-guidelines")
    assert tab.locator("h1").inner_text() == "Guidelines for providers of general-purpose AI models"
    assert "delivered" in tab.locator("dl.facts").inner_text()
    tab.click("table.evidence a")
    tab.wait_for_url("**/changes/*")
    assert "general-purpose AI models" in tab.locator("h1").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "web-milestone-evidence.png"), full_page=True)


def test_a_mark_links_to_its_milestone(tab: Any) -> None:
    tab.goto("/milestones")
    href = tab.locator("svg.timeline a.mark").first.get_attribute("href")
    assert href and href.startswith("/milestones/")
    tab.goto(href)
    assert tab.locator("table.evidence").count() == 1
    Path(ARTIFACTS).mkdir(exist_ok=True)
