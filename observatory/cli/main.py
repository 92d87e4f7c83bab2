"""The ``observatory`` command group; each command lives in a module of its own.

    poll.py    check, changes, sources, tag
    mail.py    digest, outbox
    milestones.py  milestones (and its link, unlink)
    migrate.py     migrate (the schema; on PostgreSQL the job queue's too)
    run.py     run (the service) and worker (a cluster on PostgreSQL)
    serve.py   serve (the web views)

Commands are imported only when used, so ``observatory check`` loads neither the mail nor the
web code. Errors become messages and exit codes in ``context.handle_errors``.
"""

from __future__ import annotations

import importlib
from typing import ClassVar

import click

from observatory import __version__
from observatory.cli.context import State


class _Commands(click.Group):
    """Every command is imported only when it is used (or listed)."""

    LAZY: ClassVar[dict[str, str]] = {
        "changes": "observatory.cli.poll:changes",
        "check": "observatory.cli.poll:check",
        "sources": "observatory.cli.poll:sources",
        "tag": "observatory.cli.poll:tag",
        "digest": "observatory.cli.mail:digest",
        "outbox": "observatory.cli.mail:outbox",
        "milestones": "observatory.cli.milestones:milestones",
        "migrate": "observatory.cli.migrate:migrate",
        "run": "observatory.cli.run:run",
        "worker": "observatory.cli.run:worker",
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
    ctx.call_on_close(ctx.obj.close)
