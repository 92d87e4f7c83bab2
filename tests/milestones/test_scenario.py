"""On the fixture site, a new feed item delivers a configured milestone, with the evidence
linked; analysts' confirmations and rejections survive a relink."""

from __future__ import annotations

from pathlib import Path

from tests.milestones.world import NEW_ITEM, change_id, poll_v1_v2
from tests.sitesrv import FixtureSite


def test_a_new_feed_item_delivers_the_configured_milestone(
    tmp_path: Path, site: FixtureSite
) -> None:
    scenario = poll_v1_v2(tmp_path, site)
    item = change_id(scenario, NEW_ITEM)
    detected = next(c for c in scenario.json("changes") if c["id"] == item)["detected_at"]
    shown = {m["id"]: m for m in scenario.json("milestones", "--as-of", "2026-11-30")}
    gpai = shown["gpai-guidelines"]
    assert gpai["status"] == "delivered"
    assert gpai["delivered_at"] == detected[:10]
    assert gpai["evidence"] == [
        {
            "change_id": item,
            "detected_at": detected,
            "matched": ["guidelines for providers of general-purpose AI models"],
            "delivery": ["new item", "published"],
            "confirmed": False,
        }
    ]
    # the shipped registry is there too, overridden or not
    assert len(shown) == 80 and shown["gpai-codes-of-practice-ready"]["status"] == "overdue"


def test_the_news_item_is_evidence_for_the_shipped_reflection_paper(
    tmp_path: Path, site: FixtureSite
) -> None:
    scenario = poll_v1_v2(tmp_path, site)
    item = change_id(scenario, "New item: Reflection paper on AI")
    paper = {m["id"]: m for m in scenario.json("milestones")}["reflection-paper-final-published"]
    assert [e["change_id"] for e in paper["evidence"]] == [item]
    assert paper["evidence"][0]["delivery"] == ["new item", "adopted"]
    assert paper["delivered_at"] == "2024-09-30"  # the registry's day is earlier than the item


def test_link_and_unlink_persist_across_relink(tmp_path: Path, site: FixtureSite) -> None:
    scenario = poll_v1_v2(tmp_path, site)
    item = change_id(scenario, NEW_ITEM)
    article_4 = change_id(scenario, "Article 4")

    assert scenario.run("milestones", "unlink", "gpai-guidelines", str(item)).exit_code == 0
    assert (
        scenario.run(
            "milestones", "link", "ai-literacy-obligation-applies", str(article_4)
        ).exit_code
        == 0
    )
    for _ in range(2):
        relinked = scenario.run("milestones", "--relink", "--format", "json")
        assert relinked.exit_code == 0, relinked.output
        assert "Relinked" in relinked.stderr
        shown = {m["id"]: m for m in scenario.json("milestones")}
        assert shown["gpai-guidelines"]["evidence"] == []
        assert shown["gpai-guidelines"]["status"] == "overdue"  # due 2025-08-02, no evidence now
        literacy = shown["ai-literacy-obligation-applies"]["evidence"]
        assert [(e["change_id"], e["confirmed"]) for e in literacy] == [(article_4, True)]

    assert scenario.run("milestones", "link", "gpai-guidelines", str(item)).exit_code == 0
    gpai = {m["id"]: m for m in scenario.json("milestones")}["gpai-guidelines"]
    assert gpai["status"] == "delivered" and gpai["evidence"][0]["confirmed"] is True


def test_link_refuses_unknown_milestones_and_changes(tmp_path: Path, site: FixtureSite) -> None:
    scenario = poll_v1_v2(tmp_path, site)
    unknown = scenario.run("milestones", "link", "no-such-milestone", "1")
    assert unknown.exit_code == 2 and "unknown milestone 'no-such-milestone'" in unknown.stderr
    missing = scenario.run("milestones", "link", "gpai-guidelines", "999999")
    assert missing.exit_code == 2 and "no change 999999" in missing.stderr
