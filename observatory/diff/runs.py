"""Events -> Changes: consecutive events of one kind and one location merge into one Change.

An unchanged or moved block between them breaks the run. In a run of several modified blocks
the blocks' word ops are separated by an ``("=", "\\n")`` op. Titles say where and what: the
first one or two edits of a modified run, the opening words of an added or removed one.
"""

from __future__ import annotations

from observatory.diff._model import Change, Kind, Op, snippet
from observatory.diff.sides import Event
from observatory.diff.units import across


def runs(events: list[Event]) -> list[Change]:
    changes: list[Change] = []
    run: list[Event] = []
    run_key: tuple[str, str] = ("", "")
    for event in events:
        kind = event.kind
        if kind == "same":
            if run:
                _add(changes, _change(run, run_key[1]))
                run = []
            run_key = ("same", "")
            continue
        key = (kind, _location(event))
        if run and key != run_key:
            _add(changes, _change(run, run_key[1]))
            run = []
        run.append(event)
        run_key = key
    if run:
        _add(changes, _change(run, run_key[1]))
    return changes


def _add(changes: list[Change], change: Change) -> None:
    """Appends *change* unless it is a modified run whose blocks, joined, read the same on both
    sides (a paragraph cut at another place, each piece paired apart): no change."""
    recut = change.kind == "modified" and len(change.added) + len(change.removed) > 2
    if recut and "".join(change.added).replace(" ", "") == "".join(change.removed).replace(" ", ""):
        return
    changes.append(change)


def _location(event: Event) -> str:
    sides = event.news or event.olds
    if not sides:
        return ""
    block = sides[0].block
    location = block.location or block.anchor or ""
    if event.olds and event.news and not event.note:
        return across(event.olds[0].block.location, location)
    return location


def _change(run: list[Event], location: str) -> Change:
    """One Change of a run of events of one kind at *location*."""
    first = run[0]
    kind: Kind = first.kind  # type: ignore[assignment]  # "same" never starts a run
    if len(run) == 1:
        olds, news = first.olds, first.news
    else:
        olds = [s for e in run for s in e.olds]
        news = [s for e in run for s in e.news]
    label = location or "Text"
    ops: list[Op]
    if kind == "modified":
        if len(run) == 1:
            ops = first.ops  # one block's word ops never hold two "=" in a row
        else:
            ops = []
            for e in run:
                if ops:
                    ops.append(("=", "\n"))
                ops += e.ops
        title = f"{label} {first.note}" if first.note else f"{label} modified: {_summary(ops)}"
        if len(run) > 1:
            ops = _merge(ops)
    else:
        sides = news if kind == "added" else olds
        tag = "+" if kind == "added" else "-"
        ops = [(tag, s.norm) for s in sides]
        count = "" if len(sides) == 1 else f" ({len(sides)} paragraphs)"
        title = f"{label} {kind}{count}: “{snippet(sides[0].norm)}”"
    return Change(
        kind=kind,
        location=label,
        title=title,
        added=[s.norm for s in news],
        removed=[s.norm for s in olds],
        diff=ops,
        anchor=(news or olds)[0].block.anchor,
    )


def _merge(ops: list[Op]) -> list[Op]:
    """Adjacent word ops of one type merged (a modified run's ops meet at block borders)."""
    merged: list[Op] = []
    for tag, text in ops:
        if merged and tag == "=" and merged[-1][0] == "=":
            before = merged[-1][1]
            sep = "" if text == "\n" or before.endswith("\n") else " "
            merged[-1] = (tag, f"{before}{sep}{text}")
        else:
            merged.append((tag, text))
    return merged


def _summary(ops: list[Op]) -> str:
    """The first one or two edits of a modified block, in words."""
    parts: list[str] = []
    edits = [(k, tag, text) for k, (tag, text) in enumerate(ops) if tag != "="]
    k = 0
    while k < len(edits) and len(parts) < 2:
        pos, tag, text = edits[k]
        if tag == "-" and k + 1 < len(edits) and edits[k + 1][0] == pos + 1:
            parts.append(f"“{snippet(text, 40)}” → “{snippet(edits[k + 1][2], 40)}”")
            k += 1
        else:
            parts.append(f"{'removed' if tag == '-' else 'added'} “{snippet(text, 50)}”")
        k += 1
    return "; ".join(parts) + (" …" if k < len(edits) else "")
