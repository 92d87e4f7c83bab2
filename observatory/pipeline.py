"""One poll of one source: fetch -> extract -> normalise -> snapshot -> diff -> tag -> store.

``check_source()`` is the function that the CLI, the scheduler and the tests all call. Its
outcome has a name (``new``, ``changed``, ``unchanged``, ``not_modified``, ``error``) and is
recorded as a ``checks`` row; snapshot, changes and source state are written in one transaction.
A failed fetch or an empty/unmatched region is an error on the source, never content.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from observatory.config import Config, Settings, Source
from observatory.diff import Change, diff_documents
from observatory.document import Document
from observatory.errors import ExtractError, FetchError
from observatory.extract import extract
from observatory.fetch import Fetcher, FetchResult
from observatory.models import (
    ChangeDimension,
    ChangeRow,
    Check,
    Snapshot,
    SourceState,
    VolatileBlock,
    utcnow,
)
from observatory.noise import drop_volatile, fingerprint, volatile_keys
from observatory.snapshots import load_document, store_snapshot
from observatory.tagging import Taxonomy, load_taxonomy, tag_text

Outcome = Literal["new", "changed", "unchanged", "not_modified", "error"]
OUTCOMES: tuple[Outcome, ...] = ("new", "changed", "unchanged", "not_modified", "error")


@dataclass(frozen=True)
class CheckResult:
    source_id: str
    outcome: Outcome
    change_ids: tuple[int, ...] = ()
    error: str | None = None
    http_status: int | None = None
    bytes: int = 0
    duration: float = 0.0

    @property
    def changes(self) -> int:
        return len(self.change_ids)


@dataclass
class PollContext:
    """The I/O a poll needs, passed in (the CLI, the scheduler and tests each build one)."""

    engine: Engine
    fetcher: Fetcher
    settings: Settings
    taxonomy: Taxonomy
    now: Callable[[], datetime] = field(default=utcnow)


def sync_sources(engine: Engine, config: Config) -> None:
    """Make sure every configured source has a state row, with its current url/kind/name."""
    with Session(engine) as session:
        for source in config.sources:
            state = session.get(SourceState, source.id)
            if state is None:
                session.add(
                    SourceState(
                        id=source.id,
                        url=source.url,
                        kind=source.effective_kind,
                        name=source.display_name,
                    )
                )
                continue
            if state.url != source.url:
                state.etag = state.last_modified = None  # validators belong to the old URL
            state.url, state.kind, state.name = (
                source.url,
                source.effective_kind,
                source.display_name,
            )
            session.add(state)
        session.commit()


async def _extract(source: Source, result: FetchResult, settings: Settings) -> Document:
    if not result.body.strip():
        raise ExtractError("empty body", source_id=source.id)
    return await asyncio.to_thread(
        extract,
        source.effective_kind,
        result.body,
        url=result.url,
        content_type=result.content_type,
        select=source.select,
        ignore=tuple(source.ignore),
        items=source.items,
        pdf_max_pages=settings.pdf_max_pages,
        pdf_timeout=settings.pdf_timeout,
    )


@dataclass(frozen=True)
class _Prior:
    """What a poll needs to know of the source's last good state, read before fetching."""

    snapshot: Snapshot | None
    volatile: frozenset[str]
    etag: str | None
    last_modified: str | None
    body_hash: str | None


def _prior(engine: Engine, source_id: str) -> _Prior:
    with Session(engine) as session:
        state = session.get(SourceState, source_id)
        if state is None:
            raise KeyError(f"source {source_id!r} has no state row; call sync_sources() first")
        snapshot = session.get(Snapshot, state.last_snapshot_id) if state.last_snapshot_id else None
        keys = session.exec(select(VolatileBlock.key).where(VolatileBlock.source_id == source_id))
        return _Prior(snapshot, frozenset(keys), state.etag, state.last_modified, state.body_hash)


def body_hash(source: Source, body: bytes) -> str:
    """Hash of the body and of the settings that shape its extraction (a new select re-extracts)."""
    recipe = repr((source.effective_kind, source.select, source.ignore, source.items)).encode()
    return hashlib.sha256(recipe + b"\0" + body).hexdigest()


def _previous_document(engine: Engine, snapshot: Snapshot) -> Document:
    with Session(engine) as session:
        return load_document(session, snapshot)


async def check_source(source: Source, ctx: PollContext) -> CheckResult:
    started_at, t0 = ctx.now(), time.monotonic()
    prior = _prior(ctx.engine, source.id)
    previous, volatile = prior.snapshot, set(prior.volatile)
    record = functools.partial(_record, ctx, source, started_at, t0)

    result: FetchResult | None = None
    try:
        result = await ctx.fetcher.fetch(
            source.url,
            etag=prior.etag if previous else None,
            last_modified=prior.last_modified if previous else None,
            source_id=source.id,
        )
        if result.status == "not_modified":
            return record("not_modified", result)
        if previous is not None and body_hash(source, result.body) == prior.body_hash:
            return record("unchanged", result)  # byte-identical: nothing to extract
        doc = drop_volatile(await _extract(source, result, ctx.settings), volatile)
    except (FetchError, ExtractError) as exc:
        status = getattr(exc, "status", None)
        return record("error", result, error=exc.message, status=status)

    new_print = fingerprint(doc, volatile)
    if previous is None:
        return record("new", result, document=doc, fingerprint_=new_print)
    if new_print == previous.fingerprint:
        return record("unchanged", result)

    old_doc = drop_volatile(_previous_document(ctx.engine, previous), volatile)
    changes = diff_documents(old_doc, doc)
    learned: set[str] = set()
    if changes and ctx.settings.recheck_on_change:
        learned = await _learn_volatile(source, ctx, doc)
        if learned:
            volatile |= learned
            doc, old_doc = drop_volatile(doc, volatile), drop_volatile(old_doc, volatile)
            new_print = fingerprint(doc, volatile)
            if new_print == fingerprint(old_doc, volatile):
                return record("unchanged", result, learned=learned)
            changes = diff_documents(old_doc, doc)
    outcome: Outcome = "changed" if changes else "unchanged"
    return record(
        outcome,
        result,
        document=doc,
        fingerprint_=new_print,
        changes=changes,
        previous=previous,
        learned=learned,
    )


async def _learn_volatile(source: Source, ctx: PollContext, doc: Document) -> set[str]:
    """Fetch again at once; blocks that differ between the two fetches are volatile."""
    try:
        again = await ctx.fetcher.fetch(source.url, conditional=False, source_id=source.id)
        if again.status != "ok":
            return set()
        second = await _extract(source, again, ctx.settings)
    except (FetchError, ExtractError):
        return set()  # the recheck is an optimisation; the first fetch stands
    return volatile_keys(doc, second)


def _record(
    ctx: PollContext,
    source: Source,
    started_at: datetime,
    t0: float,
    outcome: Outcome,
    result: FetchResult | None,
    *,
    error: str | None = None,
    status: int | None = None,
    document: Document | None = None,
    fingerprint_: str | None = None,
    changes: Sequence[Change] = (),
    previous: Snapshot | None = None,
    learned: set[str] | None = None,
) -> CheckResult:
    duration = time.monotonic() - t0
    http_status = result.http_status if result else status
    size = len(result.body) if result else 0
    change_ids: list[int] = []
    with Session(ctx.engine) as session:
        state = session.get(SourceState, source.id)
        assert state is not None
        check = Check(
            source_id=source.id,
            started_at=started_at,
            duration_ms=int(duration * 1000),
            outcome=outcome,
            http_status=http_status,
            bytes=size,
            error=error,
        )
        state.last_checked_at = started_at
        if outcome == "error":
            if state.status != "error":
                state.error_since = started_at
            state.status, state.last_error = "error", error
        else:
            state.status, state.last_error, state.error_since = "ok", None, None
            state.last_ok_at = started_at
            if result is not None and result.status == "ok":
                state.etag, state.last_modified = result.etag, result.last_modified
                state.body_hash = body_hash(source, result.body)
        for key in sorted(learned or ()):
            if session.get(VolatileBlock, (source.id, key)) is None:
                session.add(VolatileBlock(source_id=source.id, key=key, first_seen=started_at))
        if document is not None and fingerprint_ is not None and result is not None:
            snapshot = store_snapshot(
                session,
                source_id=source.id,
                url=result.url,
                document=document,
                fingerprint=fingerprint_,
                fetched_at=started_at,
            )
            state.last_snapshot_id = check.snapshot_id = snapshot.id
            for change in changes:
                row = _change_row(
                    change,
                    source,
                    ctx.taxonomy,
                    snapshot,
                    previous,
                    result.url,
                    started_at,
                    document.title,
                )
                session.add(row)
                session.flush()
                assert row.id is not None
                change_ids.append(row.id)
                for dimension in row.dimensions:
                    session.add(ChangeDimension(change_id=row.id, dimension=dimension))
            if changes:
                state.last_change_at = started_at
        check.changes = len(change_ids)
        session.add(check)
        session.add(state)
        session.commit()
    return CheckResult(source.id, outcome, tuple(change_ids), error, http_status, size, duration)


def _change_row(
    change: Change,
    source: Source,
    taxonomy: Taxonomy,
    snapshot: Snapshot,
    previous: Snapshot | None,
    page_url: str,
    detected_at: datetime,
    document_title: str,
) -> ChangeRow:
    # The changed text decides the dimensions; the page title and heading path are context that
    # can open the AI gate (an AI Act paragraph need not say "AI" itself).
    text = "\n".join([*change.added, *change.removed])
    context = "\n".join([document_title, change.location])
    tagging = tag_text(text, taxonomy, hints=source.dimensions, context=context)
    if change.item_link:
        url = change.item_link
    elif change.anchor and source.effective_kind == "page":
        url = f"{page_url.split('#', 1)[0]}#{change.anchor}"
    else:
        url = page_url
    assert snapshot.id is not None
    return ChangeRow(
        source_id=source.id,
        snapshot_id=snapshot.id,
        previous_snapshot_id=previous.id if previous else None,
        detected_at=detected_at,
        kind=change.kind,
        location=change.location,
        anchor=change.anchor,
        title=change.title,
        url=url,
        added=list(change.added),
        removed=list(change.removed),
        diff=[list(op) for op in change.diff],
        dimensions=list(tagging.dimensions),
        evidence=dict(tagging.evidence),
    )


async def check_sources(
    config: Config,
    engine: Engine,
    source_ids: Sequence[str] | None = None,
    *,
    on_result: Callable[[CheckResult], None] | None = None,
    fetcher: Fetcher | None = None,
) -> list[CheckResult]:
    """Poll the given (default: all enabled) sources concurrently across hosts."""
    if source_ids:
        sources = [config.source(sid) for sid in source_ids]
    else:
        sources = [s for s in config.sources if s.enabled]
    sync_sources(engine, config)
    taxonomy = load_taxonomy(_taxonomy_path(config))
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(config.settings)
    ctx = PollContext(engine=engine, fetcher=fetcher, settings=config.settings, taxonomy=taxonomy)
    limit = asyncio.Semaphore(config.settings.concurrency)

    async def one(source: Source) -> CheckResult:
        async with limit:
            result = await check_source(source, ctx)
        if on_result:
            on_result(result)
        return result

    try:
        return list(await asyncio.gather(*(one(s) for s in sources)))
    finally:
        if own_fetcher:
            await fetcher.aclose()


def _taxonomy_path(config: Config) -> str | None:
    if not config.settings.taxonomy:
        return None
    path = config.base_dir / config.settings.taxonomy
    return str(path)
