"""Store a Document as a snapshot: compressed, deduplicated by content hash.

A snapshot row is one distinct version of a source (its noise-free ``fingerprint``); its content
lives in ``blobs`` under the sha256 of the Document JSON, so a page that returns to an earlier
version reuses the stored blob.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from observatory.document import Document, sha256_hex
from observatory.errors import StoreError
from observatory.store.models import Blob, Snapshot


def compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)


def decompress(data: bytes) -> str:
    return zlib.decompress(data).decode("utf-8")


def store_snapshot(
    session: Session,
    *,
    source_id: str,
    url: str,
    document: Document,
    fingerprint: str,
    fetched_at: datetime,
) -> Snapshot:
    """Add the blob (unless an identical one exists) and a snapshot row; flush, don't commit."""
    raw = document.to_json()
    blob_hash = sha256_hex(raw)
    if session.get(Blob, blob_hash) is None:  # another process may add the same blob meanwhile
        _insert_ignoring_duplicate(
            session, {"hash": blob_hash, "data": compress(raw), "size": len(raw)}
        )
    snapshot = Snapshot(
        source_id=source_id,
        fetched_at=fetched_at,
        url=url,
        fingerprint=fingerprint,
        blob_hash=blob_hash,
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def _insert_ignoring_duplicate(session: Session, values: dict[str, object]) -> None:
    """INSERT a blob unless its hash is there already (ON CONFLICT DO NOTHING, both engines)."""
    table = Blob.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":  # each dialect module loaded when used
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        statement: Any = postgresql_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table)
    session.execute(statement.values(**values).on_conflict_do_nothing(index_elements=["hash"]))


def document_of(data: bytes) -> Document:
    """The Document a blob holds (CPU work: decompress and parse)."""
    return Document.from_json(decompress(data))


def load_document(session: Session, snapshot: Snapshot) -> Document:
    blob = session.get(Blob, snapshot.blob_hash)
    if blob is None:  # foreign keys make this impossible unless the file was edited by hand
        raise StoreError(f"snapshot {snapshot.id}: blob {snapshot.blob_hash} is missing")
    return Document.from_json(decompress(blob.data))


def previous_document(engine: Engine, snapshot_id: int) -> Document:
    with Session(engine) as session:
        snapshot = session.get(Snapshot, snapshot_id)
        assert snapshot is not None  # a foreign key from sources.last_snapshot_id
        return load_document(session, snapshot)


def previous_blob(engine: Engine, snapshot_id: int) -> bytes:
    """The stored (compressed) Document of a snapshot: read here, parsed where the CPU work
    runs (``snapshots.document_of``)."""
    blobs, snapshots = Blob.__table__, Snapshot.__table__  # type: ignore[attr-defined]
    query = (
        select(blobs.c.data)
        .select_from(snapshots.join(blobs, blobs.c.hash == snapshots.c.blob_hash))
        .where(snapshots.c.id == snapshot_id)
    )
    with engine.connect() as conn:
        data = conn.execute(query).scalar()
    if data is None:
        raise StoreError(f"snapshot {snapshot_id} or its blob is missing")
    return bytes(data)
