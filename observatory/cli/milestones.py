"""``observatory milestones``: what is due, what was delivered, what is late; ``link`` and
``unlink`` for an analyst's word on the evidence."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import date

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from observatory import dimensions
from observatory.cli.context import State, handle_errors
from observatory.milestones import STATUSES, MilestoneView, parse_day

FORMATS = ("table", "json", "ics")
STATUS_STYLE = {
    "upcoming": "cyan",
    "due": "bold yellow",
    "overdue": "bold red",
    "delivered": "green",
}


@click.group(invoke_without_command=True)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only milestones with this status (repeatable).",
)
@click.option(
    "--dimension",
    "wanted",
    multiple=True,
    type=click.Choice(dimensions.KEYS),
    help="Only milestones of this dimension (repeatable).",
)
@click.option("--as-of", "as_of", metavar="DATE", help="Statuses as on this day [default: today].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--relink",
    is_flag=True,
    help="Match every stored change against the milestones again first (keeps the "
    "links an analyst confirmed or rejected).",
)
@click.pass_context
@handle_errors
def milestones(
    ctx: click.Context,
    statuses: tuple[str, ...],
    wanted: tuple[str, ...],
    as_of: str | None,
    fmt: str,
    relink: bool,
) -> None:
    """Milestones of the AI Act and the HMA/EMA AI workplan: due dates, status, evidence.

    A status is computed for today (or --as-of): upcoming, due (within 30 days), overdue (past
    due, nothing delivered) or delivered (with the day of the first evidence).

    \b
    Example:
      observatory milestones --status due --status overdue --dimension guidance
      observatory milestones --format ics > milestones.ics
      observatory milestones link gpai-guidelines 42
    """
    if ctx.invoked_subcommand:
        return
    from observatory import milestones as ms

    state: State = ctx.obj
    day = parse_day(as_of)
    registry = ms.load_milestones(state.config)
    engine = state.engine()
    if relink:
        done = ms.relink(engine, registry)
        click.echo(
            f"Relinked {done.changes} changes: {done.links} links, {done.deliveries} showing a "
            "delivery.",
            err=True,
        )
    views = ms.milestone_views(engine, registry, day, statuses=statuses, dimensions=wanted)
    if fmt == "json":
        click.echo(json.dumps([ms.view_to_dict(v) for v in views], indent=2, ensure_ascii=False))
    elif fmt == "ics":
        from observatory.milestones.ics import calendar_of

        sys.stdout.buffer.write(calendar_of(views, base_url=state.config.settings.public_url))
    else:
        print_milestones(Console(), views, day)


def print_milestones(console: Console, views: Sequence[MilestoneView], day: date) -> None:
    if not views:
        console.print("No milestone matches.")
        return
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("due", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("delivered", no_wrap=True)
    table.add_column("milestone (owner, id, evidence)", ratio=1, min_width=30)
    for v in views:
        due = v.due.isoformat() + (f"\n(end of {v.period})" if v.period else "")
        name = Text(v.milestone.title)
        name.append(f" ({v.milestone.owner}) {v.milestone.id}", style="dim")
        if v.evidence:
            name.append(f" {len(v.evidence)} change{'s' if len(v.evidence) != 1 else ''}")
        delivered = v.delivered_at.isoformat() if v.delivered_at else ""
        style = STATUS_STYLE[v.status]
        table.add_row(due, f"[{style}]{v.status}[/]", delivered, name)
    console.print(table)
    counts = Counter(v.status for v in views)
    parts = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    console.print(f"{len(views)} milestones on {day.isoformat()}: {parts}.")


def _link_command(state_name: str, verb: str) -> click.Command:
    @click.command(name=verb)
    @click.argument("milestone")
    @click.argument("change_id", type=click.IntRange(min=1))
    @click.pass_obj
    @handle_errors
    def command(state: State, milestone: str, change_id: int) -> None:
        from observatory import milestones as ms

        registry = ms.load_milestones(state.config)
        ms.set_link(state.engine(), registry, milestone, change_id, state_name)
        click.echo(f"{milestone}: change {change_id} {state_name}.")

    return command


link = _link_command("confirmed", "link")
link.help = """Confirm that a change is evidence that MILESTONE was delivered.

The link survives `observatory milestones --relink`.

\b
Example:
  observatory milestones link gpai-guidelines 42
"""
unlink = _link_command("rejected", "unlink")
unlink.help = """Reject a change as evidence for MILESTONE (it stays out after every relink).

\b
Example:
  observatory milestones unlink gpai-guidelines 42
"""
milestones.add_command(link)
milestones.add_command(unlink)
