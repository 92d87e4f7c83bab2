"""One poll of one source: claim -> fetch -> extract -> normalise -> diff -> tag -> link -> store.

``check_source()`` is the function that the CLI, the scheduler and the tests all call. It runs
the named steps of ``pipeline.steps`` and ends in one of the outcomes of ``pipeline.outcomes``,
each written by its own function, in one transaction:

    new, changed, unchanged, not_modified   a good poll
    error         the source failed (a failed fetch or an empty/unmatched region is never
                  content), or the poll exceeded ``poll_timeout``, or anything unforeseen
    busy          another process holds the source's claim: nothing done
    superseded    another poll recorded a newer version first: nothing written

Isolation: whatever one source does (bytes, depth, time, an exception nobody foresaw) ends as an
outcome of that source; only cancellation propagates. CPU work runs off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from observatory.config import Config, Settings, Source
from observatory.errors import ExtractError, FetchError, SupersededError
from observatory.fetch import Fetcher, FetchResult
from observatory.pipeline import outcomes, steps
from observatory.pipeline.deferred import Deferred, deferred_matcher, deferred_taxonomy
from observatory.pipeline.threads import on_database
from observatory.store import claims
from observatory.store.db import database_fault
from observatory.store.models import utcnow
from observatory.store.polls import PollRecord, Prior, read_prior, read_priors
from observatory.store.sources import SOURCES, sync_sources

if TYPE_CHECKING:
    from observatory.milestones import Matcher
    from observatory.tagging import Taxonomy

Outcome = Literal["new", "changed", "unchanged", "not_modified", "error", "busy", "superseded"]
OUTCOMES: tuple[Outcome, ...] = (
    *("new", "changed", "unchanged", "not_modified", "error"),
    *("busy", "superseded"),
)
T = TypeVar("T")
NOT_RECORDED = "not recorded"  # how an error that the database could not keep begins
CLAIM_MARGIN = timedelta(seconds=60)  # a claim outlives the poll deadline by this much
log = logging.getLogger("observatory.pipeline")


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
    """The I/O a poll needs, passed in (the CLI, the scheduler and tests each build one).

    The taxonomy and the milestone matcher may be ``Deferred``: only a poll that records changes
    reads them (``tagging()``)."""

    engine: Engine
    fetcher: Fetcher
    settings: Settings
    taxonomy: Taxonomy | Deferred[Taxonomy]
    now: Callable[[], datetime] = field(default=utcnow)
    # the CPU-heavy steps (extraction, parsing, diff): a thread by default, a process pool
    # under the service, so a huge page never holds the event loop's interpreter lock
    offload: Callable[..., Awaitable[Any]] = field(default=asyncio.to_thread)
    # the milestones new changes are linked to (None: none)
    matcher: Matcher | Deferred[Matcher] | None = None
    # claim and quiet writes on the loop itself (one-shot check on SQLite: see pipeline/threads)
    database_inline: bool = False

    async def database(self, call: Callable[..., T], *args: object, **kwargs: object) -> T:
        """A short database call, where this context runs them (pipeline/threads)."""
        return await on_database(self.database_inline, self.engine, call, *args, **kwargs)

    def tagging(self) -> tuple[Taxonomy, Matcher | None]:
        """The taxonomy and the milestone matcher, loaded now if they were deferred."""
        taxonomy = self.taxonomy.get() if isinstance(self.taxonomy, Deferred) else self.taxonomy
        matcher = self.matcher.get() if isinstance(self.matcher, Deferred) else self.matcher
        return taxonomy, matcher

    claim_ttl: timedelta | None = None  # how long a claim lasts unrenewed (None: the deadline)


@dataclass
class Poll:
    """One poll in progress: the source, what was known before, when it started."""

    source: Source
    ctx: PollContext
    prior: Prior
    started_at: datetime
    t0: float = field(default_factory=time.monotonic)
    fetched: FetchResult | None = None  # the last fetch, kept for an error after it
    holder: str = claims.HOLDER  # who claimed the source for this poll

    @property
    def volatile(self) -> frozenset[str]:
        return self.prior.volatile

    def record(
        self,
        outcome: str,
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
            release=self.holder,  # the write gives the claim back: one transaction less
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
    """Poll one source and record the outcome; ``prior`` saves a read when the caller has it.

    Never raises for what the source or the database does; cancellation propagates."""
    started_at, t0 = ctx.now(), time.monotonic()
    ttl = ctx.claim_ttl or timedelta(seconds=ctx.settings.poll_timeout) + CLAIM_MARGIN
    me = claims.new_holder()
    try:
        holder = await ctx.database(
            claims.take, ctx.engine, SOURCES, source.id, now=started_at, ttl=ttl, holder=me
        )
    except SQLAlchemyError as exc:
        return _unrecorded(source.id, t0, exc)
    if holder is not None:
        return CheckResult(source.id, "busy", error=f"being polled by another process ({holder})")
    released = False
    try:
        if prior is None:
            prior = await ctx.database(read_prior, ctx.engine, source.id)
        poll = Poll(source, ctx, prior, started_at, t0, holder=me)
        result = await _write(poll, await _examine_within_deadline(poll))
        released = result.outcome != "superseded"  # a recorded poll gave its claim back
        return result
    except SQLAlchemyError as exc:
        return _unrecorded(source.id, t0, exc)
    finally:
        if not released:
            await _release(ctx, source.id, me)


async def _examine_within_deadline(poll: Poll) -> outcomes.Outcome:
    """What happened, decided within ``poll_timeout``; every failure becomes ``Failed``."""
    try:
        async with asyncio.timeout(poll.ctx.settings.poll_timeout):  # no task of its own
            return await _examine(poll)
    except TimeoutError:
        limit = poll.ctx.settings.poll_timeout
        return outcomes.Failed(
            f"the poll took longer than poll_timeout ({limit:g} s)", poll.fetched
        )
    except FetchError as exc:
        return outcomes.Failed(exc.message, poll.fetched, exc.status)
    except ExtractError as exc:
        return outcomes.Failed(exc.message, poll.fetched)
    except Exception as exc:  # an input nobody foresaw: an error on this source only
        log.debug("poll of %s failed", poll.source.id, exc_info=True)
        return outcomes.Failed(outcomes.internal(exc), poll.fetched)


async def _examine(poll: Poll) -> outcomes.Outcome:
    """The named steps of a poll, up to the decision of what to write."""
    result = poll.fetched = await steps.fetch(poll)
    if result.status == "not_modified":
        return outcomes.Quiet("not_modified", result)
    first = poll.prior.snapshot_id is None
    if not first and steps.byte_identical(poll, result):
        return outcomes.Quiet("unchanged", result)  # nothing to extract
    document, new_print = await steps.extract_document(poll, result)
    if first:
        return outcomes.Store("new", result, steps.Version(document, new_print))
    if new_print == poll.prior.fingerprint:
        return outcomes.Quiet("unchanged", result)
    version = await steps.compare(poll, document, new_print)
    if version.same:
        return outcomes.Quiet("unchanged", result, version.learned)
    return outcomes.Store("changed" if version.changes else "unchanged", result, version)


async def _write(poll: Poll, outcome: outcomes.Outcome) -> CheckResult:
    """Write the outcome where the context runs database calls (pipeline/threads); a write
    that fails on the data becomes an error on the source, one superseded writes nothing."""
    try:
        if isinstance(outcome, outcomes.Store):  # tagging and a snapshot: the pool's work
            return await asyncio.to_thread(outcome.write, poll)
        return await poll.ctx.database(outcome.write, poll)
    except SupersededError as exc:
        return CheckResult(poll.source.id, "superseded", error=exc.message)
    except SQLAlchemyError:
        raise
    except Exception as exc:  # e.g. a tagging bug: still recorded, as an error on the source
        log.debug("recording the poll of %s failed", poll.source.id, exc_info=True)
        return await asyncio.to_thread(outcomes.Failed(outcomes.internal(exc)).write, poll)


def _unrecorded(source_id: str, t0: float, exc: SQLAlchemyError) -> CheckResult:
    """The database failed: the outcome could not be recorded (the message names the fault,
    never the statement or its parameters, which may hold scraped text)."""
    fault = f"{NOT_RECORDED}: {database_fault(exc)}"
    return CheckResult(source_id, "error", error=fault, duration=time.monotonic() - t0)


async def _release(ctx: PollContext, source_id: str, holder: str) -> None:
    with contextlib.suppress(SQLAlchemyError, asyncio.CancelledError):  # it expires by itself
        await asyncio.shield(ctx.database(claims.give_back, ctx.engine, SOURCES, source_id, holder))


# --- many sources ----------------------------------------------------------------------------


async def check_sources(
    config: Config,
    engine: Engine,
    source_ids: Sequence[str] | None = None,
    *,
    on_result: Callable[[CheckResult], None] | None = None,
    fetcher: Fetcher | None = None,
    inline_database: bool = True,
) -> list[CheckResult]:
    """Poll the given (default: all enabled) sources concurrently across hosts, once (a
    one-shot run: on SQLite its short database calls run on the loop, see ``PollContext``)."""
    if source_ids:
        sources = [config.source(sid) for sid in source_ids]
    else:
        sources = [s for s in config.sources if s.enabled]
    sync_sources(engine, config)
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(config.settings)
    ctx = PollContext(
        engine=engine,
        fetcher=fetcher,
        settings=config.settings,
        taxonomy=deferred_taxonomy(config),
        matcher=deferred_matcher(config),
        database_inline=inline_database and engine.dialect.name == "sqlite",
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
