"""Re-tag the stored history with the current taxonomy (``observatory tag --retag``).

A better tagger improves the past too: each stored change is tagged again exactly as the poll
that found it tagged it (``steps.tag_change``: its text, the document title and its heading path
as context, its source's dimension hints while the source is still configured), and the new
dimensions, evidence, gate result and taxonomy version are written back batch by batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from observatory.config import Config
from observatory.pipeline.steps import tag_change
from observatory.store.retag import NewTags, iter_batches, write_tags

if TYPE_CHECKING:
    from observatory.tagging import Taxonomy


@dataclass
class RetagSummary:
    version: str  # the taxonomy that tagged them now
    examined: int = 0
    changed: int = 0  # whose dimensions differ from before
    unfiled: int = 0  # about AI, under no dimension (digests send them to all followers)


def retag_changes(
    engine: Engine,
    config: Config,
    taxonomy: Taxonomy,
    *,
    since: datetime | None = None,
    batch_size: int = 200,
    on_batch: Callable[[int], None] | None = None,
) -> RetagSummary:
    """Tag every change detected at or after *since* again; *on_batch(n)* after each batch."""
    hints = {s.id: list(s.dimensions) for s in config.sources}
    summary = RetagSummary(taxonomy.version)
    for batch in iter_batches(engine, since, batch_size):
        tags = []
        for stored in batch:
            tagging = tag_change(
                stored.added,
                stored.removed,
                taxonomy,
                hints=hints.get(stored.source_id, ()),
                document_title=stored.document_title,
                location=stored.location,
            )
            tags.append(
                NewTags(
                    stored.id,
                    list(tagging.dimensions),
                    dict(tagging.evidence),
                    tagging.about_ai,
                    taxonomy.version,
                )
            )
            summary.changed += set(tagging.dimensions) != set(stored.dimensions)
            summary.unfiled += tagging.unfiled
        write_tags(engine, tags)
        summary.examined += len(batch)
        if on_batch:
            on_batch(len(batch))
    return summary
