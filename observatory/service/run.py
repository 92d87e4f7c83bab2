"""The long-running process behind ``observatory run``: scheduler and web app in one event loop.

Lifecycle:

    load config -> open db (migrate) -> take the scheduler lease (or exit 1 naming the holder)
    -> start the scheduler and uvicorn -> heartbeat the lease, watch the config file
    -> SIGTERM/SIGINT: stop taking work, let the poll in flight finish (cancel after 8 s),
       send no new SMTP session, stop uvicorn, release the lease -> exit 0

SIGHUP, or a change of the config file's contents, reloads it: a valid file takes effect at once
(new, removed and re-timed sources; subscribers; settings), an invalid one is logged and the
running configuration stays. Signal handlers are installed explicitly, so the process behaves
as PID 1 in a container (PID 1 gets no default signal actions). The event loop is run by hand so
that a worker thread stuck past the grace period (a PDF extraction, an SMTP exchange) cannot hold
the exit: after the clean-up, ``run_service`` returns and the CLI ends the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal
import socket
from collections.abc import Coroutine, Generator
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy.engine import Engine

from observatory.config import Config, load_config
from observatory.errors import LeaseLost, ObservatoryError
from observatory.service.cpu import CpuPool
from observatory.service.lease import (
    HEARTBEAT_EVERY,
    Lease,
    acquire_lease,
    release_lease,
    renew_lease,
)
from observatory.service.scheduler import SchedulerStatus, ServiceScheduler
from observatory.store.db import open_db
from observatory.store.models import iso, utcnow
from observatory.tagging import load_taxonomy

log = logging.getLogger("observatory.service")
STOP_GRACE = 8.0  # seconds for polls in flight; the whole stop stays under 10 s
WATCH_EVERY = 2.0  # seconds between looks at the config file


def build_app(config: Config, engine: Engine, status: SchedulerStatus | None) -> Any:
    """The analyst web app when it is installed, else a minimal app with health and metrics."""
    try:
        from observatory.web import create_app
    except ImportError:
        from fastapi import FastAPI

        from observatory.web.health import router

        app = FastAPI(title="Observatory", docs_url=None, redoc_url=None, openapi_url=None)
        app.include_router(router)
        app.state.config, app.state.engine, app.state.scheduler_status = config, engine, status
        return app
    return create_app(config, engine, scheduler_status=status)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the service owns the signals


async def listening(
    server: uvicorn.Server, serving: asyncio.Task[Any], asked: tuple[str, int]
) -> tuple[str, int] | None:
    """Wait for *server* to start; the address it listens on (port 0 resolved), or None if
    it ended without starting."""
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    if not server.started:
        return None
    sockets = [s for srv in server.servers for s in (srv.sockets or ())]
    return sockets[0].getsockname()[:2] if sockets else asked


def load_checked(path: Path) -> Config:
    """The configuration at *path* and the taxonomy it names, both validated (ConfigError)."""
    config = load_config(path)
    if config.taxonomy_path is not None:
        load_taxonomy(config.taxonomy_path)
    return config


def _signature(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class Service:
    def __init__(
        self, config_path: Path, config: Config, engine: Engine, lease: Lease, host: str, port: int
    ) -> None:
        self.config_path, self.config, self.engine, self.lease = config_path, config, engine, lease
        self.host, self.port = host, port
        self.status = SchedulerStatus()
        self.cpu = CpuPool()  # extraction and diff off the event loop's interpreter lock
        self.scheduler = ServiceScheduler(engine, config, status=self.status, offload=self.cpu.run)
        self.app = build_app(config, engine, self.status)
        self.exit_code = 0
        self._stop = asyncio.Event()
        self._file_signature = _signature(config_path)
        self._reloading = asyncio.Lock()
        self._tasks: set[asyncio.Task[bool]] = set()

    def request_stop(self, reason: str, exit_code: int = 0) -> None:
        if self._stop.is_set():
            log.info("already stopping (%s)", reason)
            return
        log.info("stopping (%s): no new polls or deliveries", reason)
        self.exit_code = max(self.exit_code, exit_code)
        self.status.stopping = True
        self._stop.set()

    async def reload(self, reason: str) -> bool:
        async with self._reloading:
            self._file_signature = _signature(self.config_path)
            try:
                new = await asyncio.to_thread(load_checked, self.config_path)
                if self.status.stopping:
                    return False
                self.scheduler.apply_config(new, previous=self.config)
            except Exception as exc:  # ConfigError, or anything a hostile file may raise
                message = (
                    exc if isinstance(exc, ObservatoryError) else f"{type(exc).__name__}: {exc}"
                )
                log.error(
                    "configuration not reloaded (%s): %s; the running one stays", reason, message
                )
                return False
            self.config = new
            self.app.state.config = new
            enabled = sum(s.enabled for s in new.sources)
            log.info(
                "configuration reloaded (%s): %d sources enabled, %d subscribers",
                reason,
                enabled,
                len(new.subscribers),
            )
            return True

    def _on_sighup(self) -> None:
        task = asyncio.get_running_loop().create_task(self.reload("SIGHUP"))
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY)
            try:
                await asyncio.to_thread(renew_lease, self.engine, self.lease)
                self.status.heartbeat_at = utcnow()
            except LeaseLost as exc:
                self.status.lease_lost = True
                log.error("%s; stopping", exc)
                self.request_stop("lease lost", exit_code=1)
                return
            except Exception as exc:  # a locked or vanished database: try again next beat
                log.warning("lease heartbeat failed: %s", exc)

    async def _watch_config(self) -> None:
        """Reload on each edit of the file; survives every error (each is logged by reload)."""
        while True:
            await asyncio.sleep(WATCH_EVERY)
            if _signature(self.config_path) != self._file_signature:
                await self.reload("file changed")

    async def main(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop, signal.Signals(sig).name)
        loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
        self.scheduler.start()
        self.status.heartbeat_at = utcnow()
        server = _Server(
            uvicorn.Config(
                self.app,
                host=self.host,
                port=self.port,
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=1,
            )
        )
        serving = loop.create_task(server.serve())
        helpers = [loop.create_task(self._heartbeat()), loop.create_task(self._watch_config())]
        where = await listening(server, serving, (self.host, self.port))
        if where is not None:
            log.info(
                "observatory running: %d sources, %d subscribers, web on http://%s:%s",
                sum(s.enabled for s in self.config.sources),
                len(self.config.subscribers),
                where[0],
                where[1],
            )
            stop_wait = loop.create_task(self._stop.wait())
            await asyncio.wait({stop_wait, serving}, return_when=asyncio.FIRST_COMPLETED)
            if serving.done() and not self._stop.is_set():
                self.request_stop("web server ended", exit_code=1)
        else:
            self.request_stop("web server failed to start", exit_code=1)
        await self.scheduler.stop(grace=STOP_GRACE)
        self.cpu.shutdown()
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(serving), timeout=1.5)
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        log.info("stopped")
        return self.exit_code


def _run_loop(coro: Coroutine[Any, Any, int]) -> int:
    """Like asyncio.run, but without waiting for worker threads that outlive the grace period."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(coro)
    finally:
        leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.wait(leftovers, timeout=1.0))
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()


def run_service(config_path: Path, db_url: str | None, host: str, port: int) -> int:
    """Run until stopped; the exit code. Raises ConfigError (2) or LeaseHeld (1) before starting."""
    config = load_config(config_path)
    engine = open_db(db_url)
    lease = acquire_lease(engine)
    log.info(
        "scheduler lease taken: host %s, pid %s, since %s",
        socket.gethostname(),
        lease.pid,
        iso(lease.since),
    )
    try:
        return _run_loop(Service(config_path, config, engine, lease, host, port).main())
    finally:
        try:
            release_lease(engine, lease)
            log.info("scheduler lease released")
        except Exception as exc:  # it expires on its own after LEASE_TTL
            log.warning("could not release the scheduler lease: %s", exc)
        engine.dispose()
