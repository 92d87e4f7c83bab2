"""The outcomes of a poll, as data, each with the one function that writes it.

A poll first decides what happened (``Quiet``, ``Failed`` or ``Store``), then writes it in a
worker thread, in one transaction. ``Store`` tags the changes (pure) before it opens that
transaction, and its write is fenced on the source's last snapshot (``SupersededError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from observatory.fetch import FetchResult
from observatory.pipeline import steps
from observatory.store.polls import record_check, record_version

if TYPE_CHECKING:
    from observatory.pipeline.poll import CheckResult, Poll

MESSAGE_LIMIT = 300  # characters of an error message kept (scraped text never floods a log)


@dataclass(frozen=True)
class Quiet:
    """``not_modified`` or ``unchanged``: a check row and the source's state, nothing else."""

    outcome: str
    result: FetchResult
    learned: frozenset[str] = frozenset()

    def write(self, poll: Poll) -> CheckResult:
        record = poll.record(self.outcome, self.result, learned=self.learned)
        record_check(poll.ctx.engine, record)
        return poll.result(record)


@dataclass(frozen=True)
class Failed:
    """``error``: recorded on the source (it counts in /healthz and digests); no snapshot."""

    message: str
    result: FetchResult | None = None
    status: int | None = None

    def write(self, poll: Poll) -> CheckResult:
        record = poll.record("error", self.result, error=short(self.message), status=self.status)
        record_check(poll.ctx.engine, record)
        return poll.result(record)


@dataclass(frozen=True)
class Store:
    """``new``, ``changed`` (or ``unchanged`` with a new fingerprint): the snapshot, its tagged
    changes, the check and the source's state, in one transaction."""

    outcome: str
    result: FetchResult
    version: steps.Version

    def write(self, poll: Poll) -> CheckResult:
        taxonomy, matcher = poll.ctx.tagging()
        rows = steps.tag_changes(
            self.version.changes,
            poll.source,
            taxonomy,
            page_url=self.result.url,
            detected_at=poll.started_at,
            document_title=self.version.document.title,
            previous_snapshot_id=poll.prior.snapshot_id,
        )
        links = steps.link_milestones(rows, matcher)
        record = poll.record(self.outcome, self.result, learned=self.version.learned)
        change_ids = record_version(
            poll.ctx.engine,
            record,
            url=self.result.url,
            document=self.version.document,
            fingerprint=self.version.fingerprint,
            rows=rows,
            expected_snapshot_id=poll.prior.snapshot_id,
            links=links,
        )
        return poll.result(record, change_ids)


Outcome = Quiet | Failed | Store


def short(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """One line of at most *limit* characters."""
    line = " ".join(str(message).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def internal(exc: BaseException) -> str:
    """The message of an error nobody foresaw: its type and first line, never a traceback."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return short(f"internal error while polling ({type(exc).__name__}: {first})")
