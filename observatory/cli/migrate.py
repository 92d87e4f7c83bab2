"""``observatory migrate``: bring the database's schema to this release, and say so."""

from __future__ import annotations

import click

from observatory.cli.context import State, handle_errors


@click.command()
@click.pass_obj
@handle_errors
def migrate(state: State) -> None:
    """Apply the schema to the database (--db): create it, or upgrade it to this release; on
    PostgreSQL also the job queue's (Procrastinate) that `observatory worker` needs.

    Idempotent, and safe when several processes start at once (they take turns). Every other
    command also migrates a database it opens; run this one first when many workers share a
    PostgreSQL database, or to upgrade at a moment of your choosing. Needs no sources.yaml.

    \b
    Example:
      observatory --db postgresql://observatory@db.example.org/observatory migrate
    """
    from observatory.service.queue import apply_queue_schema
    from observatory.store.db import SCHEMA_HEAD, SCHEMA_STEPS, make_engine
    from observatory.store.db import migrate as apply

    queue: list[bool] = []  # whether the job queue's schema was created here
    engine = make_engine(state.db_url)
    try:
        before = apply(engine, (*SCHEMA_STEPS, lambda e: queue.append(apply_queue_schema(e))))
        where = engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()
    if any(queue):
        click.echo(f"{where}: job queue schema created")
    if before == SCHEMA_HEAD:
        click.echo(f"{where}: schema already at revision {SCHEMA_HEAD}")
    else:
        was = f"revision {before}" if before else "a new database"
        click.echo(f"{where}: schema at revision {SCHEMA_HEAD} (was {was})")
