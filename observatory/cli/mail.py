"""CLI commands for digests: ``observatory digest`` (preview or send) and ``observatory outbox``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from observatory.cli import context as cli
from observatory.errors import UsageError

if TYPE_CHECKING:
    from observatory.cli.context import State


@click.command()
@click.option(
    "--preview",
    "mode",
    flag_value="preview",
    help="Render what is owed now; send and mark nothing.",
)
@click.option(
    "--send",
    "mode",
    flag_value="send",
    help="Store and send what is owed now, whatever the cadence.",
)
@click.option("--subscriber", metavar="EMAIL", help="Only this subscriber.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.html",
    help="With --preview: write the HTML part here (FILE-2.html... for more digests).",
)
@click.pass_obj
@cli.handle_errors
def digest(state: State, mode: str | None, subscriber: str | None, out: Path | None) -> None:
    """Preview or send email digests.

    --send needs OBSERVATORY_MAIL_FROM and OBSERVATORY_SMTP_* in the environment; it exits 1
    if any message stays pending or failed.

    \b
    Example:
      observatory digest --preview --subscriber ana@example.org --out digest.html
    """
    if mode is None:
        raise UsageError("give --preview or --send")
    config = state.config
    engine = state.engine()
    if mode == "preview":
        _preview(state, subscriber, out)
        return
    if out is not None:
        raise UsageError("--out goes with --preview")
    from observatory.digest import deliver_pending, smtp_settings_from_env, store_new_digests

    settings = smtp_settings_from_env()
    store_new_digests(engine, config, settings, subscriber=subscriber)
    report = deliver_pending(engine, settings, subscriber=subscriber)  # and earlier leftovers
    click.echo(
        f"sent {len(report.sent)}, pending {len(report.pending)}, failed {len(report.failed)}"
    )
    for error in report.errors:
        click.echo(f"observatory: delivery: {error}", err=True)
    if not report.ok:
        sys.exit(1)


def _preview(state: State, subscriber: str | None, out: Path | None) -> None:
    from observatory.digest import make_environment, prepare_digests, render_digest

    config = state.config
    env = make_environment(config.templates_path)
    digests = prepare_digests(state.engine(), config, subscriber=subscriber)
    if not digests:
        click.echo("nothing new for " + (subscriber or "any subscriber"))
        return
    for index, item in enumerate(digests, start=1):
        rendered = render_digest(item, env, public_url=config.settings.public_url)
        click.echo(f"To: {item.subscriber.email}\nSubject: {rendered.subject}\n")
        click.echo(rendered.text)
        if out is not None:
            target = out if index == 1 else out.with_name(f"{out.stem}-{index}{out.suffix}")
            target.write_text(rendered.html, encoding="utf-8")
            click.echo(f"(HTML written to {target})", err=True)


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(["pending", "sent", "failed"]),
    help="Only messages in this state (repeatable).",
)
@click.pass_obj
@cli.handle_errors
def outbox(state: State, fmt: str, states: tuple[str, ...]) -> None:
    """Digest messages: pending, sent and failed, oldest first.

    \b
    Example:
      observatory outbox --state pending --format json
    """
    from observatory.digest import outbox_rows

    rows = outbox_rows(state.engine(), states)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(
        "id",
        "state",
        "subscriber",
        "changes",
        "attempts",
        "created",
        "sent",
        "subject / last error",
    )
    for row in rows:
        note = row["subject"] + (f"\n{row['last_error']}" if row["last_error"] else "")
        table.add_row(
            str(row["id"]),
            row["state"],
            row["subscriber"],
            str(row["changes"]),
            str(row["attempts"]),
            row["created_at"] or "",
            row["sent_at"] or "",
            note,
        )
    Console().print(table)
