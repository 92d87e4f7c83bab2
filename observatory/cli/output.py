"""Terminal output for the CLI: progress bar, summary and history tables.

Rich renders tables on a terminal and plain text when piped; the progress bar only appears when
stderr is a terminal, so scripts and logs stay clean. Rich is imported when something is drawn:
``check --format json`` and scripts do not pay for it.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from observatory.pipeline import CheckResult

OUTCOME_STYLE = {
    "new": "cyan",
    "changed": "bold yellow",
    "unchanged": "green",
    "not_modified": "green",
    "error": "bold red",
    "busy": "dim",
    "superseded": "dim",
}


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[str], None]]:
    """Yield ``advance(name)``; draws a bar on a terminal and nothing otherwise."""
    if not sys.stderr.isatty() or total == 0:
        yield lambda _name: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(label, total=total, last="")
        yield lambda name: bar.update(task, advance=1, last=name)


def result_to_dict(result: CheckResult) -> dict[str, Any]:
    """A poll outcome as ``observatory check --format json`` prints it."""
    out: dict[str, Any] = {"source": result.source_id, "outcome": result.outcome}
    out |= {"changes": result.changes, "change_ids": list(result.change_ids)}
    out |= {"http_status": result.http_status, "bytes": result.bytes}
    return out | {"duration_ms": int(result.duration * 1000), "error": result.error}


def console() -> Console:
    """A console on standard output (tables on a terminal, plain text when piped)."""
    from rich.console import Console

    return Console()


def _table(title: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)


def print_check_summary(console: Console, results: Sequence[CheckResult]) -> None:
    from rich.markup import escape

    table = _table("Poll summary")
    table.add_column("source", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    for column in ("changes", "HTTP", "bytes", "ms"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        style = OUTCOME_STYLE.get(r.outcome, "")
        table.add_row(
            r.source_id,
            f"[{style}]{r.outcome}[/]",
            str(r.changes or ""),
            str(r.http_status or ""),
            f"{r.bytes:,}" if r.bytes else "",
            str(int(r.duration * 1000)),
        )
    console.print(table)
    for r in results:
        if r.error:
            console.print(f"[bold red]{r.source_id}[/]: {escape(r.error)}")
    counts: Counter[str] = Counter(r.outcome for r in results)
    parts = [f"{counts[o]} {o.replace('_', ' ')}" for o in OUTCOME_STYLE if counts[o]]
    total_changes = sum(r.changes for r in results)
    console.print(
        f"{len(results)} sources: {', '.join(parts) or 'none'}; "
        f"{total_changes} change{'s' if total_changes != 1 else ''} recorded."
    )


def _clip(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary(row: dict[str, Any]) -> str:
    """The title without the location it starts with (the table shows the location)."""
    title = str(row["title"])
    prefix = f"{row['location']} "
    return title[len(prefix) :] if row["location"] and title.startswith(prefix) else title


def print_changes(console: Console, rows: Sequence[dict[str, Any]]) -> None:
    from rich.text import Text

    if not rows:
        console.print("No changes match.")
        return
    table = _table()
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("detected (UTC)", max_width=16)
    table.add_column("source", max_width=18, overflow="fold")
    table.add_column("location", max_width=16)
    table.add_column("change (dimensions)", ratio=1, min_width=20, overflow="fold")
    for row in rows:
        change = Text(_clip(_summary(row), 160))
        if row["dimensions"]:
            change.append(f" ({', '.join(row['dimensions'])})", style="dim")
        table.add_row(
            str(row["id"]),
            row["detected_at"][:16].replace("T", " "),
            row["source"],
            Text(_clip(row["location"], 40)),
            change,
        )
    console.print(table)
    console.print(f"{len(rows)} change{'s' if len(rows) != 1 else ''}.")


def print_sources(console: Console, rows: Sequence[dict[str, Any]]) -> None:
    from rich.markup import escape

    table = _table()
    table.add_column("id", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("last checked (UTC)", no_wrap=True)
    table.add_column("last change (UTC)", no_wrap=True)
    for row in rows:
        status = row["status"] if row["enabled"] else f"{row['status']} (disabled)"
        style = {"ok": "green", "error": "bold red"}.get(row["status"], "dim")
        table.add_row(
            row["id"],
            row["kind"],
            f"[{style}]{status}[/]",
            (row["last_checked_at"] or "never")[:16].replace("T", " "),
            (row["last_change_at"] or "")[:16].replace("T", " "),
        )
    console.print(table)
    failing = [row for row in rows if row["status"] == "error"]
    for row in failing:
        since = (row["error_since"] or "")[:16].replace("T", " ")
        console.print(
            f"[bold red]{row['id']}[/] failing since {since}: {escape(row['last_error'] or '')}"
        )
