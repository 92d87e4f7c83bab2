"""The process behind ``observatory worker`` (and ``observatory run`` on PostgreSQL).

Lifecycle:

    load config -> open db (migrate, queue schema) -> plan the schedule (idempotent)
    -> run Procrastinate's worker (``concurrency`` jobs at once), heartbeat the claims, and,
       under ``run``, serve the web views -> SIGHUP: read sources.yaml again
    -> SIGTERM/SIGINT: take no new job, let the polls in flight finish within ``STOP_GRACE``
       (a poll cut off brings its source forward, so another worker polls it) -> exit 0

Any number of these processes share one PostgreSQL database; no lease. If the database goes
away, Procrastinate's worker stops; it is started again every few seconds until the database is
back (the jobs it held are recovered by ``recover`` from their stale heartbeat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from observatory.config import load_config
from observatory.errors import UsageError
from observatory.service.cluster import HEARTBEAT, STALL_TIMEOUT, Cluster
from observatory.service.cpu import CpuPool
from observatory.service.queue import apply_queue_schema, build_app
from observatory.service.status import SchedulerStatus
from observatory.store.claims import HOLDER
from observatory.store.db import make_engine, migrate
from observatory.store.models import utcnow

STOP_GRACE = 8.0  # seconds for polls in flight; the whole stop stays under 10 s
RESTART_AFTER = 3.0  # seconds before Procrastinate's worker is started again after a failure
# Procrastinate wakes an idle worker when a job is deferred, not when a job ends: the next poll
# of a host (``lock`` per host) waits for this look at the queue, so it is short.
FETCH_EVERY = 0.25
log = logging.getLogger("observatory.service")


class WorkerProcess:
    def __init__(
        self, config_path: Path, engine: Engine, concurrency: int | None, web: Any | None = None
    ) -> None:
        config = load_config(config_path)
        self.engine, self.web = engine, web
        self.concurrency = concurrency or config.settings.concurrency
        self.status = SchedulerStatus()
        self.cpu = CpuPool()  # extraction and diff off the event loop's interpreter lock
        self.cluster = Cluster(config_path, config, engine, self.status, offload=self.cpu.run)
        self.exit_code = 0
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()

    def request_stop(self, reason: str) -> None:
        if not self._stop.is_set():
            log.info("stopping (%s): no new polls; polls in flight may finish", reason)
            self.status.stopping = True
            self._stop.set()

    def _on_sighup(self) -> None:
        task = asyncio.get_running_loop().create_task(self.cluster.reload("SIGHUP"))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def main(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop, signal.Signals(sig).name)
        loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
        await self.cluster.start()
        self.cluster.app = build_app(self.engine, self.cluster)
        self.status.running = True
        self.status.heartbeat_at = utcnow()
        helpers = [loop.create_task(self._heartbeat())]
        if self.web is not None:
            helpers.append(loop.create_task(self.web(self)))
        worker = loop.create_task(self._supervise())
        log.info(
            "worker %s running: %d sources, concurrency %d",
            HOLDER,
            sum(s.enabled for s in self.cluster.config.sources),
            self.concurrency,
        )
        await self._stop.wait()
        worker.cancel()  # Procrastinate's graceful stop: no new job, running ones get the grace
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(worker, timeout=STOP_GRACE + 1.5)
        self.status.running = False
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        await self.cluster.close()
        self.cpu.shutdown()
        log.info("stopped")
        return self.exit_code

    async def _supervise(self) -> None:
        """Run Procrastinate's worker; after a failure (the database went away) start it again."""
        while not self._stop.is_set():
            try:
                async with self.cluster.app.open_async():
                    await self.cluster.app.run_worker_async(
                        concurrency=self.concurrency,
                        name=HOLDER,
                        install_signal_handlers=False,
                        delete_jobs="successful",
                        update_heartbeat_interval=HEARTBEAT,
                        stalled_worker_timeout=STALL_TIMEOUT,
                        shutdown_graceful_timeout=STOP_GRACE,
                        listen_notify=True,
                        fetch_job_polling_interval=FETCH_EVERY,
                    )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("job worker stopped (%s); starting again", str(exc).splitlines()[0])
            if not self._stop.is_set():
                await asyncio.sleep(RESTART_AFTER)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                await self.cluster.renew_claims()
                self.status.heartbeat_at = utcnow()
            except Exception as exc:  # the database is away: claims lapse, others take over
                log.warning("heartbeat failed: %s", str(exc).splitlines()[0])


def open_cluster_db(db_url: str | None) -> Engine:
    """The PostgreSQL engine of a worker, migrated (Alembic, then Procrastinate's schema)."""
    # every poll in flight holds a connection now and then (claim, turn, record): room for all.
    # No pre-ping (a round trip per checkout): after a restart of the server the first use of a
    # dead connection fails, the pool drops them all, and that poll is done again.
    engine = make_engine(db_url, pool_size=20, max_overflow=40)
    if engine.dialect.name != "postgresql":
        raise UsageError(
            "observatory worker needs PostgreSQL (--db postgresql+psycopg://...); "
            "on SQLite, `observatory run` is the one process"
        )
    migrate(engine)
    apply_queue_schema(engine)
    return engine


def web_views(host: str, port: int) -> Any:
    """The web views of ``observatory run`` on PostgreSQL, served beside the worker."""

    async def serve(proc: WorkerProcess) -> None:
        import uvicorn

        from observatory.service.run import _Server, build_app, listening

        app = build_app(proc.cluster.config, proc.engine, proc.status)
        server = _Server(
            uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
        )
        serving = asyncio.get_running_loop().create_task(server.serve())
        where = await listening(server, serving, (host, port))
        if where is not None:  # the same line as the one-process service prints
            log.info("observatory running: web on http://%s:%s", where[0], where[1])
        try:
            await asyncio.shield(serving)
        except asyncio.CancelledError:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(serving, timeout=1.5)
            raise
        proc.request_stop("web server ended")
        proc.exit_code = 1

    return serve


def run_worker(
    config_path: Path, db_url: str | None, concurrency: int | None, web: Any = None
) -> int:
    """Run until stopped; the exit code."""
    from observatory.service.run import _run_loop

    engine = open_cluster_db(db_url)
    try:
        return _run_loop(WorkerProcess(config_path, engine, concurrency, web).main())
    finally:
        engine.dispose()
