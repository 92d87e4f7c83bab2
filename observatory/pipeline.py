"""One poll of one source: fetch -> extract -> normalise -> snapshot -> diff -> tag -> store.

``check_source()`` is the function that the CLI, the scheduler and the tests all call. Its
outcome has a name (``new``, ``changed``, ``unchanged``, ``not_modified``, ``error``) and is
recorded as a ``checks`` row; snapshot, changes and source state are written in one transaction.
A failed fetch or an empty/unmatched region is an error on the source, never content.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.engine import Engine

from observatory.config import Config, Settings, Source
from observatory.diff import Change, diff_documents
from observatory.document import Document
from observatory.errors import ExtractError, FetchError
from observatory.extract import extract
from observatory.fetch import Fetcher, FetchResult
from observatory.noise import drop_volatile, fingerprint, volatile_keys
from observatory.store.models import ChangeRow, utcnow
from observatory.store.polls import (
    PollRecord,
    Prior,
    previous_document,
    read_prior,
    read_priors,
    record_check,
    record_version,
    sync_sources,
)
from observatory.tagging import Taxonomy, load_taxonomy, tag_text

__all__ = [
    "OUTCOMES",
    "CheckResult",
    "PollContext",
    "check_source",
    "check_sources",
    "sync_sources",
]

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


def body_hash(source: Source, body: bytes) -> str:
    """Hash of the body and of the settings that shape its extraction (a new select re-extracts)."""
    recipe = repr((source.effective_kind, source.select, source.ignore, source.items)).encode()
    return hashlib.sha256(recipe + b"\0" + body).hexdigest()


async def check_source(source: Source, ctx: PollContext, prior: Prior | None = None) -> CheckResult:
    """Poll one source and record the outcome; ``prior`` saves a read when the caller has it."""
    started_at, t0 = ctx.now(), time.monotonic()
    if prior is None:
        prior = read_prior(ctx.engine, source.id)
    has_previous, volatile = prior.snapshot_id is not None, set(prior.volatile)

    def finish(
        outcome: Outcome,
        result: FetchResult | None,
        *,
        error: str | None = None,
        status: int | None = None,
        document: Document | None = None,
        fingerprint_: str = "",
        changes: Sequence[Change] = (),
        learned: set[str] | None = None,
    ) -> CheckResult:
        good = result is not None and result.status == "ok" and outcome != "error"
        record = PollRecord(
            source_id=source.id,
            outcome=outcome,
            started_at=started_at,
            duration_ms=int((time.monotonic() - t0) * 1000),
            http_status=result.http_status if result else status,
            bytes=len(result.body) if result else 0,
            error=error,
            etag=result.etag if good and result else None,
            last_modified=result.last_modified if good and result else None,
            body_hash=body_hash(source, result.body) if good and result else None,
            learned=frozenset(learned or ()),
        )
        change_ids: list[int] = []
        if document is None or result is None:
            record_check(ctx.engine, record)
        else:
            page_url, title = result.url, document.title

            def rows(snapshot_id: int) -> list[ChangeRow]:
                return [
                    _change_row(
                        c,
                        source,
                        ctx.taxonomy,
                        snapshot_id,
                        prior.snapshot_id,
                        page_url,
                        started_at,
                        title,
                    )
                    for c in changes
                ]

            change_ids = record_version(
                ctx.engine,
                record,
                url=result.url,
                document=document,
                fingerprint=fingerprint_,
                make_rows=rows,
            )
        return CheckResult(
            source.id,
            outcome,
            tuple(change_ids),
            error,
            record.http_status,
            record.bytes,
            time.monotonic() - t0,
        )

    result: FetchResult | None = None
    try:
        result = await ctx.fetcher.fetch(
            source.url,
            etag=prior.etag if has_previous else None,
            last_modified=prior.last_modified if has_previous else None,
            source_id=source.id,
        )
        if result.status == "not_modified":
            return finish("not_modified", result)
        if has_previous and body_hash(source, result.body) == prior.body_hash:
            return finish("unchanged", result)  # byte-identical: nothing to extract
        doc = drop_volatile(await _extract(source, result, ctx.settings), volatile)
    except (FetchError, ExtractError) as exc:
        return finish("error", result, error=exc.message, status=getattr(exc, "status", None))

    new_print = fingerprint(doc, volatile)
    if prior.snapshot_id is None:
        return finish("new", result, document=doc, fingerprint_=new_print)
    if new_print == prior.fingerprint:
        return finish("unchanged", result)

    old_doc = drop_volatile(previous_document(ctx.engine, prior.snapshot_id), volatile)
    changes = diff_documents(old_doc, doc)
    learned: set[str] = set()
    if changes and ctx.settings.recheck_on_change:
        learned = await _learn_volatile(source, ctx, doc)
        if learned:
            volatile |= learned
            doc, old_doc = drop_volatile(doc, volatile), drop_volatile(old_doc, volatile)
            new_print = fingerprint(doc, volatile)
            if new_print == fingerprint(old_doc, volatile):
                return finish("unchanged", result, learned=learned)
            changes = diff_documents(old_doc, doc)
    outcome: Outcome = "changed" if changes else "unchanged"
    return finish(
        outcome, result, document=doc, fingerprint_=new_print, changes=changes, learned=learned
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


def _change_row(
    change: Change,
    source: Source,
    taxonomy: Taxonomy,
    snapshot_id: int,
    previous_id: int | None,
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
    return ChangeRow(
        source_id=source.id,
        snapshot_id=snapshot_id,
        previous_snapshot_id=previous_id,
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
    priors = read_priors(engine, [s.id for s in sources])

    async def one(source: Source) -> CheckResult:
        async with limit:
            result = await check_source(source, ctx, priors.pop(source.id, None))
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
