"""The site of bench/cluster_bench.py: many pages on many loopback hosts, slow, sometimes changing.

One asyncio process listens on 127.0.1.1 ... 127.0.1.<hosts> (loopback only). Page ``/p/<i>.html``
answers after a random 0.2-2 s; it changes as a Poisson process of ``rate`` per minute (seeded,
so a run can be replayed), carries an ETag and answers ``If-None-Match`` with 304. robots.txt is
a fast 404. Every request is logged, one line ``host path arrival end status version``, and the
log is flushed on SIGTERM.
"""

from __future__ import annotations

import asyncio
import bisect
import random
import signal
import sys
import time
from pathlib import Path

PAGE = """<!doctype html><html><head><title>Page {i}</title></head><body>
<nav>home | news | about</nav><main><h1>Guidance note {i}</h1>
<p>Version {v} of the note on artificial intelligence in the medicinal product lifecycle.</p>
{paras}</main><footer>contact</footer></body></html>"""


class Site:
    def __init__(self, pages: int, rate_per_min: float, seed: int, log: Path) -> None:
        self.t0 = time.time()
        self.changes: list[list[float]] = []
        rng = random.Random(seed)
        for _ in range(pages):
            times, t = [], 0.0
            while t < 6 * 3600:
                t += rng.expovariate(rate_per_min / 60.0)
                times.append(t)
            self.changes.append(times)
        self.rng = random.Random(seed + 1)
        self.log = log.open("w", buffering=1)  # line-buffered: the bench reads it live

    def version(self, i: int) -> int:
        return bisect.bisect_right(self.changes[i], time.time() - self.t0)

    def body(self, i: int, v: int) -> bytes:
        paras = "\n".join(f"<p>Paragraph {k} of note {i}, unchanged text.</p>" for k in range(12))
        return PAGE.format(i=i, v=v, paras=paras).encode()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrival = time.time()
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split()[1]
                headers = dict(
                    (k.strip().lower(), v.strip())
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                )
                status, body, etag, version = await self.answer(path, headers)
                extra = f"ETag: {etag}\r\n" if etag else ""
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: text/html; charset=utf-8\r\n"
                    f"Content-Length: {len(body)}\r\n{extra}\r\n".encode()
                    + body
                )
                await writer.drain()
                self.log.write(
                    f"{host} {path} {arrival:.4f} {time.time():.4f} {status} {version}\n"
                )
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    async def answer(self, path: str, headers: dict[str, str]) -> tuple[int, bytes, str, int]:
        if not path.startswith("/p/"):
            return 404, b"not found", "", -1
        i = int(path[3:].split(".")[0])
        await asyncio.sleep(self.rng.uniform(0.2, 2.0))
        v = self.version(i)
        etag = f'"{i}-{v}"'
        if headers.get("if-none-match") == etag:
            return 304, b"", etag, v
        return 200, self.body(i, v), etag, v


async def main(hosts: int, port: int, pages: int, rate: float, seed: int, log: Path) -> None:
    site = Site(pages, rate, seed, log)
    addresses = [f"127.0.1.{h + 1}" for h in range(hosts)]
    server = await asyncio.start_server(site.handle, addresses, port, backlog=512)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    async with server:
        await stop.wait()
    site.log.flush()


def serve_forever(argv: list[str]) -> None:
    hosts, port, pages, rate, seed, log = argv
    asyncio.run(main(int(hosts), int(port), int(pages), float(rate), int(seed), Path(log)))


if __name__ == "__main__":
    serve_forever(sys.argv[1:])
