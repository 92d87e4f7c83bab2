"""The evidence in the database: links between milestones and changes, read and written.

Links are found by matching (``observatory.milestones.matching``) when a poll records its
changes, and again for every stored change by ``relink``. An analyst's ``confirm`` or ``reject``
of a (milestone, change) pair is kept by every relink: ``relink`` replaces only the links it
found itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from observatory.config import Milestone
from observatory.errors import NotFoundError
from observatory.milestones.matching import Match, Matcher
from observatory.milestones.registry import find
from observatory.milestones.status import Evidence, MilestoneView, views_of
from observatory.store.models import ChangeRow, MilestoneLink, utcnow

LINKS = MilestoneLink.__table__  # type: ignore[attr-defined]
CHANGES = ChangeRow.__table__  # type: ignore[attr-defined]
BATCH = 2000  # changes read at a time by relink


def link_rows(matches: Sequence[Match], now: datetime | None = None) -> list[MilestoneLink]:
    """The rows of *matches* of one change (its id is set when the change is stored)."""
    when = now or utcnow()
    return [
        MilestoneLink(
            milestone_id=m.milestone_id,
            change_id=0,
            matched=list(m.matched),
            delivery=list(m.delivery),
            linked_at=when,
        )
        for m in matches
    ]


def read_evidence(engine: Engine) -> dict[str, list[Evidence]]:
    """Every milestone's evidence (rejected links left out), by milestone id."""
    query = (
        select(LINKS, CHANGES.c.detected_at, CHANGES.c.source_id, CHANGES.c.title)
        .select_from(LINKS.join(CHANGES, CHANGES.c.id == LINKS.c.change_id))
        .where(LINKS.c.state != "rejected")
    )
    out: dict[str, list[Evidence]] = {}
    with Session(engine) as session:
        for row in session.execute(query):
            out.setdefault(row.milestone_id, []).append(
                Evidence(
                    row.change_id,
                    row.detected_at,  # aware UTC (the column is a UTCDateTime)
                    tuple(row.matched),
                    tuple(row.delivery),
                    row.state,
                    row.source_id,
                    row.title,
                )
            )
    return out


def milestone_views(
    engine: Engine,
    milestones: Sequence[Milestone],
    as_of: date,
    *,
    statuses: Sequence[str] = (),
    dimensions: Sequence[str] = (),
) -> list[MilestoneView]:
    """The milestones with their evidence, as of *as_of* (filtered, soonest due first)."""
    evidence = read_evidence(engine)
    return views_of(milestones, evidence, as_of, statuses=statuses, dimensions=dimensions)


def set_link(
    engine: Engine, milestones: Sequence[Milestone], milestone_id: str, change_id: int, state: str
) -> MilestoneLink:
    """An analyst's word on a pair: ``confirmed`` (the change is evidence of delivery) or
    ``rejected`` (it is not evidence at all). Kept across relinks."""
    find(list(milestones), milestone_id)
    with Session(engine, expire_on_commit=False) as session:
        if session.get(ChangeRow, change_id) is None:
            raise NotFoundError(f"no change {change_id} (see `observatory changes`)")
        row = session.get(MilestoneLink, (milestone_id, change_id))
        if row is None:
            row = MilestoneLink(milestone_id=milestone_id, change_id=change_id, linked_at=utcnow())
        row.state = state
        row.linked_at = utcnow()
        session.add(row)
        session.commit()
    return row


@dataclass(frozen=True)
class Relinked:
    changes: int  # changes read
    links: int  # links found by matching (kept manual ones not counted)
    deliveries: int  # of which show a delivery


def relink(engine: Engine, milestones: Sequence[Milestone]) -> Relinked:
    """Match every stored change again; replace the automatic links, keep the analysts' ones."""
    matcher = Matcher(milestones)
    now = utcnow()
    changes = links = deliveries = 0
    with Session(engine) as session:
        manual = {
            (r.milestone_id, r.change_id)
            for r in session.execute(select(LINKS).where(LINKS.c.state != "auto"))
        }
        session.execute(delete(LINKS).where(LINKS.c.state == "auto"))
        last = 0
        while True:
            batch = (
                session.execute(
                    select(ChangeRow).where(ChangeRow.id > last).order_by(ChangeRow.id).limit(BATCH)  # type: ignore[arg-type,operator]
                )
                .scalars()
                .all()
            )
            if not batch:
                break
            changes += len(batch)
            last = batch[-1].id or last
            for change in batch:
                for row in link_rows(matcher.match(change), now):
                    if (row.milestone_id, change.id) in manual:
                        continue
                    row.change_id = change.id or 0
                    session.add(row)
                    links += 1
                    deliveries += bool(row.delivery)
            session.flush()
            session.expunge_all()
        session.commit()
    return Relinked(changes, links, deliveries)
