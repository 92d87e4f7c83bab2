"""Digests gain "Delivered since your last digest" and "Due in the next 30 days", for the
dimensions each subscriber follows; the outbox keeps what a digest said, so "since your last
digest" is exact. On both engines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from observatory.config import load_config
from observatory.digest.outbox import store_digest
from observatory.digest.owed import prepare_digests
from observatory.digest.render import make_environment, render_digest
from observatory.store.db import open_db
from tests.milestones.world import NEW_ITEM, change_id, poll_v1_v2
from tests.sitesrv import FixtureSite


def test_a_delivery_reaches_the_digest_once_and_only_for_its_dimension(
    tmp_path: Path, site: FixtureSite, db_url: str
) -> None:
    scenario = poll_v1_v2(tmp_path, site, db=db_url)
    config, engine = load_config(scenario.config), open_db(str(scenario.db))
    env = make_environment()
    digests = {d.subscriber.email: d for d in prepare_digests(engine, config)}
    gpai = digests["gpai@example.org"]
    assert gpai.milestones is not None
    assert [v.milestone.id for v in gpai.milestones.delivered] == ["gpai-guidelines"]
    rendered = render_digest(gpai, env, public_url="https://obs.example.org")
    assert "; 1 milestone delivered" in rendered.subject
    assert "DELIVERED SINCE YOUR LAST DIGEST (1)" in rendered.text
    item = change_id(scenario, NEW_ITEM)
    assert f"https://obs.example.org/changes/{item}" in rendered.text
    assert "https://obs.example.org/milestones/gpai-guidelines" in rendered.html
    assert "Delivered since your last digest (1)" in rendered.html
    tools = digests["tools@example.org"]  # follows tools: the guidance milestone is not theirs
    assert tools.milestones is not None and tools.milestones.delivered == []
    for digest in digests.values():
        assert store_digest(engine, digest, render_digest(digest, env), mail_from="o@example.org")

    with engine.connect() as conn:
        said = {  # a JSON column: text on SQLite, decoded by PostgreSQL's driver
            email: raw if isinstance(raw, dict) else json.loads(raw)
            for email, raw in conn.execute(text("SELECT subscriber, milestones FROM outbox"))
        }
    assert said["gpai@example.org"]["delivered"] == ["gpai-guidelines"]
    assert "gpai-guidelines" in said["tools@example.org"]["known"]  # known, though not shown

    # nothing new: no digest; then an analyst confirms evidence for another guidance milestone
    assert prepare_digests(engine, config) == []
    article_4 = change_id(scenario, "Article 4")
    assert (
        scenario.run(
            "milestones", "link", "high-risk-classification-guidelines", str(article_4)
        ).exit_code
        == 0
    )
    again = {d.subscriber.email: d for d in prepare_digests(engine, config)}
    assert set(again) == {"gpai@example.org"}  # a delivery alone is news
    news = again["gpai@example.org"]
    assert news.changes == []
    assert [v.milestone.id for v in news.milestones.delivered] == [  # type: ignore[union-attr]
        "high-risk-classification-guidelines"
    ]
    assert "recorded in the registry" not in render_digest(news, env).text.lower()
    engine.dispose()


def test_due_in_the_next_30_days(tmp_path: Path, site: FixtureSite, db_url: str) -> None:
    scenario = poll_v1_v2(tmp_path, site, db=db_url)
    config, engine = load_config(scenario.config), open_db(str(scenario.db))
    july = datetime(2026, 7, 10, 7, 0, tzinfo=UTC)
    gpai = next(
        d
        for d in prepare_digests(engine, config, now=july)
        if d.subscriber.email == "gpai@example.org"
    )
    assert gpai.milestones is not None
    due = [v.milestone.id for v in gpai.milestones.due]
    assert (
        "ai-act-general-application" in due
        and "national-ai-regulatory-sandboxes-operational" in due
    )
    assert all(v.status == "due" and 0 <= v.days_left <= 30 for v in gpai.milestones.due)
    assert all("guidance" in v.milestone.dimensions for v in gpai.milestones.due)
    text = render_digest(gpai, make_environment()).text
    assert "DUE IN THE NEXT 30 DAYS" in text and "2026-08-02: AI Act applies generally" in text
    assert "23 days left" in text
    engine.dispose()
