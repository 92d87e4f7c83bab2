"""Hostile servers: whatever one source's server sends, it is an error on that source only.

Each case is served by the loopback fixture server beside three good sources; `observatory check`
must poll every good source and exit 1 naming the hostile one.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from observatory.fetch import is_blocked_address
from tests.faults.conftest import cli, config_with
from tests.sitesrv import FixtureSite, Response

HTML = {"Content-Type": "text/html; charset=utf-8"}


def stacked_gzip(layers: int) -> Response:
    body = b"<html><body><main><p>deep inside</p></main></body></html>"
    for _ in range(layers):
        body = gzip.compress(body, mtime=0)
    return Response(200, body, {**HTML, "Content-Encoding": ", ".join(["gzip"] * layers)})


def check_all(tmp_path: Path, site: FixtureSite, route: str) -> dict[str, dict[str, object]]:
    config = config_with(tmp_path, site, f'{{id: hostile, url: "$B{route}"}}')
    result = cli(config, tmp_path / "obs.db", "check", "--format", "json")
    assert result.exit_code == 1, result.output  # the hostile source failed, nothing crashed
    assert "Traceback" not in result.output
    outcomes = {r["source"]: r for r in json.loads(result.stdout)}
    assert {outcomes[s]["outcome"] for s in ("good-page", "good-feed", "good-act")} == {"new"}
    assert outcomes["hostile"]["outcome"] == "error"
    return outcomes


def test_fifteen_hundred_stacked_gzip_layers_are_an_error_on_that_source(
    tmp_path: Path, site: FixtureSite
) -> None:
    site.routes["/bomb.html"] = lambda _h: stacked_gzip(1500)
    outcomes = check_all(tmp_path, site, "/bomb.html")
    assert "content codings stacked" in str(outcomes["hostile"]["error"])


def test_two_stacked_layers_are_still_read(tmp_path: Path, site: FixtureSite) -> None:
    site.routes["/twice.html"] = lambda _h: stacked_gzip(2)
    config = config_with(tmp_path, site, '{id: twice, url: "$B/twice.html"}')
    result = cli(config, tmp_path / "obs.db", "check", "twice", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["outcome"] == "new"


def test_a_server_that_never_finishes_is_bounded_by_the_poll_deadline(
    tmp_path: Path, site: FixtureSite
) -> None:
    site.routes["/slow.html"] = lambda _h: Response(200, b"<p>late</p>", HTML, delay=30)
    config = config_with(tmp_path, site, '{id: slow, url: "$B/slow.html"}')
    text = config.read_text().replace("timeout: 10", "timeout: 20, poll_timeout: 1")
    config.write_text(text)
    result = cli(config, tmp_path / "obs.db", "check", "--format", "json")
    assert result.exit_code == 1, result.output
    slow = {r["source"]: r for r in json.loads(result.stdout)}["slow"]
    assert slow["outcome"] == "error" and "poll_timeout" in slow["error"]


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("2002:7f00:0001::1", True),  # 6to4 of 127.0.0.1
        ("2002:0a00:0001::1", True),  # 6to4 of 10.0.0.1
        ("2002:c0a8:0101::1", True),  # 6to4 of 192.168.1.1
        ("2002:0808:0808::1", False),  # 6to4 of 8.8.8.8: public
        ("::ffff:169.254.169.254", True),  # mapped link-local (cloud metadata)
        ("2001:0:4136:e378:0:edcb:f5ff:fffe", True),  # Teredo, client 10.0.0.1
        ("2001:0:4136:e378:0:edcb:80ff:fffe", True),  # Teredo, client 127.0.0.1
        ("2001:0:4136:e378:0:edcb:f7f7:f7f7", True),  # Teredo of 8.8.8.8: 2001::/32 is not global
        ("2606:4700:4700::1111", False),
    ],
)
def test_ipv4_inside_ipv6_is_checked_by_the_guard(address: str, blocked: bool) -> None:
    assert is_blocked_address(address) is blocked
