"""The digest outbox: what each subscriber is owed, and the stored messages that carry it.

``prepare_digests`` reads the database and asks ``observatory.digest`` what each subscriber
should get; ``store_digest`` writes the finished message (its exact bytes and Message-ID) and
claims its changes in one transaction, *before* anything is sent. The claim is unique per
(subscriber, change), so a change can ride in only one pending or sent message to a subscriber;
a message that fails permanently releases its claims, so a later digest carries those changes.

The message itself (headers, quoted-printable bodies, SMTP bytes) is built by
``observatory.mime``; its names stay importable from here.

A subscriber's first digest looks back ``FIRST_DIGEST_LOOKBACK``; after that the window starts
where their first digest did, so nothing detected later is ever skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from observatory.config import Config, Subscriber
from observatory.digest.cache import BoundedCache
from observatory.digest.compose import (
    READING_ORDER,
    Digest,
    RenderedDigest,
    compose_digest,
    one_line,
)
from observatory.digest.mime import QP_BUDGET as QP_BUDGET  # re-exported, as are the names below
from observatory.digest.mime import _qp as _qp
from observatory.digest.mime import build_message as build_message
from observatory.digest.mime import new_message_id as new_message_id
from observatory.digest.mime import parse_address as parse_address
from observatory.digest.mime import quoted_printable as quoted_printable
from observatory.digest.mime import smtp_bytes as smtp_bytes
from observatory.errors import UsageError
from observatory.store.changes import change_to_dict, source_states
from observatory.store.models import ChangeRow, OutboxChange, OutboxMessage, iso, utcnow

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
    emails = [s.email for s in subscribers]
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
        previous = {
            m.subscriber: m.source_status
            for m in session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.id).in_(latest_ids))
                .where(col(OutboxMessage.subscriber).in_(emails))
            )
        }
        starts = {e: (first[e] if e in first else now) - FIRST_DIGEST_LOOKBACK for e in emails}
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
    states = source_states(engine, config)
    pools = _Pools(candidates)
    for sub in subscribers:
        since = iso(starts[sub.email]) or ""
        taken = claimed[sub.email]
        pool = pools.for_subscriber(sub)
        if taken or since > pools.earliest:
            pool = [c for c in pool if c["id"] not in taken and c["detected_at"] >= since]
        digest = compose_digest(
            sub,
            pool,
            states,
            previous.get(sub.email),
            timezone=sub.timezone or config.settings.timezone,
            now=now,
        )
        if digest is not None:
            yield digest  # one at a time: a digest shares the change dicts, never copies them


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
            for dimension in set(change["dimensions"]):
                self.by_dimension.setdefault(dimension, []).append(change)

    def for_subscriber(self, subscriber: Subscriber) -> list[dict[str, Any]]:
        """A superset of the changes *subscriber* follows (``compose_digest`` filters exactly)."""
        if subscriber.sources:
            return [c for s in sorted(set(subscriber.sources)) for c in self.by_source.get(s, [])]
        if len(subscriber.dimensions) == 1:
            return self.by_dimension.get(subscriber.dimensions[0], [])
        return self.all


def store_digest(
    engine: Engine,
    digest: Digest,
    rendered: RenderedDigest,
    *,
    mail_from: str,
    now: datetime | None = None,
    encoded: BoundedCache | None = None,
) -> OutboxMessage | None:
    """Store the message and claim its changes in one transaction; None if already claimed."""
    now = now or utcnow()
    message_id = new_message_id(mail_from)
    msg = build_message(
        rendered,
        digest.subscriber,
        mail_from=mail_from,
        message_id=message_id,
        date=now,
        encoded=encoded,
    )
    row = OutboxMessage(
        message_id=message_id,
        subscriber=digest.subscriber.email,
        subject=one_line(rendered.subject),
        raw=smtp_bytes(msg),
        state="pending",
        created_at=now,
        change_ids=digest.change_ids,
        source_status=digest.source_status,
    )
    with Session(engine, expire_on_commit=False) as session:
        try:
            session.add(row)
            session.flush()
            if digest.change_ids:
                assert row.id is not None
                _claim(session, row.id, row.subscriber, digest.change_ids)
            session.commit()
        except IntegrityError:  # another run claimed these changes first
            session.rollback()
            return None
        session.expunge(row)
    return row


def _claim(session: Session, row_id: int, subscriber: str, change_ids: Sequence[int]) -> None:
    """One claim row per change, in one statement that reads the stored ``change_ids``."""
    table = OutboxChange.__tablename__
    connection = session.connection()
    try:
        connection.exec_driver_sql(
            f"INSERT INTO {table} (message_id, change_id, subscriber) "
            "SELECT outbox.id, ids.value, outbox.subscriber "
            "FROM outbox, json_each(outbox.change_ids) AS ids WHERE outbox.id = ?",
            (row_id,),
        )
    except OperationalError as exc:  # an SQLite built without JSON: one executemany instead
        if "json_each" not in str(exc):
            raise
        connection.exec_driver_sql(
            f"INSERT INTO {table} (message_id, change_id, subscriber) VALUES (?, ?, ?)",
            [(row_id, cid, subscriber) for cid in change_ids],
        )


def pending_messages(engine: Engine, subscriber: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.state == "pending")
    if subscriber:
        query = query.where(func.lower(OutboxMessage.subscriber) == subscriber.lower())
    with Session(engine) as session:
        rows = list(session.exec(query.order_by(col(OutboxMessage.id))))
        for row in rows:
            session.expunge(row)
    return rows


def pending_ids(engine: Engine, subscriber: str | None = None) -> list[tuple[int, str]]:
    """(row id, Message-ID) of pending messages, oldest first; the bytes stay in the database."""
    query = select(OutboxMessage.id, OutboxMessage.message_id).where(
        OutboxMessage.state == "pending"
    )
    if subscriber:
        query = query.where(func.lower(OutboxMessage.subscriber) == subscriber.lower())
    with Session(engine) as session:
        rows = session.exec(query.order_by(col(OutboxMessage.id)))
        return [(i, m) for i, m in rows if i is not None]


def load_pending(engine: Engine, row_id: int) -> OutboxMessage | None:
    """The message if it is still pending (another run may have sent it meanwhile)."""
    with Session(engine) as session:
        row = session.get(OutboxMessage, row_id)
        if row is None or row.state != "pending":
            return None
        session.expunge(row)
        return row


def record_attempt(
    engine: Engine,
    message_id: int,
    *,
    state: str,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """Count one SMTP attempt; ``sent`` and ``failed`` are final, ``failed`` releases claims."""
    values: dict[str, Any] = {
        "attempts": OutboxMessage.attempts + 1,
        "state": state,
        "last_error": error,
    }
    if state == "sent":
        values["sent_at"] = now or utcnow()
    with Session(engine) as session:  # an UPDATE: the stored bytes are not read back
        session.execute(
            update(OutboxMessage).where(col(OutboxMessage.id) == message_id).values(**values)
        )
        if state == "failed":
            session.execute(delete(OutboxChange).where(col(OutboxChange.message_id) == message_id))
        session.commit()


def outbox_rows(engine: Engine, states: Sequence[str] = ()) -> list[dict[str, Any]]:
    query = select(OutboxMessage)
    if states:
        query = query.where(col(OutboxMessage.state).in_(list(states)))
    with Session(engine) as session:
        return [message_to_dict(m) for m in session.exec(query.order_by(col(OutboxMessage.id)))]


def message_to_dict(m: OutboxMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "message_id": m.message_id,
        "subscriber": m.subscriber,
        "subject": m.subject,
        "state": m.state,
        "attempts": m.attempts,
        "changes": len(m.change_ids),
        "created_at": iso(m.created_at),
        "sent_at": iso(m.sent_at),
        "last_error": m.last_error,
    }
