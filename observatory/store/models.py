"""SQLModel tables: the schema analysts query and the migrations create.

    sources            one row per configured source, with its poll state
    checks             one row per poll: time, outcome, HTTP status, bytes, duration, error
    blobs              compressed Document JSON, deduplicated by sha256 of the JSON
    snapshots          one row per distinct version of a source (fingerprint + blob)
    changes            one row per detected change (kind, location, added/removed text, diff,
                       dimensions, evidence, about_ai, and tagged_with: the taxonomy version)
    change_dimensions  (change, dimension) pairs, for fast filtering by dimension
    volatile_blocks    blocks found to differ between two back-to-back fetches of a source
    milestone_links    evidence that a change delivered (or mentions) a milestone

Times are timezone-aware UTC and printed as ISO 8601 with ``Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, always read back timezone-aware in UTC, so no code has to make a value
    from the database aware again. The columns are ``timestamp with time zone`` on PostgreSQL
    (given aware UTC values) and ISO text on SQLite (given naive UTC values, as always)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def When(**kw: Any) -> Any:
    """A SQLModel field of type ``UTCDateTime``."""
    return Field(sa_type=UTCDateTime, **kw)


def as_utc(value: datetime) -> datetime:
    """*value* in UTC; a naive value is taken to be UTC already (the one rule for that)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` (the form every output uses)."""
    if value is None:
        return None
    return as_utc(value).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


class SourceRow(SQLModel):
    """The first two columns of every per-source history table: its id and its source."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="sources.id")


class SourceState(SQLModel, table=True):
    __tablename__ = "sources"

    id: str = Field(primary_key=True)
    url: str
    kind: str
    name: str = ""
    status: str = "unchecked"  # unchecked | ok | error
    last_checked_at: datetime | None = When(default=None)
    last_ok_at: datetime | None = When(default=None)
    last_change_at: datetime | None = When(default=None)
    last_error: str | None = None
    error_since: datetime | None = When(default=None)
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None  # sha256 of the last good body: identical bytes skip extraction
    last_snapshot_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("snapshots.id", use_alter=True))
    )
    claimed_by: str | None = None  # the process polling the source now (host:pid:token)
    claimed_until: datetime | None = When(default=None)  # ... until then, unless released
    due_at: datetime | None = When(default=None, index=True)  # next poll (cluster dispatch)
    due_anchor: datetime | None = When(default=None)  # origin of the ``every`` grid
    due_key: str | None = None  # the timing due_at was planned with (every/cron, time zone)


class Check(SourceRow, table=True):
    __tablename__ = "checks"
    __table_args__ = (Index("ix_checks_source_started", "source_id", "started_at"),)

    started_at: datetime = When()
    duration_ms: int = 0
    outcome: str  # new | changed | unchanged | not_modified | error
    http_status: int | None = None
    bytes: int = 0
    error: str | None = None
    snapshot_id: int | None = Field(default=None, foreign_key="snapshots.id")
    changes: int = 0


class Blob(SQLModel, table=True):
    __tablename__ = "blobs"

    hash: str = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    size: int


class Snapshot(SourceRow, table=True):
    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_source_fetched", "source_id", "fetched_at"),)

    fetched_at: datetime = When()
    url: str
    fingerprint: str = Field(index=True)
    blob_hash: str = Field(foreign_key="blobs.hash")


class ChangeRow(SourceRow, table=True):
    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_detected", "detected_at"),
        Index("ix_changes_source_detected", "source_id", "detected_at"),
    )

    snapshot_id: int = Field(foreign_key="snapshots.id")
    previous_snapshot_id: int | None = Field(default=None, foreign_key="snapshots.id")
    detected_at: datetime = When()
    kind: str  # added | removed | modified
    location: str = ""
    anchor: str | None = None
    title: str = ""
    url: str = ""
    added: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    removed: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    diff: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    dimensions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    evidence: dict[str, list[str]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    about_ai: bool | None = None  # passed the AI gate (None: stored before this was recorded)
    tagged_with: str | None = None  # taxonomy version, "taxonomy.yaml@3f2a9c1b7d4e"


class ChangeDimension(SQLModel, table=True):
    __tablename__ = "change_dimensions"
    __table_args__ = (Index("ix_change_dimensions_dimension", "dimension", "change_id"),)

    change_id: int = Field(
        sa_column=Column(Integer, ForeignKey("changes.id", ondelete="CASCADE"), primary_key=True)
    )
    dimension: str = Field(sa_column=Column(String, primary_key=True))


class VolatileBlock(SQLModel, table=True):
    __tablename__ = "volatile_blocks"

    source_id: str = Field(foreign_key="sources.id", primary_key=True)
    key: str = Field(primary_key=True)
    first_seen: datetime = When()


# Digest delivery (observatory.outbox, observatory.mail):
#     outbox          one row per digest message: the exact bytes sent, its Message-ID, its state
#                     (pending | sent | failed), attempts and last error; ``source_status`` is what
#                     the digest told about failing sources (source id -> error_since or null),
#                     ``milestones`` what it told about milestones due and delivered
#     outbox_changes  which changes a pending or sent message carries; unique per (subscriber,
#                     change), so a change reaches each subscriber in exactly one digest


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_subscriber_created", "subscriber", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(sa_column=Column(String, nullable=False, unique=True))
    subscriber: str
    subject: str
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    state: str = Field(default="pending", index=True)  # pending | sent | failed
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = When()
    sent_at: datetime | None = When(default=None)
    change_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source_status: dict[str, str | None] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    claimed_by: str | None = None  # the process sending the message now
    claimed_until: datetime | None = When(default=None)
    # what the digest said of milestones: {"due": [...], "delivered": [...], "known": [...]}
    # ("known": every milestone delivered then, so the next "delivered since" is exact)
    milestones: dict[str, list[str]] | None = Field(default=None, sa_column=Column(JSON))


class OutboxChange(SQLModel, table=True):
    __tablename__ = "outbox_changes"
    __table_args__ = (
        Index("ux_outbox_changes_subscriber_change", "subscriber", "change_id", unique=True),
    )

    message_id: int = Field(
        sa_column=Column(Integer, ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True)
    )
    change_id: int = Field(
        sa_column=Column(Integer, ForeignKey("changes.id", ondelete="CASCADE"), primary_key=True)
    )
    subscriber: str


# The service's own rows (observatory.service.lease):
#     service_lease  at most one row per name ("scheduler"): who holds it (host, pid, a random
#                    token), since when, its last heartbeat and when it expires
#     digest_runs    per subscriber, the last digest slot (a due time of its cadence) handled


class ServiceLease(SQLModel, table=True):
    __tablename__ = "service_lease"

    name: str = Field(primary_key=True)
    holder_host: str
    holder_pid: int
    token: str
    since: datetime = When()
    heartbeat_at: datetime = When()
    expires_at: datetime = When()


class DigestRun(SQLModel, table=True):
    __tablename__ = "digest_runs"

    subscriber: str = Field(primary_key=True)
    last_due_at: datetime = When()
    last_run_at: datetime = When()


# Milestones (observatory.milestones): the registry lives in YAML, its evidence here.
#     milestone_links  (milestone, change) pairs: the phrases of the milestone the change added,
#                      the signs of delivery in it ("new item", "published", ...), and the state:
#                      auto (found by matching), confirmed or rejected (by an analyst; kept when
#                      the links are computed again)


class MilestoneLink(SQLModel, table=True):
    __tablename__ = "milestone_links"
    __table_args__ = (Index("ix_milestone_links_change", "change_id"),)

    milestone_id: str = Field(primary_key=True)
    change_id: int = Field(
        sa_column=Column(Integer, ForeignKey("changes.id", ondelete="CASCADE"), primary_key=True)
    )
    state: str = "auto"  # auto | confirmed | rejected
    matched: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    delivery: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    linked_at: datetime = When()


# Cluster (PostgreSQL, ``observatory worker``): the per-host pace and robots.txt of all workers.


class HostTurn(SQLModel, table=True):
    __tablename__ = "host_turns"

    host: str = Field(primary_key=True)
    holder: str | None = None  # the process whose request to the host is in flight
    busy_until: datetime | None = When(default=None)  # ... which is presumed dead after this
    next_start_at: datetime | None = When(default=None)  # no request to the host before this


class RobotsEntry(SQLModel, table=True):
    __tablename__ = "robots_cache"

    origin: str = Field(primary_key=True)
    fetched_at: datetime = When()
    policy: str  # allow | deny | rules
    body: str = ""  # the robots.txt text when policy is "rules"
