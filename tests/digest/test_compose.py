"""Digest composition and rendering, on rows written to a real temporary SQLite file."""

from __future__ import annotations

import email.policy
import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from observatory.config import Config, load_config, parse_config
from observatory.digest.compose import compose_digest
from observatory.digest.outbox import store_digest
from observatory.digest.owed import prepare_digests
from observatory.digest.render import condense, make_environment, render_digest
from observatory.errors import ConfigError
from observatory.store.db import make_engine, open_db
from observatory.store.models import Blob, ChangeRow, Snapshot, SourceState
from observatory.tagging import load_taxonomy, tag_text
from observatory.templating import safe_url

MAIL_FIXTURES = Path(__file__).parents[1] / "fixtures" / "mail"
NOW = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)


def mail_config() -> Config:
    return load_config(MAIL_FIXTURES / "sources.yaml")


def seed_sources(engine: Engine, config: Config) -> None:
    with Session(engine) as session:
        for s in config.sources:
            session.add(
                SourceState(
                    id=s.id, url=s.url, kind=s.effective_kind, name=s.display_name, status="ok"
                )
            )
        session.commit()


def add_change(
    engine: Engine,
    source_id: str,
    *,
    title: str = "Article 4 modified",
    location: str = "Article 4",
    dimensions: tuple[str, ...] = (),
    diff: list[Any] | None = None,
    url: str = "https://example.org/page",
    detected_at: datetime | None = None,
    about_ai: bool | None = None,
    added: tuple[str, ...] = ("new text",),
) -> int:
    """One change row (with the snapshot and blob it hangs on)."""
    detected_at = detected_at or datetime.now(UTC)
    digest = hashlib.sha256(f"{source_id}{title}{detected_at}".encode()).hexdigest()
    with Session(engine) as session:
        if session.get(Blob, digest) is None:
            session.add(Blob(hash=digest, data=b"{}", size=2))
        snap = Snapshot(
            source_id=source_id,
            fetched_at=detected_at,
            url=url,
            fingerprint=digest,
            blob_hash=digest,
        )
        session.add(snap)
        session.flush()
        assert snap.id is not None
        diff = (
            diff
            if diff is not None
            else [
                ["=", "Providers shall"],
                ["-", "ensure"],
                ["+", "take measures to ensure"],
                ["=", "AI literacy of their staff."],
            ]
        )
        row = ChangeRow(
            source_id=source_id,
            snapshot_id=snap.id,
            detected_at=detected_at,
            kind="modified",
            location=location,
            title=title,
            url=url,
            added=list(added),
            removed=["old text"],
            diff=diff,
            dimensions=list(dimensions),
            about_ai=bool(dimensions) if about_ai is None else about_ai,
        )
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def set_source(
    engine: Engine,
    source_id: str,
    status: str,
    error: str | None = None,
    since: datetime | None = None,
) -> None:
    with Session(engine) as session:
        state = session.get(SourceState, source_id)
        assert state is not None
        state.status, state.last_error, state.error_since = status, error, since
        session.add(state)
        session.commit()


_MIGRATED: list[Path] = []


def fresh_db(path: Path) -> Engine:
    """A migrated database at *path* (migrating once per session, then copying the file)."""
    if not _MIGRATED:
        template = Path(tempfile.mkdtemp()) / "template.db"
        open_db(str(template)).dispose()
        _MIGRATED.append(template)
    shutil.copyfile(_MIGRATED[0], path)
    return open_db(str(path))


@pytest.fixture
def world(db_url: str) -> Iterator[tuple[Engine, Config]]:
    """A fresh database (each engine in turn) with the mail fixtures' sources."""
    engine = make_engine(db_url)
    config = mail_config()
    seed_sources(engine, config)
    yield engine, config
    engine.dispose()


def by_email(digests: list[Any]) -> dict[str, Any]:
    return {d.subscriber.email: d for d in digests}


def test_filters_and_grouping(world: tuple[Engine, Config]) -> None:
    engine, config = world
    g = add_change(engine, "ema-ai", dimensions=("guidance", "tools"))
    t = add_change(
        engine, "ai-office", title="Workplan modified", location="Workplan", dimensions=("tools",)
    )
    act = add_change(engine, "eurlex-ai-act", title="Article 57 added", location="Article 57")
    digests = by_email(prepare_digests(engine, config))
    everything = digests["all@example.org"]
    assert everything.change_ids == [t, g, act]  # by source id, then time
    assert [grp.key for grp in everything.groups] == ["guidance", "tools", "other"]
    assert digests["guidance@example.org"].change_ids == [g]
    assert [grp.key for grp in digests["guidance@example.org"].groups] == ["guidance"]
    assert digests["act@example.org"].change_ids == [act]


def test_a_change_about_ai_under_no_dimension_reaches_dimension_followers(
    world: tuple[Engine, Config],
) -> None:
    """No silent loss: the tagger found the change about AI but filed it nowhere, so everyone who
    follows a dimension gets it, in a group of its own; untagged text not about AI stays out."""
    engine, config = world
    taxonomy = load_taxonomy()
    text = "The AI Office has moved to a new building in Brussels."
    tagging = tag_text(text, taxonomy)
    assert tagging.unfiled  # about AI (the gate), under no dimension
    lost = add_change(
        engine, "ema-ai", title="AI Office news", added=(text,), about_ai=tagging.about_ai
    )
    other = tag_text("The canteen opens at 8.", taxonomy)
    assert not other.about_ai
    untagged = add_change(engine, "ema-ai", title="Canteen", about_ai=other.about_ai)
    g = add_change(engine, "ema-ai", dimensions=("guidance",))
    digests = by_email(prepare_digests(engine, config))
    follower = digests["guidance@example.org"]
    assert follower.change_ids == [lost, g] or follower.change_ids == [g, lost]
    assert [(grp.key, grp.label) for grp in follower.groups] == [
        ("guidance", "Guidance, policy and product support"),
        ("unfiled", "About AI, no dimension"),
    ]
    assert untagged not in follower.change_ids
    everything = digests["all@example.org"]
    assert [grp.key for grp in everything.groups] == ["guidance", "unfiled", "other"]
    out = render_digest(follower, make_environment(), public_url=config.settings.public_url)
    assert out.subject == "Observatory: 2 changes in Guidance, Unfiled AI"
    for part in (out.text, out.html):
        assert "About AI, no dimension" in part and "AI Office news" in part
    assert "Canteen" not in out.text
    assert store_digest(engine, follower, out, mail_from="obs@example.org")  # claimed once
    again = by_email(prepare_digests(engine, config)).get("guidance@example.org")
    assert again is None or lost not in again.change_ids


def test_rendered_content_and_subject(world: tuple[Engine, Config]) -> None:
    engine, config = world
    cid = add_change(engine, "ema-ai", dimensions=("guidance",))
    add_change(engine, "eurlex-ai-act", title="Article 57 added", location="Article 57")
    digest = by_email(prepare_digests(engine, config))["all@example.org"]
    out = render_digest(digest, make_environment(), public_url=config.settings.public_url)
    assert out.subject == "Observatory: 2 changes in Guidance, Other"
    for part in (out.text, out.html):
        assert "EMA: Artificial intelligence" in part
        assert "Article 4" in part
        assert f"https://observatory.example.org/changes/{cid}" in part
        assert "https://example.org/page" in part
    assert "[-ensure-]" in out.text and "{+take measures to ensure+}" in out.text
    assert "<del" in out.html and ">ensure</del>" in out.html
    assert "take measures to ensure</ins>" in out.html
    assert "<script" not in out.html and "src=" not in out.html and "<link" not in out.html


def test_scraped_strings_are_escaped(world: tuple[Engine, Config]) -> None:
    engine, config = world
    add_change(
        engine,
        "ema-ai",
        title="<script>alert(1)</script>\r\nBcc: evil@example.com",
        location="<b>Annex</b>",
        diff=[["+", "<script>steal()</script> & more"]],
        url="javascript:alert(1)",
    )
    digest = by_email(prepare_digests(engine, config))["all@example.org"]
    out = render_digest(digest, make_environment())
    assert "<script>" not in out.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    assert "&lt;b&gt;Annex&lt;/b&gt;" in out.html
    assert "javascript:" not in out.html and "javascript:" not in out.text
    # the title is flattened to one line in the text part
    assert "&lt;/script&gt; Bcc: evil@example.com" in out.html
    assert "<script>alert(1)</script> Bcc: evil@example.com" in out.text
    assert "\r" not in out.text


def test_failure_and_recovery_notices(world: tuple[Engine, Config]) -> None:
    engine, config = world
    since = NOW - timedelta(hours=5)
    set_source(engine, "ai-office", "error", "HTTP 503 from server", since)
    digests = by_email(prepare_digests(engine, config, now=NOW))
    assert set(digests) == {"all@example.org", "guidance@example.org"}  # act@ follows eurlex only
    digest = digests["all@example.org"]
    out = render_digest(digest, make_environment())
    assert out.subject == "Observatory: 1 source failing"
    assert "HTTP 503 from server" in out.text and "European AI Office" in out.html
    for d in digests.values():
        assert store_digest(
            engine, d, render_digest(d, make_environment()), mail_from="obs@example.org", now=NOW
        )
    # ongoing failure alone: nothing new
    assert prepare_digests(engine, config, now=NOW + timedelta(days=1)) == []
    # a change while still failing lists the failure again, but not as news
    add_change(engine, "ema-ai", dimensions=("tools",))
    digest = by_email(prepare_digests(engine, config, now=NOW))["all@example.org"]
    assert [n.news for n in digest.failing] == [False]
    # recovery is news
    set_source(engine, "ai-office", "ok")
    # (a day after the first digest: no milestone of the registry was delivered in between)
    later = NOW + timedelta(days=1)
    digests = by_email(
        prepare_digests(engine, config, subscriber="guidance@example.org", now=later)
    )
    rendered = render_digest(digests["guidance@example.org"], make_environment())
    assert rendered.subject == "Observatory: 1 recovered"
    assert "recovered" in rendered.text


def test_nothing_new_means_no_digest(world: tuple[Engine, Config]) -> None:
    engine, config = world
    assert prepare_digests(engine, config) == []
    old = datetime.now(UTC) - timedelta(days=30)
    add_change(engine, "ema-ai", dimensions=("guidance",), detected_at=old)
    assert prepare_digests(engine, config) == []  # before a new subscriber's look-back window


def test_compose_is_pure_and_previous_status_matters() -> None:
    config = mail_config()
    sub = config.subscribers[0]
    failing = SourceState(
        id="ema-ai",
        url="https://x.example",
        kind="page",
        status="error",
        error_since=NOW,
        last_error="timeout",
    )
    assert compose_digest(sub, [], [failing], None, timezone="UTC") is not None
    assert (
        compose_digest(sub, [], [failing], {"ema-ai": "2026-06-01T05:00:00Z"}, timezone="UTC")
        is None
    )
    assert (
        compose_digest(sub, [], [failing], {"ema-ai": "2026-05-01T05:00:00Z"}, timezone="UTC")
        is not None
    )  # failed again after recovering


def test_condense_keeps_context_around_edits() -> None:
    words = " ".join(f"w{i}" for i in range(100))
    ops = condense([["=", words], ["+", "new"], ["=", words]], context=3)
    assert ops == [("…", "…"), ("=", "w97 w98 w99"), ("+", "new"), ("=", "w0 w1 w2"), ("…", "…")]
    assert condense([["+", words]], max_run=5)[0][1] == "w0 w1 w2 w3 w4 …"


def test_safe_url() -> None:
    assert safe_url("https://a.example/x") == "https://a.example/x"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("/relative") is None


def test_user_templates_override_packaged(world: tuple[Engine, Config], tmp_path: Path) -> None:
    engine, config = world
    add_change(engine, "ema-ai", title="<i>x</i>", dimensions=("guidance",))
    (tmp_path / "digest.html.j2").write_text("<p>Mine: {{ digest.changes[0].title }}</p>")
    digest = prepare_digests(engine, config)[0]
    out = render_digest(digest, make_environment(tmp_path))
    assert out.html == "<p>Mine: &lt;i&gt;x&lt;/i&gt;</p>"  # user templates autoescape too
    assert "[-ensure-]" in out.text  # the packaged text template still applies


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{email: 'not an address'}", "malformed email address"),
        ("{email: a@example.org, dimensions: [robots]}", "unknown dimension 'robots'"),
        ("{email: a@example.org, sources: [nope]}", "unknown source id 'nope'"),
        ("{email: a@example.org, schedule: 'daily 25:00'}", "invalid time of day"),
        ("{email: a@example.org, schedule: 'hourly'}", "invalid schedule"),
        ("{email: a@example.org, timezone: Mars/Olympus}", "unknown time zone"),
    ],
)
def test_bad_subscribers_fail_validation(entry: str, message: str) -> None:
    text = f"sources: [{{id: s, url: 'https://a.example/'}}]\nsubscribers:\n  - {entry}\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert message in str(info.value)
    assert info.value.exit_code == 2


ARTIFACTS = Path(__file__).parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _e2e_config(base_url: str) -> Config:
    text = (MAIL_FIXTURES / "sources.yaml").read_text()
    text = text.replace(
        "url: https://www.ema.europa.eu/en/about-us/how-we-work/"
        "data-regulation-big-data-other-sources/artificial-intelligence",
        f"url: {base_url}/ai.html\n    select: main",
    )
    text = text.replace(
        "settings:\n",
        "settings:\n  per_host_delay: 0\n  respect_robots: false\n  recheck_on_change: false\n",
    )
    return parse_config(text)


def end_to_end_digest(tmp_path: Path) -> tuple[Any, Any]:
    """Poll the fixture site at v1 and v2 through the real pipeline; render all@'s digest."""
    import asyncio

    from observatory.pipeline import check_sources
    from tests.sitesrv import FixtureSite

    site = FixtureSite(root=MAIL_FIXTURES / "site").start()
    try:
        config = _e2e_config(site.base_url)
        engine = fresh_db(tmp_path / "e2e.db")
        first = asyncio.run(check_sources(config, engine, ["ema-ai"]))
        assert [r.outcome for r in first] == ["new"], first
        site.version = 2
        second = asyncio.run(check_sources(config, engine, ["ema-ai"]))
        assert [r.outcome for r in second] == ["changed"], second
    finally:
        site.stop()
    digest = by_email(prepare_digests(engine, config))["all@example.org"]
    return digest, render_digest(digest, make_environment(), public_url=config.settings.public_url)


def test_end_to_end_digest_renders_in_chromium(tmp_path: Path) -> None:
    digest, out = end_to_end_digest(tmp_path)
    assert digest.changes and all(c["source"] == "ema-ai" for c in digest.changes)
    assert "[-2023-2028-] {+2025-2028+}" in out.text
    flat = " ".join(out.text.split())
    assert "shall [-ensure-] {+take measures to ensure, to their best extent,+} a" in flat
    assert "automate processes and support decision making." in flat
    assert "&lt;script&gt;alert(&#34;scraped&#34;)&lt;/script&gt;" in out.html
    assert "<script" not in out.html
    ARTIFACTS.mkdir(exist_ok=True)
    page = ARTIFACTS / "digest.html"
    page.write_text(out.html, encoding="utf-8")
    (ARTIFACTS / "digest.txt").write_text(out.text, encoding="utf-8")
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    shot = ARTIFACTS / "digest.png"
    shot.unlink(missing_ok=True)
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chrome'}",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # any external asset would fail loudly
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            "--window-size=1000,1400",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1000, 1400)
    page_errors = [
        line
        for line in proc.stderr.splitlines()
        if "CONSOLE" in line or "Uncaught" in line or "Failed to load" in line
    ]
    assert page_errors == []


def test_huge_digest_lists_a_bounded_number(
    world: tuple[Engine, Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    import observatory.digest.render as digest_module

    engine, config = world
    monkeypatch.setattr(digest_module, "MAX_LISTED", 3)
    monkeypatch.setattr(digest_module, "MAX_DETAILED", 1)
    for i in range(5):
        add_change(engine, "ema-ai", title=f"Change number {i}", dimensions=("guidance",))
    digest = by_email(prepare_digests(engine, config))["all@example.org"]
    out = render_digest(digest, make_environment(), public_url=config.settings.public_url)
    assert out.subject.startswith("Observatory: 5 changes")
    assert [f"Change number {i}" in out.text for i in range(5)] == [True] * 3 + [False] * 2
    assert out.text.count("[-ensure-]") == 1
    assert "and 2 more changes not listed here: https://observatory.example.org/changes" in out.text
    assert "and 2 more changes not listed here" in out.html


def test_output_is_byte_identical_to_previous_implementation() -> None:
    """Golden hashes in tests/fixtures/digest/golden.json were generated by the implementation
    *before* the per-change fragment cache and the cheaper MIME path (same seeded inputs), so
    text, HTML and the SMTP bytes (boundary normalised; Message-ID and Date fixed) must match."""
    from observatory.digest.mime import smtp_bytes
    from tests.fixtures.digest.golden_cases import GOLDEN, outputs

    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(expected) == 48
    assert outputs() == expected
    assert outputs(serialise=smtp_bytes) == expected  # the path store_digest takes


def test_golden_sample_matches_stored_previous_output() -> None:
    """A readable sample of the previous implementation's output, compared in full."""
    from tests.fixtures.digest.golden_cases import HERE, cases

    name, digest, url = next(c for c in cases() if c[0] == "n12-all-url1")
    out = render_digest(digest, make_environment(), public_url=url)
    assert out.text == (HERE / f"golden_{name}.txt").read_text(encoding="utf-8")
    assert out.html == (HERE / f"golden_{name}.html").read_text(encoding="utf-8")


def test_shared_fragment_cache_gives_the_same_output_and_reuses_entries() -> None:
    from observatory.digest.cache import FragmentCache
    from tests.fixtures.digest.golden_cases import cases

    env = make_environment()
    shared = FragmentCache()
    for _, digest, url in cases():  # pools reuse change ids: the cache must tell them apart
        alone = render_digest(digest, env, public_url=url)
        cached = render_digest(digest, env, public_url=url, fragments=shared)
        assert cached == alone
        assert "".join(cached.text_pieces) == cached.text
        assert "".join(cached.html_pieces) == cached.html
    assert shared.hits > shared.misses > 0


def test_shared_caches_give_the_same_smtp_bytes() -> None:
    from observatory.digest.cache import BoundedCache, FragmentCache
    from observatory.digest.mime import build_message, smtp_bytes
    from tests.fixtures.digest.golden_cases import MAIL_FROM, MESSAGE_ID, cases, normalised_raw

    env = make_environment()
    fragments, encoded = FragmentCache(), BoundedCache()
    for _, digest, url in cases():
        alone = render_digest(digest, env, public_url=url)
        shared = render_digest(digest, env, public_url=url, fragments=fragments)
        sub = digest.subscriber
        one = build_message(alone, sub, mail_from=MAIL_FROM, message_id=MESSAGE_ID, date=NOW)
        two = build_message(
            shared, sub, mail_from=MAIL_FROM, message_id=MESSAGE_ID, date=NOW, encoded=encoded
        )
        reference = normalised_raw(one.as_bytes(policy=email.policy.SMTP))
        assert normalised_raw(smtp_bytes(two)) == reference
        assert normalised_raw(two.as_bytes(policy=email.policy.SMTP)) == reference
    assert encoded.hits > 0


def test_fragment_cache_is_bounded() -> None:
    from observatory.digest.cache import FragmentCache
    from tests.fixtures.digest.golden_cases import cases

    env = make_environment()
    small = FragmentCache(budget=20_000)
    for _, digest, url in cases():
        out = render_digest(digest, env, public_url=url, fragments=small)
        assert out == render_digest(digest, env, public_url=url)
        assert small.size <= 20_000
    assert 0 < len(small) < 100


def test_quoted_printable_by_pieces_equals_whole() -> None:
    from observatory.digest.cache import BoundedCache
    from observatory.digest.mime import _qp, quoted_printable

    long_line = "x" * 75 + " \t=é " + "y" * 90 + " "
    text = f"a\r\nb\n{long_line}\n\n=3D {'€' * 40}\nlast line  "
    lines = text.splitlines(keepends=True)
    for cut in range(len(lines) + 1):
        pieces = ("".join(lines[:cut]), "".join(lines[cut:]), "")
        assert quoted_printable(text, pieces, 78, BoundedCache()) == _qp(text, 78)
    # pieces that do not end at a line end are not trusted: the text is encoded whole
    assert quoted_printable(text, (text[:3], text[3:]), 78, BoundedCache()) == _qp(text, 78)
    assert quoted_printable("", (), 78, BoundedCache()) == _qp("", 78) == "\n"
