"""``observatory check``, ``changes``, ``sources`` and ``tag``: polls and the history."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from pathlib import Path
from typing import Any

import click

from observatory import dimensions
from observatory.cli import output
from observatory.cli.context import State, handle_errors, resolve_config_path


@click.command()
@click.argument("source_ids", nargs=-1, metavar="[SOURCE_ID...]")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
@handle_errors
def check(state: State, source_ids: tuple[str, ...], fmt: str) -> None:
    """Poll sources now (default: every enabled source) and print what happened.

    Exit 1 if any source failed.

    \b
    Example:
      observatory check ema-ai eurlex-ai-act
    """
    config = state.config
    from observatory.pipeline import check_sources

    for source_id in source_ids:
        config.source(source_id)  # NotFoundError (exit 2) names an unknown id
    engine = state.engine()
    selected = list(source_ids) or [s.id for s in config.sources if s.enabled]
    with output.progress(len(selected), "Polling") as advance:
        results = asyncio.run(
            check_sources(
                config, engine, source_ids or None, on_result=lambda r: advance(r.source_id)
            )
        )
    order = {sid: i for i, sid in enumerate(selected)}
    results.sort(key=lambda r: order.get(r.source_id, 0))
    if fmt == "json":
        click.echo(json.dumps([output.result_to_dict(r) for r in results], indent=2))
    else:
        output.print_check_summary(output.console(), results)
    if any(r.outcome == "error" for r in results):
        sys.exit(1)


@click.command()
@click.option("--since", help="Changes detected at or after (2026-06-01, 2026-06-01T12:00Z, 7d).")
@click.option("--until", help="Changes detected before this time.")
@click.option(
    "--source", "sources", multiple=True, metavar="ID", help="Only this source (repeatable)."
)
@click.option(
    "--dimension",
    "dimensions",
    multiple=True,
    type=click.Choice(list(dimensions.KEYS)),
    help="Only changes tagged with this dimension (repeatable).",
)
@click.option(
    "--search",
    "words",
    default="",
    metavar="WORDS",
    help='Full-text search as on the web: whole words, "a phrase", prefix*, a OR b.',
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (newest first).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.pass_obj
@handle_errors
def changes(
    state: State,
    since: str | None,
    until: str | None,
    sources: tuple[str, ...],
    dimensions: tuple[str, ...],
    words: str,
    limit: int | None,
    fmt: str,
) -> None:
    """The change history, newest first.

    \b
    Example:
      observatory changes --dimension experimentation --since 2026-06-01 --format json
    """
    from observatory.store.changes import (
        CSV_FIELDS,
        ChangeFilter,
        change_to_dict,
        csv_row,
        iter_changes,
        parse_when,
    )

    flt = ChangeFilter(
        sources=sources,
        dimensions=dimensions,
        words=words,
        since=parse_when(since, option="--since"),
        until=parse_when(until, option="--until"),
    )
    rows = [change_to_dict(r) for r in iter_changes(state.engine(), flt, limit=limit)]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(csv_row(row))
    else:
        output.print_changes(output.console(), rows)


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
@handle_errors
def sources(state: State, fmt: str) -> None:
    """Each source with its status, last check, last change and last error.

    \b
    Example:
      observatory sources --format json
    """
    from observatory.store.sources import source_states, source_to_dict

    config = state.config
    enabled = {s.id: s.enabled for s in config.sources}
    rows = [source_to_dict(s, enabled=enabled[s.id]) for s in source_states(state.engine(), config)]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        output.print_sources(output.console(), rows)


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), required=False)
@click.option("--source", "source_id", metavar="ID", help="Apply this source's dimension hints.")
@click.option(
    "--context",
    default="",
    metavar="TEXT",
    help='The page title or heading path of the text ("Article 57 > 9"), as a poll passes it.',
)
@click.option("--retag", is_flag=True, help="Tag the stored changes again with this taxonomy.")
@click.option("--since", help="With --retag: only changes detected at or after (2026-06-01, 30d).")
@click.pass_obj
@handle_errors
def tag(
    state: State,
    file: Any,
    source_id: str | None,
    context: str,
    retag: bool,
    since: str | None,
) -> None:
    """Tag a text (a file, or standard input) with workplan dimensions, or re-tag the history.

    Prints {"dimensions": [...], "evidence": {...}, "about_ai": ..., "ai_evidence": [...]}:
    evidence says why each dimension was given, ai_evidence why the text counts as about AI.
    With --retag, the stored changes are tagged again with the current taxonomy (in batches,
    with progress on a terminal), and each records the taxonomy version that tagged it.

    \b
    Example:
      echo "Article 57: AI regulatory sandboxes" | observatory tag
      observatory tag --retag --since 2026-01-01
    """
    from observatory.errors import UsageError
    from observatory.tagging import load_taxonomy, tag_text

    if retag:
        if file is not None or source_id or context:
            raise UsageError("--retag takes no text, --source or --context")
        _retag(state, since)
        return
    if since:
        raise UsageError("--since goes with --retag")
    taxonomy_path: Path | None = None
    hints: tuple[str, ...] = ()
    config_file = resolve_config_path(state.config_path)
    if state.config_path or config_file.exists():
        config = state.config
        taxonomy_path = config.taxonomy_path
        if source_id:
            hints = tuple(config.source(source_id).dimensions)
    stream: Any = file if file is not None else sys.stdin
    text = stream.read()
    result = tag_text(text, load_taxonomy(taxonomy_path), hints=hints, context=context)
    click.echo(json.dumps(result.to_json(), ensure_ascii=False))


def _retag(state: State, since: str | None) -> None:
    from observatory.pipeline import retag_changes
    from observatory.store.changes import parse_when
    from observatory.store.retag import count_changes
    from observatory.tagging import load_taxonomy

    config = state.config
    taxonomy = load_taxonomy(config.taxonomy_path)
    when = parse_when(since, option="--since")
    engine = state.engine()
    total = count_changes(engine, when)
    with output.progress(total, "Re-tagging") as advance:

        def batch_done(n: int) -> None:
            for _ in range(n):
                advance("")

        summary = retag_changes(engine, config, taxonomy, since=when, on_batch=batch_done)
    click.echo(
        f"Re-tagged {summary.examined} change{'s' if summary.examined != 1 else ''} with "
        f"{summary.version}: {summary.changed} got other dimensions, "
        f"{summary.unfiled} about AI under no dimension."
    )
