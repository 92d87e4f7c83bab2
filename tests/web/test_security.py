"""Read-only, escaped, strict headers, http(s)-only links, optional token."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from bs4 import BeautifulSoup

from observatory.web import create_app
from observatory.web.security import CSP, token_matches

if TYPE_CHECKING:
    from tests.fixtures.web.world import World

pytest_plugins = ["tests.fixtures.web.world"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
@pytest.mark.parametrize("path", ["/", "/changes", "/api/changes", "/api/changes/1", "/nowhere"])
def test_non_get_methods_are_refused(http: httpx.Client, method: str, path: str) -> None:
    response = http.request(method, path, content=b"{}")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_security_headers_on_every_kind_of_response(http: httpx.Client, web_world: World) -> None:
    for url in (
        "/",
        "/api/changes",
        "/api/changes.csv",
        "/feed.atom",
        "/static/style.css",
        "/nowhere",
        "/changes?since=bad",
    ):
        response = http.get(url)
        assert response.headers["content-security-policy"] == CSP, url
        assert "script-src" not in CSP and "default-src 'none'" in CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"


def test_hostile_content_is_escaped_everywhere(http: httpx.Client, web_world: World) -> None:
    pages = [
        "/",
        "/changes",
        "/changes?q=sandbox",
        f"/changes/{web_world.hostile_id}",
        "/sources",
        "/sources/broken",
        "/sources/ema-ai",
    ]
    for url in pages:
        html = http.get(url).text
        page = BeautifulSoup(html, "lxml")
        assert page.find("script") is None, url
        assert page.find("img") is None, url
        assert "onerror" not in str([tag.attrs for tag in page.find_all(True)]), url
        assert "javascript:" not in " ".join(str(a.get("href")) for a in page.find_all("a")), url
    change = BeautifulSoup(http.get(f"/changes/{web_world.hostile_id}").text, "lxml")
    assert change.find("h1").text == web_world.HOSTILE_TITLE  # type: ignore[union-attr]
    assert web_world.HOSTILE_ADDED in change.text, "shown as text"
    assert change.select_one("span.unsafe").text == web_world.HOSTILE_URL  # type: ignore[union-attr]
    sources = BeautifulSoup(http.get("/sources").text, "lxml")
    assert web_world.HOSTILE_ERROR in sources.text
    searched = http.get("/changes?q=sandbox").text
    assert "&lt;script&gt;alert(" in searched and "<mark>Sandbox</mark>" in searched


def test_api_returns_hostile_text_as_data_with_json_type(
    http: httpx.Client, web_world: World
) -> None:
    response = http.get(f"/api/changes/{web_world.hostile_id}")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["title"] == web_world.HOSTILE_TITLE


def test_token_matches_in_constant_time_helper() -> None:
    assert token_matches("s3cret", "s3cret")
    assert not token_matches("s3cre", "s3cret") and not token_matches(None, "s3cret")
    assert not token_matches("", "s3cret")


def test_optional_token(web_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fixtures.web.world import serving

    monkeypatch.setenv("OBSERVATORY_API_TOKEN", "s3cret-token")
    app = create_app(web_world.config, web_world.engine)
    with serving(app) as base, httpx.Client(base_url=base) as client:
        for url in ("/", "/changes", "/api/changes", "/api/changes.csv", "/feed.atom", "/docs"):
            refused = client.get(url)
            assert refused.status_code == 401, url
            assert refused.headers["www-authenticate"].startswith("Bearer")
        assert (
            client.get("/api/changes", headers={"Authorization": "Bearer wrong"}).status_code == 401
        )
        assert client.get("/api/changes?token=wrong").status_code == 401
        ok = client.get("/api/changes", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and ok.json()["items"]
        by_param = client.get("/changes?token=s3cret-token")
        assert by_param.status_code == 200
        assert "HttpOnly" in by_param.headers["set-cookie"]
        # the browser follows the page's links with the cookie it was given
        assert client.get("/changes/1").status_code in (200, 404)
        assert client.get("/sources").status_code == 200
        assert client.get("/static/style.css").status_code == 200
        if any(getattr(r, "path", "") == "/healthz" for r in app.routes):
            client.cookies.clear()
            assert httpx.get(base + "/healthz").status_code != 401
