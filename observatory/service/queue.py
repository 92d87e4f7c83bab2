"""Procrastinate, the cluster's job queue: its schema, the app and the tasks a worker runs.

Tasks (all on PostgreSQL, claimed with ``FOR UPDATE SKIP LOCKED`` by Procrastinate):

    poll      one poll of one source; ``queueing_lock`` "poll:<source>" (one queued at a time)
              and ``lock`` "host:<host>" (one poll of a host runs at a time in the cluster)
    dispatch  every ``TICK`` s: defer the due sources' polls (``service.dispatch``)
    recover   every ``TICK`` s: polls of workers whose heartbeat stopped are polled again
    digests   every minute: compose and send the digests that are due, one worker at a time

Periodic tasks are deferred once for the whole cluster (Procrastinate's periodic defers are
unique per task and second) and keep their ``queueing_lock``, so they never pile up.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Engine

from observatory.service.dispatch import TICK
from observatory.store.db import advisory_lock
from observatory.store.due import POLL_QUEUE, POLL_TASK

log = logging.getLogger("observatory.service")
SCHEMA_LOCK = 0x0B5E_7A71  # advisory lock: one process applies Procrastinate's schema
CONTROL_QUEUE = "control"
TICK_CRON = f"* * * * * */{TICK:g}"  # every TICK seconds (croniter's sixth field: seconds)


class Runtime(Protocol):
    """What the tasks call: the worker process that runs them."""

    async def poll(self, source_id: str, due: str) -> None: ...

    async def dispatch(self) -> None: ...

    async def recover(self) -> None: ...

    async def digests(self) -> None: ...


def conninfo(engine: Engine) -> str:
    """The libpq address of a SQLAlchemy PostgreSQL engine (``postgresql+psycopg://`` ...)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def apply_queue_schema(engine: Engine) -> bool:
    """Create Procrastinate's tables and functions unless they exist; True when created.

    Idempotent and safe when several processes start at once (an advisory lock). The step of
    ``observatory migrate`` after Alembic's, on PostgreSQL only."""
    if engine.dialect.name != "postgresql":
        return False
    from procrastinate.schema import SchemaManager

    with advisory_lock(engine, SCHEMA_LOCK) as conn:
        if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar():
            return False
        conn.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
        conn.commit()
    log.info("job queue schema (Procrastinate) created")
    return True


def queue_ready(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar())


def build_app(engine: Engine, runtime: Runtime) -> Any:
    """The Procrastinate app of one worker process, its tasks bound to *runtime*."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(engine)))

    @app.task(name=POLL_TASK, queue=POLL_QUEUE)
    async def poll(source_id: str, due: str) -> None:
        await runtime.poll(source_id, due)

    @app.periodic(cron=TICK_CRON, periodic_id="dispatch")
    @app.task(name="dispatch", queue=CONTROL_QUEUE, priority=10, queueing_lock="dispatch")
    async def dispatch(timestamp: int) -> None:
        await runtime.dispatch()

    @app.periodic(cron=TICK_CRON, periodic_id="recover")
    @app.task(
        name="recover", queue=CONTROL_QUEUE, priority=9, queueing_lock="recover", lock="recover"
    )
    async def recover(timestamp: int) -> None:
        await runtime.recover()

    @app.periodic(cron="* * * * *", periodic_id="digests")
    @app.task(
        name="digests", queue=CONTROL_QUEUE, priority=8, queueing_lock="digests", lock="digests"
    )
    async def digests(timestamp: int) -> None:
        await runtime.digests()

    return app
