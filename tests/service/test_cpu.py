"""The service's worker processes: a worker that dies or runs out of memory fails only the
step it ran (an error on that source), and the next step runs in a pool started again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from observatory.errors import ExtractError
from observatory.service.cpu import CpuPool


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer or a crash would


def _hog(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024**2))


def _run(pool: CpuPool, *calls: tuple[object, ...]) -> list[object]:
    """Each call run in *pool*, in turn: its result, or the exception it raised."""

    async def go() -> list[object]:
        out: list[object] = []
        for fn, *args in calls:
            try:
                out.append(await pool.run(fn, *args))  # type: ignore[arg-type]
            except Exception as exc:
                out.append(exc)
        return out

    try:
        return asyncio.run(go())
    finally:
        pool.shutdown()


def test_a_worker_killed_mid_step_fails_that_step_and_the_pool_carries_on() -> None:
    died, after = _run(CpuPool(workers=1), (_die,), (sum, [1, 2, 3]))
    assert isinstance(died, ExtractError) and "died" in died.message
    assert after == 6


def test_a_step_over_the_memory_cap_fails_alone() -> None:
    cap = 1024  # megabytes of address space per worker
    pool = CpuPool(workers=1, memory_limit=cap * 1024**2)
    hog, small = _run(pool, (_hog, 2 * cap), (_hog, 10))
    assert isinstance(hog, MemoryError | ExtractError), hog
    assert small == 10 * 1024**2


OWNER = """
import asyncio, os, sys, time
from observatory.service import cpu
cpu.OWNER_CHECK = 0.1
pool = cpu.CpuPool(workers=2)
asyncio.run(pool.run(sum, [1]))
print(" ".join(str(pid) for pid in pool._pool._processes), flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"  # not a zombie


def test_workers_end_when_the_owner_is_killed() -> None:
    """A SIGKILL of the owner (``observatory run``, a cluster worker) leaves no process behind:
    neither the pool's workers nor the fork server that started them."""
    owner = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    workers = [int(pid) for pid in owner.stdout.readline().split()]
    assert workers and all(_alive(pid) for pid in workers)
    server = {
        int(Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[1]) for pid in workers
    }
    owner.kill()
    owner.wait()
    owner.stdout.close()
    deadline = time.monotonic() + 10
    while any(map(_alive, [*workers, *server])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in [*workers, *server] if _alive(pid)], "left behind"


STOPPER = """
import asyncio, sys, time
from observatory.cli.run import _exit
from observatory.service import cpu
pool = cpu.CpuPool(workers=2)
asyncio.run(pool.run(sum, [1]))
if sys.argv[1] == "stuck":  # a step still running when the owner stops
    async def stuck():
        asyncio.get_running_loop().run_in_executor(pool._pool, time.sleep, 600)
        await asyncio.sleep(0.5)
    asyncio.run(stuck())
started = time.monotonic()
pool.shutdown(wait=1.0)
print(round(time.monotonic() - started, 2), flush=True)
_exit(0)  # as `observatory worker` and `run` end
"""


def test_a_stopped_pool_exits_without_leaked_semaphores() -> None:
    """An operator stopping a worker sees "stopped", not a resource_tracker warning (the
    pool's thread still running made the exit an ``os._exit``, which skips the clean-up)."""
    done = subprocess.run(
        [sys.executable, "-c", STOPPER, "idle"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "leaked" not in done.stderr and "Warning" not in done.stderr, done.stderr


def test_a_step_still_running_at_stop_is_ended_within_the_wait() -> None:
    done = subprocess.run(
        [sys.executable, "-c", STOPPER, "stuck"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < 10, "shutdown waited for the 600 s step"
