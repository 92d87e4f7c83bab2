"""The steps of a poll between fetch and store: fetch, extract, compare, tag, link.

Each takes values and returns values; I/O comes in through the ``Poll`` (its fetcher and
engine). Tagging and linking to milestones are pure and run here, before the one transaction
that records the poll.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from observatory.config import Settings, Source
from observatory.document import Document
from observatory.errors import ExtractError, FetchError
from observatory.fetch import FetchResult
from observatory.store.models import ChangeRow, MilestoneLink
from observatory.store.snapshots import document_of, previous_blob

# Extraction, diffing, tagging and milestones are imported by the steps that use them: a poll
# that ends at 304 or on identical bytes needs none of them, and `observatory check` of
# unchanged pages should not pay their start-up (lxml, trafilatura, rapidfuzz, the taxonomy).
if TYPE_CHECKING:
    from observatory.diff import Change
    from observatory.milestones import Matcher
    from observatory.pipeline.poll import Poll
    from observatory.tagging import Tagging, Taxonomy


READ_CHARS = 100_000  # characters of one change that tagging and milestone linking read


@dataclass(frozen=True)
class Version:
    """A new version of the source, compared with the last one (pure data, ready to store)."""

    document: Document
    fingerprint: str
    changes: Sequence[Change] = ()
    learned: frozenset[str] = frozenset()
    same: bool = False  # only volatile blocks differed: nothing new after all


async def fetch(poll: Poll) -> FetchResult:
    has_previous = poll.prior.snapshot_id is not None
    return await poll.ctx.fetcher.fetch(
        poll.source.url,
        etag=poll.prior.etag if has_previous else None,
        last_modified=poll.prior.last_modified if has_previous else None,
        source_id=poll.source.id,
    )


def body_hash(source: Source, body: bytes) -> str:
    """Hash of the body and of the settings that shape its extraction (a new select re-extracts)."""
    recipe = repr((source.effective_kind, source.select, source.ignore, source.items)).encode()
    return hashlib.sha256(recipe + b"\0" + body).hexdigest()


def byte_identical(poll: Poll, result: FetchResult) -> bool:
    return body_hash(poll.source, result.body) == poll.prior.body_hash


async def extract_document(poll: Poll, result: FetchResult) -> tuple[Document, str]:
    """The Document of the fetched bytes, volatile blocks left out, and its fingerprint.

    CPU work: it runs in a worker thread, so the event loop (health, web pages, other polls)
    keeps answering during a big page."""
    if not result.body.strip():
        raise ExtractError("empty body", source_id=poll.source.id)
    return await poll.ctx.offload(_read, poll.source, result, poll.ctx.settings, poll.volatile)


def _read(
    source: Source, result: FetchResult, settings: Settings, volatile: frozenset[str]
) -> tuple[Document, str]:
    from observatory.extract import extract
    from observatory.noise import drop_volatile, fingerprint

    document = extract(
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
    document = drop_volatile(document, volatile)
    return document, fingerprint(document, volatile)


async def compare(poll: Poll, document: Document, new_print: str) -> Version:
    """Diff against the last version; when something changed, fetch again at once (if allowed)
    and leave out the blocks that differ between the two fetches (volatile content). The stored
    version is read in a thread; parsing and diffing are offloaded (a worker process under the
    service, a thread elsewhere)."""
    assert poll.prior.snapshot_id is not None
    engine, snapshot_id, volatile = poll.ctx.engine, poll.prior.snapshot_id, poll.volatile
    stored = await asyncio.to_thread(previous_blob, engine, snapshot_id)
    changes = await poll.ctx.offload(_diff_stored, stored, document, volatile)
    if not changes or not poll.ctx.settings.recheck_on_change:
        return Version(document, new_print, changes)
    learned = frozenset(await learn_volatile(poll, document))
    if not learned:
        return Version(document, new_print, changes)
    return await poll.ctx.offload(_without_volatile, stored, document, volatile | learned, learned)


def _diff_stored(stored: bytes, new: Document, volatile: frozenset[str]) -> list[Change]:
    from observatory.diff import diff_documents
    from observatory.noise import drop_volatile

    return diff_documents(drop_volatile(document_of(stored), volatile), new)


def _without_volatile(
    stored: bytes, new: Document, volatile: frozenset[str], learned: frozenset[str]
) -> Version:
    from observatory.diff import diff_documents
    from observatory.noise import drop_volatile, fingerprint

    new, old = drop_volatile(new, volatile), drop_volatile(document_of(stored), volatile)
    new_print = fingerprint(new, volatile)
    if new_print == fingerprint(old, volatile):
        return Version(new, new_print, (), learned, same=True)
    return Version(new, new_print, diff_documents(old, new), learned)


async def learn_volatile(poll: Poll, document: Document) -> set[str]:
    """Fetch again at once; blocks that differ between the two fetches are volatile."""
    source = poll.source
    try:
        again = await poll.ctx.fetcher.fetch(source.url, conditional=False, source_id=source.id)
        if again.status != "ok":
            return set()
        second, _ = await extract_document(poll, again)
    except (FetchError, ExtractError):
        return set()  # the recheck is an optimisation; the first fetch stands
    from observatory.noise import volatile_keys

    return volatile_keys(document, second)


def tag_changes(
    changes: Sequence[Change],
    source: Source,
    taxonomy: Taxonomy,
    *,
    page_url: str,
    detected_at: datetime,
    document_title: str,
    previous_snapshot_id: int | None,
) -> list[ChangeRow]:
    """The rows of the changes, tagged (pure: the snapshot id is set when they are stored)."""
    return [
        _change_row(
            c, source, taxonomy, previous_snapshot_id, page_url, detected_at, document_title
        )
        for c in changes
    ]


def tag_change(
    added: Sequence[str],
    removed: Sequence[str],
    taxonomy: Taxonomy,
    *,
    hints: Sequence[str],
    document_title: str,
    location: str,
) -> Tagging:
    """Tag one change as a poll does (and ``observatory tag --retag`` again): the changed text
    decides the dimensions; the page title and heading path are context that can open the AI
    gate and locate the AI Act's own text (a paragraph of it need not say "AI" itself)."""
    from observatory.tagging import tag_text

    text = "\n".join([*bounded(added), *bounded(removed)])
    return tag_text(text, taxonomy, hints=hints, context="\n".join([document_title, location]))


def bounded(texts: Sequence[str], limit: int = READ_CHARS) -> list[str]:
    """*texts* cut to *limit* characters in all: what tagging and linking read of one change
    (a changed block of a hostile 10 MB page would otherwise cost seconds of regexes)."""
    out: list[str] = []
    left = limit
    for text in texts:
        if left <= 0:
            break
        out.append(text[:left])
        left -= len(out[-1])
    return out


def link_milestones(
    rows: Sequence[ChangeRow], matcher: Matcher | None
) -> list[list[MilestoneLink]]:
    """The milestone links of each row (pure: the change ids are set when they are stored)."""
    if matcher is None:
        return [[] for _ in rows]
    from observatory.milestones import link_rows

    return [link_rows(matcher.match(_Read(row))) for row in rows]


class _Read:
    """What milestone linking reads of a change row: its texts bounded (``bounded``)."""

    def __init__(self, row: ChangeRow) -> None:
        self.source_id, self.kind, self.location = row.source_id, row.kind, row.location
        self.added, self.removed = bounded(row.added), bounded(row.removed)


def _change_row(
    change: Change,
    source: Source,
    taxonomy: Taxonomy,
    previous_id: int | None,
    page_url: str,
    detected_at: datetime,
    document_title: str,
) -> ChangeRow:
    tagging = tag_change(
        change.added,
        change.removed,
        taxonomy,
        hints=source.dimensions,
        document_title=document_title,
        location=change.location,
    )
    if change.item_link:
        url = change.item_link
    elif change.anchor and source.effective_kind == "page":
        url = f"{page_url.split('#', 1)[0]}#{change.anchor}"
    else:
        url = page_url
    return ChangeRow(
        source_id=source.id,
        snapshot_id=0,  # set in the transaction that stores the snapshot
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
        about_ai=tagging.about_ai,
        tagged_with=taxonomy.version,
    )
