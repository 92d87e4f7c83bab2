"""The digest outbox: the stored messages, their claims on changes, and their delivery state.

``store_digest`` writes the finished message (its exact bytes, built by ``digest.mime``, and its
Message-ID) and claims its changes in one transaction, *before* anything is sent. The claim is
unique per (subscriber, change), so a change can ride in only one pending or sent message to a
subscriber; a message that fails permanently releases its claims, so a later digest carries
those changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from observatory.digest.cache import BoundedCache
from observatory.digest.compose import Digest
from observatory.digest.mime import build_message, new_message_id, smtp_bytes
from observatory.digest.render import RenderedDigest
from observatory.store.models import OutboxChange, OutboxMessage, iso, utcnow
from observatory.templating import one_line


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
        milestones=digest.milestones.state() if digest.milestones else None,
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
    """One claim row per change (a unique index refuses a change claimed twice)."""
    rows = [
        {"message_id": row_id, "change_id": cid, "subscriber": subscriber} for cid in change_ids
    ]
    session.execute(insert(OutboxChange), rows)


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


def record_attempt(engine: Engine, message_id: int, state: str, error: str | None = None) -> None:
    """Count one SMTP attempt; ``sent`` and ``failed`` are final, ``failed`` releases claims."""
    values: dict[str, Any] = {
        "attempts": OutboxMessage.attempts + 1,
        "state": state,
        "last_error": error,
    }
    if state == "sent":
        values["sent_at"] = utcnow()
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
    """A message as ``observatory outbox --format json`` prints it (its bytes left out)."""
    shown = m.model_dump(include={"id", "message_id", "subscriber", "subject", "state"})
    return shown | {
        "attempts": m.attempts,
        "changes": len(m.change_ids),
        "created_at": iso(m.created_at),
        "sent_at": iso(m.sent_at),
        "last_error": m.last_error,
    }
