"""One poll of one source: fetch -> extract -> normalise -> diff -> tag -> link -> store.

(The steps are in ``observatory.pipeline.steps``; this module runs them and records outcomes.)

``check_source()`` is the function that the CLI, the scheduler and the tests all call. It is a
short sequence of named steps; each outcome (``new``, ``changed``, ``unchanged``,
``not_modified``, ``error``) is written by one named function. The steps before the write are
pure or read-only (tagging included), so the one transaction that records a poll holds no
CPU work. A failed fetch or an empty/unmatched region is an error on the source, never content.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.engine import Engine

from observatory.config import Config, Settings, Source
from observatory.errors import ExtractError, FetchError
from observatory.fetch import Fetcher, FetchResult
from observatory.milestones import Matcher, load_milestones
from observatory.noise import drop_volatile, fingerprint
from observatory.pipeline import steps
from observatory.store.models import utcnow
from observatory.store.polls import (
    PollRecord,
    Prior,
    read_prior,
    read_priors,
    record_check,
    record_version,
)
from observatory.store.sources import sync_sources
from observatory.tagging import Taxonomy, load_taxonomy

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
    matcher: Matcher | None = None  # the milestones new changes are linked to (None: none)


@dataclass
class Poll:
    """One poll in progress: the source, what was known before, when it started."""

    source: Source
    ctx: PollContext
    prior: Prior
    started_at: datetime
    t0: float = field(default_factory=time.monotonic)

    @property
    def volatile(self) -> frozenset[str]:
        return self.prior.volatile

    def record(
        self,
        outcome: Outcome,
        result: FetchResult | None,
        *,
        error: str | None = None,
        status: int | None = None,
        learned: frozenset[str] = frozenset(),
    ) -> PollRecord:
        good = result is not None and result.status == "ok" and outcome != "error"
        return PollRecord(
            source_id=self.source.id,
            outcome=outcome,
            started_at=self.started_at,
            duration_ms=int((time.monotonic() - self.t0) * 1000),
            http_status=result.http_status if result else status,
            bytes=len(result.body) if result else 0,
            error=error,
            etag=result.etag if good and result else None,
            last_modified=result.last_modified if good and result else None,
            body_hash=steps.body_hash(self.source, result.body) if good and result else None,
            learned=learned,
        )

    def result(self, record: PollRecord, change_ids: Sequence[int] = ()) -> CheckResult:
        return CheckResult(
            self.source.id,
            record.outcome,  # type: ignore[arg-type]
            tuple(change_ids),
            record.error,
            record.http_status,
            record.bytes,
            time.monotonic() - self.t0,
        )


async def check_source(source: Source, ctx: PollContext, prior: Prior | None = None) -> CheckResult:
    """Poll one source and record the outcome; ``prior`` saves a read when the caller has it."""
    poll = Poll(source, ctx, prior or read_prior(ctx.engine, source.id), ctx.now())
    result: FetchResult | None = None
    try:
        result = await steps.fetch(poll)
        if result.status == "not_modified":
            return _quiet(poll, "not_modified", result)
        if poll.prior.snapshot_id is not None and steps.byte_identical(poll, result):
            return _quiet(poll, "unchanged", result)  # nothing to extract
        document = drop_volatile(
            await steps.extract_document(source, result, ctx.settings), poll.volatile
        )
    except (FetchError, ExtractError) as exc:
        return _failed(poll, result, exc)
    new_print = fingerprint(document, poll.volatile)
    if poll.prior.snapshot_id is None:
        return _store(poll, "new", result, steps.Version(document, new_print))
    if new_print == poll.prior.fingerprint:
        return _quiet(poll, "unchanged", result)
    version = await steps.compare(poll, document, new_print)
    if version.same:
        return _quiet(poll, "unchanged", result, version.learned)
    return _store(poll, "changed" if version.changes else "unchanged", result, version)


# --- the outcomes ----------------------------------------------------------------------------


def _quiet(
    poll: Poll, outcome: Outcome, result: FetchResult, learned: frozenset[str] = frozenset()
) -> CheckResult:
    """``not_modified`` or ``unchanged``: a check row and the source's state, nothing else."""
    record = poll.record(outcome, result, learned=learned)
    record_check(poll.ctx.engine, record)
    return poll.result(record)


def _failed(poll: Poll, result: FetchResult | None, exc: FetchError | ExtractError) -> CheckResult:
    """``error``: recorded on the source; no snapshot, no change."""
    status = exc.status if isinstance(exc, FetchError) else None
    record = poll.record("error", result, error=exc.message, status=status)
    record_check(poll.ctx.engine, record)
    return poll.result(record)


def _store(
    poll: Poll, outcome: Outcome, result: FetchResult, version: steps.Version
) -> CheckResult:
    """``new``, ``changed`` (or ``unchanged`` with a new fingerprint): the snapshot, its tagged
    changes, the check and the source's state, in one transaction."""
    rows = steps.tag_changes(
        version.changes,
        poll.source,
        poll.ctx.taxonomy,
        page_url=result.url,
        detected_at=poll.started_at,
        document_title=version.document.title,
        previous_snapshot_id=poll.prior.snapshot_id,
    )
    links = steps.link_milestones(rows, poll.ctx.matcher)
    record = poll.record(outcome, result, learned=version.learned)
    change_ids = record_version(
        poll.ctx.engine,
        record,
        url=result.url,
        document=version.document,
        fingerprint=version.fingerprint,
        rows=rows,
        links=links,
    )
    return poll.result(record, change_ids)


# --- many sources ----------------------------------------------------------------------------


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
    taxonomy = load_taxonomy(config.taxonomy_path)
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(config.settings)
    ctx = PollContext(
        engine=engine,
        fetcher=fetcher,
        settings=config.settings,
        taxonomy=taxonomy,
        matcher=Matcher(load_milestones(config)),
    )
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
