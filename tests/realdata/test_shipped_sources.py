"""The shipped sources.yaml works on the real markup of the sites it watches.

Each shipped source whose site has a capture in ../shared/corpus/pages is extracted from that
capture with the source's own kind, select and ignore: the page's real text must be there and
its furniture must not. EUR-Lex's bot challenge (a real captured response) is served over
loopback and must be reported as such by ``observatory check``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from observatory.cli.main import main
from observatory.config import load_config
from observatory.extract import extract
from tests.realdata.pairs import CORPUS
from tests.sitesrv import FixtureSite, Response

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir() and not os.environ.get("CI"), reason="../shared/corpus not present"
)
SHIPPED = Path(__file__).resolve().parents[2] / "sources.yaml"
PAGES = CORPUS / "pages"
OJ = "eur-lex.europa.eu/oj-act_AI-Act_L_202401689__"
WAF = (
    PAGES / "eur-lex.europa.eu" / "waf-challenge_202-empty-response_2026-09-11__paytransparency.txt"
)

# host -> (captures, text that must be watched, furniture that must not)
CAPTURED = {
    "www.ema.europa.eu": (
        [
            "ema.europa.eu/general-page_covid19-guidance-evaluation-ma__ema_nlp.html",
            "ema.europa.eu/general-page_rmp-post-authorisation-qa__ema_nlp.html",
            "ema.europa.eu/general-page_type-ia-variations-qa__ema_nlp.html",
        ],
        [],  # per capture: EMA_TEXT
        ["scheduled maintenance", "Share this page", "Domenico Scarlattilaan", "Herbal products"],
    ),
    "publications.europa.eu": (
        [OJ + "v1_2024-09_AI-Maker-Space.html", OJ + "v2_2026-06_vchandan27.html"],
        ["Article 113", "laying down harmonised rules on artificial intelligence"],
        ["ruxitagentjs", "Dynatrace"],
    ),
    "www.europarl.europa.eu": (
        ["europarl.europa.eu/thinktank/rss_thinktank-documents_2026-09-15__brubru.xml"],
        [],
        [],
    ),
}
# The text each EMA capture must keep (from its body, its Q&A tail included).
EMA_TEXT = {
    "covid19": "Applying for rolling review is a three-stage process",
    "rmp-post": "When the MAH / Applicant for a generic medicinal product submits an RMP",
    "type-ia": "Type IA variations will be handled by a dedicated team of Procedure Managers",
}


def shipped_with_captures() -> list[tuple[str, str]]:
    config = load_config(SHIPPED)
    return [
        (source.id, capture)
        for source in config.sources
        for capture in CAPTURED.get(urlsplit(source.url).hostname or "", ([], [], []))[0]
        if (source.effective_kind == "feed") == capture.endswith(".xml")
        and source.effective_kind in ("page", "feed")
    ]


def test_the_packaged_copy_is_the_shipped_file():
    packaged = SHIPPED.parent / "observatory" / "sources.yaml"
    assert packaged.read_text() == SHIPPED.read_text()


def test_every_site_with_a_capture_is_checked():
    checked = {source_id for source_id, _ in shipped_with_captures()}
    assert {"ema-ai", "ema-ai-reflection-paper", "ema-ai-workplan-news"} <= checked
    assert {"eurlex-ai-act", "ep-think-tank"} <= checked


@pytest.mark.parametrize(("source_id", "capture"), shipped_with_captures())
def test_a_shipped_source_reads_the_real_page(source_id, capture):
    source = load_config(SHIPPED).source(source_id)
    body = (PAGES / capture).read_bytes()
    doc = extract(
        source.effective_kind,
        body,
        url=source.url,
        select=source.select,
        ignore=tuple(source.ignore),
        items=source.items,
    )
    text = doc.as_text()
    _, must, must_not = CAPTURED[urlsplit(source.url).hostname or ""]
    if source.effective_kind == "feed":
        assert len(doc.items) >= 10 and all(i.title and i.link for i in doc.items)
        return
    for words in must:
        assert words in text or words in doc.title, f"{source_id} on {capture}: no {words!r}"
    for furniture in must_not:
        assert furniture not in text, f"{source_id} on {capture}: furniture {furniture!r}"
    if doc.meta["extractor"] == "page":
        assert all(b.location for b in doc.blocks)  # a heading, a landmark or "Page"
    for key, words in EMA_TEXT.items():
        assert key not in capture or words in text, f"{source_id} on {capture}: no {words!r}"
    if "eur-lex" in capture:
        assert doc.meta["extractor"] == "eurlex"
        assert any(b.location == "Article 5 > 1 > (a)" for b in doc.blocks)


def test_eurlex_bot_challenge_is_reported_as_such(tmp_path: Path):
    """The captured answer of EUR-Lex to a script: HTTP 202, empty body, a WAF challenge."""
    status_line, *lines = WAF.read_text().splitlines()
    headers = dict(line.split(": ", 1) for line in lines if ": " in line)
    for hop in ("content-length", "connection", "date"):
        headers.pop(hop, None)
    status = int(status_line.split()[1])
    site = FixtureSite().start()
    site.routes["/act"] = lambda handler: Response(status, b"", headers)
    try:
        config = tmp_path / "sources.yaml"
        config.write_text(
            f'sources: [{{id: act, url: "{site.url("/act")}"}}]\n'
            "settings: {per_host_delay: 0, retries: 1, retry_backoff: 0.01}\n"
        )
        args = ["--config", str(config), "--db", str(tmp_path / "o.db"), "check", "--format"]
        result = CliRunner().invoke(main, [*args, "json"])
    finally:
        site.stop()
    (row,) = json.loads(result.stdout)
    assert row["outcome"] == "error"
    assert "blocked by the site's bot protection" in row["error"]
    assert "202" in row["error"]
    assert result.exit_code == 1
