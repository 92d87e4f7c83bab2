"""The command line: the one place where errors become messages and exit codes.

Exit codes: 0 success, 1 a poll or delivery failed, 2 bad input (configuration, arguments).
Each command parses its options, calls one library function and prints.
"""

from __future__ import annotations

import asyncio
import csv
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import click
from rich.console import Console

from observatory import __version__, dimensions
from observatory.cli import output
from observatory.config import Config, load_config
from observatory.errors import ConfigError, ObservatoryError, UsageError
from observatory.store.db import open_db

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_CONFIG = "sources.yaml"


class State:
    def __init__(self, config_path: str | None, db_url: str | None) -> None:
        self.config_path = config_path
        self.db_url = db_url
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(resolve_config_path(self.config_path))
        return self._config

    def engine(self) -> Any:
        self.config  # validate before the database is touched  # noqa: B018
        return open_db(self.db_url)


def resolve_config_path(path: str | None) -> Path:
    """--config (or $OBSERVATORY_CONFIG), else ./sources.yaml, else the packaged copy."""
    if path:
        return Path(path)
    local = Path(DEFAULT_CONFIG)
    if local.exists():
        return local
    packaged = Path(__file__).parent / "sources.yaml"
    return packaged if packaged.exists() else local


def handle_errors(func: F) -> F:
    """Turn ObservatoryError into a message on stderr and its exit code."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ObservatoryError as exc:
            prefix = "configuration error" if isinstance(exc, ConfigError) else "error"
            click.echo(f"observatory: {prefix}: {exc}", err=True)
            sys.exit(exc.exit_code)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def listen_options(func: F) -> F:
    """--host and --port of the web app (``serve`` and ``run``), with their environment forms."""
    func = click.option(
        "--port",
        envvar="OBSERVATORY_PORT",
        type=click.IntRange(0, 65535),
        default=8000,
        show_default=True,
        help="Port to listen on [env OBSERVATORY_PORT].",
    )(func)
    return click.option(
        "--host",
        envvar="OBSERVATORY_HOST",
        default="127.0.0.1",
        show_default=True,
        help="Address to listen on [env OBSERVATORY_HOST; 0.0.0.0 in the container].",
    )(func)


class _Commands(click.Group):
    """Commands in modules of their own are imported only when used: ``observatory check`` does
    not load the mail, scheduler or web code, and those modules may import this one freely."""

    LAZY: ClassVar[dict[str, str]] = {
        "digest": "observatory.cli.mail:digest",
        "outbox": "observatory.cli.mail:outbox",
        "run": "observatory.cli.run:run",
        "serve": "observatory.cli.serve:serve",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            module, attr = self.LAZY[name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, name)


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    "config_path",
    envvar="OBSERVATORY_CONFIG",
    metavar="FILE",
    help="sources.yaml to use [env OBSERVATORY_CONFIG; default ./sources.yaml].",
)
@click.option(
    "--db",
    "db_url",
    envvar="OBSERVATORY_DB",
    metavar="URL",
    help="Database URL or SQLite file [env OBSERVATORY_DB; default sqlite:///observatory.db].",
)
@click.version_option(__version__, prog_name="observatory")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, db_url: str | None) -> None:
    """Observatory: watch the regulation of AI in medicines and report exactly what changed.

    \b
    Example:
      observatory check && observatory changes --since 7d
    """
    ctx.obj = State(config_path, db_url)


@main.command()
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

    known = {s.id for s in config.sources}
    unknown = [sid for sid in source_ids if sid not in known]
    if unknown:
        raise UsageError(f"unknown source id {unknown[0]!r} (see `observatory sources`)")
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
        output.print_check_summary(Console(), results)
    if any(r.outcome == "error" for r in results):
        sys.exit(1)


@main.command()
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
    help="Only changes whose text contains every word.",
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
    from observatory.store.changes import ChangeFilter, change_to_dict, iter_changes, parse_when

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
        writer = csv.DictWriter(sys.stdout, fieldnames=output.CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(output.change_csv_row(row))
    else:
        output.print_changes(Console(), rows)


@main.command()
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
    from observatory.store.changes import source_states, source_to_dict

    config = state.config
    enabled = {s.id: s.enabled for s in config.sources}
    rows = [source_to_dict(s, enabled=enabled[s.id]) for s in source_states(state.engine(), config)]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        output.print_sources(Console(), rows)


@main.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--source", "source_id", metavar="ID", help="Apply this source's dimension hints.")
@click.pass_obj
@handle_errors
def tag(state: State, file: Any, source_id: str | None) -> None:
    """Tag a text (a file, or - for standard input) with workplan dimensions.

    Prints {"dimensions": [...], "evidence": {...}}.

    \b
    Example:
      echo "Article 57: AI regulatory sandboxes" | observatory tag
    """
    from observatory.tagging import load_taxonomy, tag_text

    taxonomy_path: str | None = None
    hints: tuple[str, ...] = ()
    config_file = resolve_config_path(state.config_path)
    if state.config_path or config_file.exists():
        config = state.config
        if config.settings.taxonomy:
            taxonomy_path = str(config.base_dir / config.settings.taxonomy)
        if source_id:
            try:
                hints = tuple(config.source(source_id).dimensions)
            except KeyError:
                raise UsageError(f"unknown source id {source_id!r}") from None
    result = tag_text(file.read(), load_taxonomy(taxonomy_path), hints=hints)
    click.echo(json.dumps(result.to_json(), ensure_ascii=False))
