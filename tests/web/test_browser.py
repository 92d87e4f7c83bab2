"""The pages in a real headless Chromium (Playwright driving the system's /usr/bin/chromium).

Filter, search, open a change, and keep screenshots of the dashboard and of a change page under
tests/artifacts/; the browser must report no console error (a CSP violation is one). Without
Chromium or Playwright these tests skip, or fail when the environment variable CI is set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.fixtures.web.world import World

pytest_plugins = ["tests.fixtures.web.world"]
# the engines differ below the web layer, which test_api/test_pages cover on both: once is enough
pytestmark = pytest.mark.parametrize("web_world", ["sqlite"], indirect=True)

CHROMIUM = os.environ.get("OBSERVATORY_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, web_base: str) -> Iterator[Any]:
    context = browser.new_context(base_url=web_base, java_script_enabled=False)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    yield tab
    context.close()
    assert problems == [], problems


def test_dashboard_renders_and_is_kept_as_a_screenshot(page: Any) -> None:
    page.goto("/")
    assert page.title() == "At a glance · Observatory"
    assert page.locator("figure svg rect").count() > 0
    assert page.locator("section.failing").inner_text().find("broken") >= 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-dashboard.png"), full_page=True)


def test_filter_search_and_open_a_change(page: Any, web_world: World) -> None:
    page.goto("/changes")
    page.select_option("select[name=source]", "eurlex-ai-act")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/changes?**source=eurlex-ai-act**")
    locations = page.locator("table.changes td.where").all_inner_texts()
    assert sorted(locations) == ["Article 4", "Article 57 > 9 > (b)"]

    page.goto("/changes")
    page.fill("input[name=q]", "lessons learnt")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=lessons+learnt**")
    assert page.locator("table.changes tbody tr").count() == 1
    assert page.locator("mark").first.inner_text().lower() == "lessons"

    page.click("table.changes a.title")
    page.wait_for_url("**/changes/*")
    assert "lessons learnt" in page.locator("p.diff ins").all_inner_texts()[0]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-change.png"), full_page=True)


def test_hostile_change_runs_nothing(page: Any, web_world: World) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"/changes/{web_world.hostile_id}")
    assert page.locator("h1").inner_text() == web_world.HOSTILE_TITLE
    assert page.locator("script").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    assert dialogs == []
