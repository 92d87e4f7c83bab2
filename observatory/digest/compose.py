"""Pending changes per subscriber -> the digest they should get now. Pure.

``compose_digest`` decides whether a subscriber has news (changes not yet sent to them, a
source that started failing, one that recovered, or a milestone delivered since their last
digest; a milestone merely coming due is shown but sends nothing alone) and gathers it,
grouped by the first dimension they follow. A change about AI that the tagger filed under no
dimension ("unfiled") goes to everyone who follows dimensions, in a group of its own: a miss of
the tagger is then noise a reader can see, not a change they never receive.
``observatory.digest.render`` turns it into text; nothing here touches the database or the
network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from operator import itemgetter
from typing import Any

from observatory import dimensions
from observatory.config import Subscriber
from observatory.digest.milestones import MilestoneNews
from observatory.store.models import SourceState, iso


@dataclass(frozen=True)
class SourceNotice:
    source_id: str
    name: str
    url: str
    error_since: datetime | None
    last_error: str | None
    news: bool  # started failing since the subscriber's last digest


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    changes: list[dict[str, Any]]


@dataclass(frozen=True)
class Digest:
    subscriber: Subscriber
    timezone: str
    generated_at: datetime
    changes: list[dict[str, Any]]
    groups: list[Group]
    failing: list[SourceNotice]
    recovered: list[SourceNotice]
    source_names: Mapping[str, str]
    source_status: dict[str, str | None] = field(default_factory=dict)
    milestones: MilestoneNews | None = None

    @cached_property
    def change_ids(self) -> list[int]:
        return [int(c["id"]) for c in self.changes]


READING_ORDER = itemgetter("source", "detected_at", "id")  # sort key of a digest's changes


def matches(subscriber: Subscriber, change: Mapping[str, Any]) -> bool:
    return matcher(subscriber)(change)


def unfiled(change: Mapping[str, Any]) -> bool:
    """About AI (it passed the tagger's gate) but under no dimension."""
    return bool(change.get("about_ai")) and not change["dimensions"]


def matcher(subscriber: Subscriber) -> Callable[[Mapping[str, Any]], bool]:
    """``matches`` for one subscriber, with their filters turned into sets once."""
    sources = frozenset(subscriber.sources)
    dimensions = frozenset(subscriber.dimensions)

    def match(change: Mapping[str, Any]) -> bool:
        if sources and change["source"] not in sources:
            return False
        return not dimensions or not dimensions.isdisjoint(change["dimensions"]) or unfiled(change)

    return match


def group_changes(subscriber: Subscriber, changes: Iterable[Mapping[str, Any]]) -> list[Group]:
    """Each change once, under its first followed dimension; unfiled changes about AI under
    "About AI, no dimension"; other untagged ones under "Other"."""
    allowed = list(subscriber.dimensions) or list(dimensions.KEYS)
    groups = [*allowed, dimensions.UNFILED, dimensions.OTHER]
    buckets: dict[str, list[dict[str, Any]]] = {key: [] for key in groups}
    for change in changes:
        tags = change["dimensions"]
        key = dimensions.UNFILED if unfiled(change) else dimensions.OTHER
        if tags:
            for dimension in allowed:
                if dimension in tags:
                    key = dimension
                    break
        buckets[key].append(change)  # type: ignore[arg-type]
    return [Group(key, dimensions.label(key), rows) for key, rows in buckets.items() if rows]


def _status(states: Iterable[SourceState], followed: set[str] | None) -> dict[str, SourceState]:
    return {s.id: s for s in states if followed is None or s.id in followed}


def compose_digest(
    subscriber: Subscriber,
    changes: Sequence[Mapping[str, Any]],
    states: Iterable[SourceState],
    previous_status: Mapping[str, str | None] | None,
    *,
    timezone: str,
    now: datetime | None = None,
    milestones: MilestoneNews | None = None,
) -> Digest | None:
    """The digest *subscriber* should get now, or None when nothing is new for them.

    *changes* are the changes not yet sent to them (``change_to_dict`` form); *previous_status*
    is the ``source_status`` of their last pending or sent digest (None if there was none);
    *milestones* their milestones section (``observatory.digest.milestones``).
    """
    followed = set(subscriber.sources) if subscriber.sources else None
    current = _status(states, followed)
    previous = dict(previous_status or {})
    mine = sorted(filter(matcher(subscriber), changes), key=READING_ORDER)
    failing, recovered, status = [], [], {}
    for sid, state in current.items():
        if state.status == "error":
            since = iso(state.error_since)
            status[sid] = since
            news = sid not in previous or previous[sid] != since
            failing.append(
                SourceNotice(
                    sid, state.name or sid, state.url, state.error_since, state.last_error, news
                )
            )
        elif state.status == "ok":
            status[sid] = None
            if previous.get(sid):
                recovered.append(SourceNotice(sid, state.name or sid, state.url, None, None, True))
    if not _is_news(mine, recovered, failing, milestones):
        return None
    names = {s.id: s.name or s.id for s in current.values()}
    return Digest(
        subscriber,
        timezone,
        now or datetime.now(UTC),
        mine,  # type: ignore[arg-type]
        group_changes(subscriber, mine),
        failing,
        recovered,
        names,
        status,
        milestones,
    )


def _is_news(
    mine: Sequence[object],
    recovered: Sequence[SourceNotice],
    failing: Sequence[SourceNotice],
    milestones: MilestoneNews | None,
) -> bool:
    """Changes, a recovery, a new failure or a delivered milestone: reasons to send a digest."""
    delivered = bool(milestones and milestones.delivered)
    return bool(mine or recovered or delivered or any(n.news for n in failing))


def subject_of(digest: Digest) -> str:
    parts = []
    if digest.changes:
        n = len(digest.changes)
        labels = ", ".join(dimensions.short_label(g.key) for g in digest.groups)
        parts.append(f"{n} change{'s' if n != 1 else ''} in {labels}")
    new_failures = sum(1 for n in digest.failing if n.news)
    if new_failures:
        parts.append(f"{new_failures} source{'s' if new_failures != 1 else ''} failing")
    if digest.recovered:
        parts.append(f"{len(digest.recovered)} recovered")
    delivered = len(digest.milestones.delivered) if digest.milestones else 0
    if delivered:
        parts.append(f"{delivered} milestone{'s' if delivered != 1 else ''} delivered")
    return "Observatory: " + "; ".join(parts)
