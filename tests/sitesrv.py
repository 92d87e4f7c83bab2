"""A real HTTP server on loopback serving a fixture site whose pages change between versions.

Files live in ``tests/fixtures/site/v1/``, ``v2/``...; a path missing from the current version
falls back to ``tests/fixtures/site/common/``. Responses carry an ETag and honour
``If-None-Match`` with a 304, as a well-behaved web server does. Tests switch ``site.version``,
add ad-hoc ``routes`` and read ``site.log`` (method, path, headers) to see what was asked.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SITE_ROOT = Path(__file__).parent / "fixtures" / "site"


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Route = Callable[["Handler"], Response]


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        site = self.server.site
        started = time.time()
        path = self.path.split("?", 1)[0]
        site.record((self.command, self.path, dict(self.headers.items())))
        route = site.routes.get(path)
        response = route(self) if route is not None else site.static(path)
        if response.delay:
            time.sleep(response.delay)
        etag = response.headers.get("ETag")
        if etag and self.headers.get("If-None-Match") == etag and response.status == 200:
            response = Response(304, b"", {"ETag": etag})
        self.send_response(response.status)
        headers = {"Content-Length": str(len(response.body)), **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            if self.command != "HEAD":
                self.wfile.write(response.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client is gone (killed, timed out)
            self.close_connection = True
            return
        site.timed(started, time.time(), path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: FixtureSite


class FixtureSite:
    def __init__(self, root: Path = SITE_ROOT, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = root
        self.version = 1
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.times: list[tuple[float, float, str]] = []  # (arrival, response sent, path)
        self._logged = threading.Condition()
        self._server = _Server((host, port), Handler)
        self._server.site = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> FixtureSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def record(self, entry: tuple[str, str, dict[str, str]]) -> None:
        with self._logged:
            self.log.append(entry)
            self._logged.notify_all()

    def timed(self, started: float, ended: float, path: str) -> None:
        with self._logged:
            self.times.append((started, ended, path))

    def requests_for(self, path: str) -> list[tuple[str, str, dict[str, str]]]:
        return [entry for entry in self.log if entry[1].split("?", 1)[0] == path]

    def wait_for_requests(self, *paths: str, timeout: float = 10.0) -> bool:
        """Block until every path in *paths* was requested at least once (False on timeout)."""
        with self._logged:
            return self._logged.wait_for(
                lambda: all(self.requests_for(p) for p in paths), timeout=timeout
            )

    def static(self, path: str) -> Response:
        rel = path.lstrip("/") or "index.html"
        for base in (self.root / f"v{self.version}", self.root / "common"):
            candidate = (base / rel).resolve()
            if base.resolve() in candidate.parents and candidate.is_file():
                body = candidate.read_bytes()
                ctype = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
                if ctype.startswith("text/") or ctype.endswith("xml"):
                    ctype += "; charset=utf-8"
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                return Response(200, body, {"Content-Type": ctype, "ETag": etag})
        return Response(404, b"not found", {"Content-Type": "text/plain"})


def main() -> None:
    """Serve the fixture site by hand: ``python -m tests.sitesrv --port 8765 --version 1``."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--version", type=int, default=1, choices=[1, 2])
    args = parser.parse_args()
    site = FixtureSite(port=args.port)
    site.version = args.version
    site.start()
    print(f"fixture site v{args.version} at {site.base_url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.stop()


if __name__ == "__main__":
    main()
