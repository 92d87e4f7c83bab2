"""What each subscriber is owed now: the database read behind every digest.

``iter_digests`` reads, in one session, when each subscriber's first digest was made, what their
last pending or sent digest said about failing sources, the candidate changes and the changes
already claimed by their messages; then it asks ``compose_digest`` (pure) what each should get.

A subscriber's first digest looks back ``FIRST_DIGEST_LOOKBACK``; after that the window starts
where their first digest did, so nothing detected later is ever skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from observatory.config import Config, Subscriber
from observatory.digest.compose import READING_ORDER, Digest, compose_digest, unfiled
from observatory.digest.milestones import milestone_news
from observatory.errors import UsageError
from observatory.milestones import load_milestones, milestone_views
from observatory.store.changes import change_to_dict
from observatory.store.models import ChangeRow, OutboxChange, OutboxMessage, iso, utcnow
from observatory.store.sources import source_states

FIRST_DIGEST_LOOKBACK = timedelta(days=7)


def select_subscribers(config: Config, email: str | None) -> list[Subscriber]:
    if email is None:
        return list(config.subscribers)
    chosen = [s for s in config.subscribers if s.email.lower() == email.lower()]
    if not chosen:
        raise UsageError(f"no subscriber {email!r} in the configuration")
    return chosen


def prepare_digests(
    engine: Engine, config: Config, *, subscriber: str | None = None, now: datetime | None = None
) -> list[Digest]:
    """The digest each selected subscriber should get now (only those with news)."""
    return list(iter_digests(engine, config, subscriber=subscriber, now=now))


def iter_digests(
    engine: Engine, config: Config, *, subscriber: str | None = None, now: datetime | None = None
) -> Iterator[Digest]:
    """Like ``prepare_digests``, one digest at a time (they share the change dicts)."""
    now = now or utcnow()
    subscribers = select_subscribers(config, subscriber)
    if not subscribers:
        return
    history = read_history(engine, [s.email for s in subscribers], now)
    states = source_states(engine, config)
    pools = _Pools(history.candidates)
    milestones = milestone_views(engine, load_milestones(config), now.date())
    for sub in subscribers:
        since = iso(history.starts[sub.email]) or ""
        taken = history.claimed[sub.email]
        pool = pools.for_subscriber(sub)
        if taken or since > pools.earliest:
            pool = [c for c in pool if c["id"] not in taken and c["detected_at"] >= since]
        last = history.last_at.get(sub.email)
        news = milestone_news(
            sub,
            milestones,
            history.told.get(sub.email),
            (last or now - FIRST_DIGEST_LOOKBACK).date(),
        )
        digest = compose_digest(
            sub,
            pool,
            states,
            history.previous.get(sub.email),
            timezone=sub.timezone or config.settings.timezone,
            now=now,
            milestones=news,
        )
        if digest is not None:
            yield digest  # one at a time: a digest shares the change dicts, never copies them


@dataclass(frozen=True)
class History:
    """What the outbox says of some subscribers, and the changes they might be owed."""

    starts: dict[str, datetime]  # email -> start of the window of candidate changes
    previous: dict[str, dict[str, str | None]]  # email -> source_status of the last digest
    candidates: list[dict[str, Any]]  # change dicts detected since the earliest start
    claimed: dict[str, set[int]]  # email -> ids of changes their messages already carry
    last_at: dict[str, datetime]  # email -> when their last pending or sent digest was made
    told: dict[str, dict[str, list[str]] | None]  # email -> its milestones (None: before 0006)


def read_history(engine: Engine, emails: Sequence[str], now: datetime) -> History:
    with Session(engine) as session:
        first = dict(
            session.exec(
                select(OutboxMessage.subscriber, func.min(OutboxMessage.created_at))
                .where(col(OutboxMessage.subscriber).in_(emails))
                .group_by(OutboxMessage.subscriber)
            ).all()
        )
        latest_ids = (
            select(func.max(OutboxMessage.id))
            .where(OutboxMessage.state != "failed")
            .group_by(OutboxMessage.subscriber)
        )
        latest = list(
            session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.id).in_(latest_ids))
                .where(col(OutboxMessage.subscriber).in_(emails))
            )
        )
        previous = {m.subscriber: m.source_status for m in latest}
        starts = {e: first.get(e, now) - FIRST_DIGEST_LOOKBACK for e in emails}
        rows = session.exec(
            select(ChangeRow)
            .where(ChangeRow.detected_at >= min(starts.values()))
            .order_by(col(ChangeRow.id))
        )
        candidates = [change_to_dict(r) for r in rows]
        claimed: dict[str, set[int]] = {e: set() for e in emails}
        if candidates:
            for email, change_id in session.exec(
                select(OutboxChange.subscriber, OutboxChange.change_id)
                .where(OutboxChange.change_id >= candidates[0]["id"])
                .where(col(OutboxChange.subscriber).in_(emails))
            ):
                claimed[email].add(change_id)
    last_at = {m.subscriber: m.created_at for m in latest}
    told = {m.subscriber: m.milestones for m in latest}
    return History(starts, previous, candidates, claimed, last_at, told)


class _Pools:
    """The candidate changes in reading order, indexed by source and by dimension once, so each
    subscriber's digest starts from the changes their filters can match, not from all of them.
    """

    def __init__(self, candidates: list[dict[str, Any]]) -> None:
        self.all = sorted(candidates, key=READING_ORDER)
        self.earliest = min((c["detected_at"] for c in candidates), default="")
        self.by_source: dict[str, list[dict[str, Any]]] = {}
        self.by_dimension: dict[str, list[dict[str, Any]]] = {}
        for change in self.all:
            self.by_source.setdefault(change["source"], []).append(change)
            # an unfiled change about AI is owed to every dimension's followers
            for dimension in ["*"] if unfiled(change) else set(change["dimensions"]):
                self.by_dimension.setdefault(dimension, []).append(change)

    def for_subscriber(self, subscriber: Subscriber) -> list[dict[str, Any]]:
        """A superset of the changes *subscriber* follows (``compose_digest`` filters exactly)."""
        if subscriber.sources:
            return [c for s in sorted(set(subscriber.sources)) for c in self.by_source.get(s, [])]
        if len(subscriber.dimensions) == 1:
            followed = self.by_dimension.get(subscriber.dimensions[0], [])
            about_ai = self.by_dimension.get("*", [])
            return sorted([*followed, *about_ai], key=READING_ORDER) if about_ai else followed
        return self.all
