"""Poll N local pages with `observatory check` and with urlwatch; print CPU and wall time.

One run of this script builds a fresh world, polls it with both tools and prints one table:

- N EMA-like HTML pages (20-40 KB each: head scripts, header, nav, breadcrumb, a <main> region
  filled with text of the AI Act from ../shared/corpus, related links, footer, analytics script),
  generated into a temporary folder and served by nginx on loopback ports. nginx serves the same
  folder twice: port "304" sends ETag/Last-Modified and answers conditional GETs with 304
  (`if_modified_since before`, so urlwatch's If-Modified-Since also matches); port "200" sends no
  ETag and ignores If-Modified-Since, so every GET is a full 200 for both tools.
- Each tool polls the same URL list: observatory with `select: main` per source, urlwatch with
  `filter: [css: main, html2text]` per job. Each run starts from an empty database/cache: poll 1
  (every page new), then poll 2 (every page unchanged; 200 or 304 depending on the port).
- Each poll is one subprocess; its CPU time is the child's user+sys from os.wait4 (children of
  the tool included; nginx is not a child of the tool, so server CPU is never counted).
- The pages are spread round-robin over --hosts loopback addresses (127.0.0.1, 127.0.0.2, ...).
  Observatory's fetcher runs one request at a time per host name by design; urlwatch runs 10 jobs
  at once whatever the host. --hosts 16 (the default, = our concurrency) lets both fetch in
  parallel; --hosts 1 shows the per-host serialisation (CPU is unaffected, wall time is not).

The nginx access log is read back after each poll to show the HTTP statuses each tool actually
got, and each tool's own report is parsed to show its outcomes: a row whose outcome or statuses
are not what the scenario intends is visible in the table, not hidden.

Usage: .venv/bin/python bench/poll_bench.py [--pages 500] [--runs 3] [--hosts 16]
"""

from __future__ import annotations

import argparse
import collections
import html
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "ai-act" / "final-2024-1689.txt"
URLWATCH_VENV = Path("/tmp/urlwatch-venv")


# --- pages ------------------------------------------------------------------------------------

NAV = [
    "Medicines",
    "Human regulatory",
    "Veterinary regulatory",
    "Committees",
    "News & events",
    "Partners & networks",
    "About us",
    "Data regulation",
    "Artificial intelligence",
    "Scientific guidelines",
    "Clinical trials",
    "Pharmacovigilance",
    "Inspections",
    "Research and development",
    "Marketing authorisation",
    "Post-authorisation",
]


def corpus_paragraphs(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return [p for p in paras if len(p) >= 40]


def _chrome_head(rng: random.Random, title: str) -> str:
    settings = {
        "path": {"baseUrl": "/", "currentPath": f"node/{rng.randint(1000, 99999)}"},
        "ajaxPageState": {"libraries": ",".join(f"ema/lib{i}" for i in range(60))},
        "ecl": {"i18n": {k: k.upper() * 3 for k in NAV}},
        "nonce": rng.getrandbits(64),
    }
    scripts = "".join(
        f'<script src="/core/assets/vendor/lib{i}.js?v={rng.getrandbits(24)}"></script>\n'
        for i in range(8)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en" dir="ltr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)} | European Medicines Agency (EMA)</title>\n"
        '<link rel="stylesheet" href="/themes/ema/css/ecl-ec.css">\n'
        '<script type="application/json" data-drupal-selector="drupal-settings-json">'
        f"{json.dumps(settings)}</script>\n{scripts}</head>\n"
    )


def _nav(rng: random.Random) -> str:
    items = []
    for label in NAV:
        subs = "".join(
            f'<li><a href="/en/{label.lower().replace(" ", "-")}/s{j}">{label} topic {j}</a></li>'
            for j in range(rng.randint(2, 5))
        )
        items.append(
            f'<li class="ecl-menu__item"><a href="/en/{label.lower().replace(" ", "-")}"'
            f'>{label}</a><ul class="ecl-menu__sublist">{subs}</ul></li>'
        )
    return (
        '<header class="ecl-site-header"><a href="#main-content" class="skip-link">Skip to main '
        'content</a><div class="ecl-site-header__language"><a href="/en">English</a> <a href="/fr">'
        'Français</a> <a href="/de">Deutsch</a></div><form class="ecl-search-form" action="/en/'
        'search"><input name="search_api_fulltext" type="search"><button>Search</button></form>'
        f'</header>\n<nav class="ecl-menu" aria-label="Main navigation"><ul>{"".join(items)}'
        '</ul></nav>\n<nav class="ecl-breadcrumb" aria-label="You are here:"><ol><li><a href="/'
        'en">Home</a></li><li><a href="/en/about-us">About us</a></li><li>How we work</li></ol>'
        "</nav>\n"
    )


def _footer(rng: random.Random) -> str:
    links = "".join(f'<li><a href="/en/footer/{i}">Footer link {i}</a></li>' for i in range(40))
    analytics = "var _paq=window._paq||[];" + "".join(
        f"_paq.push(['setCustomDimension',{i},'{rng.getrandbits(32):x}']);" for i in range(30)
    )
    return (
        f'<aside class="related"><h2>Related content</h2><ul>{links[:1500]}</ul></aside>\n'
        f'<footer class="ecl-site-footer"><ul>{links}</ul><p>© 1995-2025 European Medicines '
        "Agency. European Union agencies network.</p></footer>\n"
        f"<script>{analytics}</script>\n</body>\n</html>\n"
    )


def make_page(rng: random.Random, paras: list[str], number: int) -> str:
    """One EMA-like page of 20-40 KB whose <main> holds a run of AI Act paragraphs."""
    target = rng.randint(20_000, 40_000)
    title = f"Artificial intelligence in the medicinal product lifecycle, part {number}"
    start = rng.randrange(len(paras))
    head, nav = _chrome_head(rng, title), _nav(rng)
    foot = _footer(rng)
    main = [
        f'<main id="main-content" class="ecl-container"><h1 class="ecl-page-header__title">'
        f'{html.escape(title)}</h1><div class="meta">First published: 12/07/2024</div>'
        '<article class="ecl">'
    ]
    size = len(head) + len(nav) + len(foot) + sum(map(len, main))
    i = start
    section = 0
    while size < target - 200:
        para = paras[i % len(paras)]
        i += 1
        if (i - start) % 5 == 1:
            section += 1
            chunk = f'<h2 id="section-{section}">Section {section}: {html.escape(para[:60])}</h2>'
        elif (i - start) % 7 == 0:
            chunk = (
                "<ul>"
                + "".join(
                    f"<li>{html.escape(s.strip())}.</li>" for s in para.split(";") if s.strip()
                )
                + "</ul>"
            )
        else:
            chunk = f"<p>{html.escape(para)}</p>"
        main.append(chunk)
        size += len(chunk)
    main.append('</article><div class="ecl-social-media-share">Share this page</div></main>\n')
    return head + '<body class="path-node">\n' + nav + "".join(main) + foot


def write_site(site: Path, pages: int, seed: int = 1689) -> int:
    rng = random.Random(seed)
    paras = corpus_paragraphs(CORPUS)
    (site / "p").mkdir(parents=True)
    total = 0
    for n in range(1, pages + 1):
        data = make_page(rng, paras, n).encode("utf-8")
        (site / "p" / f"{n:04d}.html").write_bytes(data)
        total += len(data)
    return total


# --- nginx ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def host(index: int) -> str:
    return f"127.0.0.{1 + index}"


@dataclass
class Server:
    ports: dict[str, int]  # variant ("200" | "304") -> port
    log: Path
    kind: str


@contextmanager
def nginx(work: Path, site: Path, hosts: int) -> Iterator[Server]:
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(exe).exists():
        sys.exit("poll_bench: nginx not found; install it with `apt-get install -y nginx`")
    ports = {"304": free_port(), "200": free_port()}
    prefix = work / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    log = prefix / "access.log"
    rules = {"304": "etag on; if_modified_since before;", "200": "etag off; if_modified_since off;"}
    servers = "".join(
        "server {\n"
        + "".join(f"  listen {host(h)}:{port};\n" for h in range(hosts))
        + f"  root {site};\n  {rules[variant]}\n}}\n"
        for variant, port in ports.items()
    )
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\nevents {{ worker_connections 1024; }}\n"
        "http {\n  types { text/html html; text/plain txt; }\n  default_type text/plain;\n"
        f"  log_format bench '$server_port $status';\n  access_log {log} bench;\n"
        f"  client_body_temp_path {prefix}/tmp/body;\n  proxy_temp_path {prefix}/tmp/proxy;\n"
        "  sendfile on;\n  keepalive_requests 100000;\n" + servers + "}\n"
    )
    proc = subprocess.Popen(
        [exe, "-p", str(prefix), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((host(hosts - 1), ports["200"]), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    sys.exit(f"poll_bench: nginx did not start: {err.strip()}")
                time.sleep(0.05)
        yield Server(ports, log, f"nginx ({exe}, 1 worker)")
    finally:
        proc.send_signal(signal.SIGQUIT)  # graceful stop
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def statuses_since(log: Path, offset: int) -> tuple[collections.Counter[str], int]:
    with log.open("rb") as f:
        f.seek(offset)
        data = f.read()
    counts = collections.Counter(line.split()[1] for line in data.decode().splitlines() if line)
    return counts, offset + len(data)


# --- measuring one poll -----------------------------------------------------------------------


@dataclass
class Poll:
    wall: float
    cpu: float
    outcome: collections.Counter[str]  # the tool's own verdicts, or "exit N: why"
    http: collections.Counter[str]  # statuses nginx logged during the poll
    valid: bool = True  # every page got the scenario's outcome and status

    def describe(self) -> str:
        outcome = " ".join(
            k if k.startswith("exit") else f"{n} {k}" for k, n in self.outcome.most_common()
        )
        http = " ".join(f"{n}x{s}" for s, n in sorted(self.http.items()))
        return f"{outcome} | {http}" + ("" if self.valid else "  [INVALID: excluded]")


def measured(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> tuple[float, float, int]:
    """Run cmd to its end; (wall s, user+sys CPU s of it and its children, exit code)."""
    with (cwd / "stdout.txt").open("wb") as out, (cwd / "stderr.txt").open("wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        timer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code < 0:
        sys.exit(f"poll_bench: {cmd[0]} killed after {timeout:g}s; see {cwd}/stderr.txt")
    return wall, usage.ru_utime + usage.ru_stime, code


def tool_env(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OBSERVATORY_", "HTTP"))}
    env.update(HOME=str(state), XDG_CONFIG_HOME=str(state / "xdg"), XDG_CACHE_HOME=str(state))
    env.pop("HTTPS_PROXY", None)
    return env


class Tool:
    name = ""

    def prepare(self, state: Path, urls: list[str]) -> None: ...

    def command(self, state: Path) -> list[str]:
        raise NotImplementedError

    def outcome(self, state: Path, pages: int, code: int) -> collections.Counter[str]:
        raise NotImplementedError

    def expected(self, phase: str) -> str:
        """The outcome every page should have in this phase."""
        raise NotImplementedError


class Observatory(Tool):
    name = "observatory"

    def __init__(self, exe: str) -> None:
        self.exe = exe

    def prepare(self, state: Path, urls: list[str]) -> None:
        sources = [
            {"id": f"p{i:04d}", "url": u, "kind": "page", "select": "main"}
            for i, u in enumerate(urls, 1)
        ]
        config = {"settings": {"per_host_delay": 0, "concurrency": 16}, "sources": sources}
        (state / "sources.yaml").write_text(json.dumps(config, indent=1))  # JSON is YAML

    def command(self, state: Path) -> list[str]:
        return [
            self.exe,
            "--config",
            str(state / "sources.yaml"),
            "--db",
            str(state / "obs.db"),
            "check",
            "--format",
            "json",
        ]

    def outcome(self, state: Path, pages: int, code: int) -> collections.Counter[str]:
        try:
            results = json.loads((state / "stdout.txt").read_text())
        except ValueError:
            err = (state / "stderr.txt").read_text().strip().splitlines()
            return collections.Counter({f"exit {code}: {err[-1] if err else 'no JSON'}": 1})
        return collections.Counter(r["outcome"] for r in results)

    def expected(self, phase: str) -> str:
        return {"first": "new", "second/200": "unchanged"}.get(phase, "not_modified")


class Urlwatch(Tool):
    name = "urlwatch"

    def __init__(self, exe: str) -> None:
        self.exe = exe

    def prepare(self, state: Path, urls: list[str]) -> None:
        jobs = [
            {"name": f"p{i:04d}", "url": u, "filter": [{"css": "main"}, "html2text"]}
            for i, u in enumerate(urls, 1)
        ]
        (state / "urls.yaml").write_text("\n---\n".join(json.dumps(j) for j in jobs) + "\n")
        config = {"report": {"stdout": {"enabled": True, "color": False}}}
        (state / "urlwatch.yaml").write_text(json.dumps(config))

    def command(self, state: Path) -> list[str]:
        return [
            self.exe,
            "--urls",
            str(state / "urls.yaml"),
            "--config",
            str(state / "urlwatch.yaml"),
            "--cache",
            str(state / "cache.db"),
            "--hooks",
            str(state / "hooks.py"),
        ]

    def outcome(self, state: Path, pages: int, code: int) -> collections.Counter[str]:
        if code != 0:
            err = (state / "stderr.txt").read_text().strip().splitlines()
            return collections.Counter({f"exit {code}: {err[-1] if err else ''}": 1})
        out = (state / "stdout.txt").read_text(errors="replace")
        counts = collections.Counter(
            m.group(1).lower() for m in re.finditer(r"^(NEW|CHANGED|ERROR): ", out, re.M)
        )
        counts["unchanged*"] = pages - sum(counts.values())
        return +counts  # drop zero counts

    def expected(self, phase: str) -> str:
        return "new" if phase == "first" else "unchanged*"  # urlwatch does not tell 304 apart


# --- the matrix -------------------------------------------------------------------------------


@dataclass
class Cell:
    polls: list[Poll] = field(default_factory=list)

    @property
    def valid(self) -> list[Poll]:
        return [p for p in self.polls if p.valid]

    def median(self, attr: str) -> float:
        """Median over the valid polls; NaN when none was valid."""
        values = [getattr(p, attr) for p in self.valid]
        return statistics.median(values) if values else math.nan


def run_matrix(
    args: argparse.Namespace, tools: list[Tool], server: Server, work: Path
) -> dict[tuple[str, str], Cell]:
    cells: dict[tuple[str, str], Cell] = collections.defaultdict(Cell)
    offset = server.log.stat().st_size
    for run in range(args.runs):  # runs interleave the tools, so drift hits both alike
        for tool in tools:  # the fixed cost: start, load an empty config, open the store, exit
            state = work / f"{tool.name}-startup-{run}"
            state.mkdir()
            tool.prepare(state, [])
            wall, cpu, code = measured(tool.command(state), state, tool_env(state), args.timeout)
            exit_code = collections.Counter({f"exit {code}": 1})
            cells[(tool.name, "startup")].polls.append(
                Poll(wall, cpu, exit_code, collections.Counter(), valid=code == 0)
            )
            print(
                f"  run {run + 1} {tool.name:<11} startup (no pages): wall {wall:6.2f}s "
                f"cpu {cpu:6.2f}s",
                file=sys.stderr,
                flush=True,
            )
        for variant in ("200", "304"):
            port = server.ports[variant]
            urls = [
                f"http://{host(i % args.hosts)}:{port}/p/{i + 1:04d}.html"
                for i in range(args.pages)
            ]
            for tool in tools:
                state = work / f"{tool.name}-{variant}-{run}"
                state.mkdir()
                tool.prepare(state, urls)
                for poll in ("1 new", "2 unchanged"):
                    wall, cpu, code = measured(
                        tool.command(state), state, tool_env(state), args.timeout
                    )
                    http, offset = statuses_since(server.log, offset)
                    # a first poll is all-new on either port, so both ports feed one row
                    phase = "first" if poll.startswith("1") else f"second/{variant}"
                    outcome = tool.outcome(state, args.pages, code)
                    status = "304" if phase == "second/304" else "200"
                    valid = (
                        outcome[tool.expected(phase)] == args.pages and http[status] == args.pages
                    )
                    row = Poll(wall, cpu, outcome, http, valid)
                    cells[(tool.name, phase)].polls.append(row)
                    print(
                        f"  run {run + 1} {tool.name:<11} port {variant} poll {poll[0]}: "
                        f"wall {wall:6.2f}s cpu {cpu:6.2f}s  {row.describe()}",
                        file=sys.stderr,
                        flush=True,
                    )
    return cells


PHASES = ("startup", "first", "second/200", "second/304")


def print_table(cells: dict[tuple[str, str], Cell], pages: int) -> None:
    header = (
        f"{'tool':<12}{'poll':<12}{'pages':>6}{'n':>5}{'wall s':>8}{'CPU s':>8}"
        f"{'CPU ms/page':>12}{'net ms/page':>12}{'polls/s':>9}{'polls/CPU-s':>12}"
        "  outcome | HTTP statuses (last poll)"
    )
    print(header)
    print("-" * len(header))
    for phase in PHASES:
        for tool in ("observatory", "urlwatch"):
            if (tool, phase) not in cells:
                continue
            c, n = cells[(tool, phase)], 0 if phase == "startup" else pages
            cpu, per_page, net, rate, per_cpu = c.median("cpu"), "", "", "", ""
            if n:
                per_page = f"{1000 * cpu / n:.2f}"
                rate, per_cpu = f"{n / c.median('wall'):.0f}", f"{n / cpu:.0f}"
                if (tool, "startup") in cells:
                    net = f"{1000 * (cpu - cells[(tool, 'startup')].median('cpu')) / n:.2f}"
            count = f"{len(c.valid)}/{len(c.polls)}"
            print(
                f"{tool:<12}{phase:<12}{n:>6}{count:>5}{c.median('wall'):>8.2f}{cpu:>8.2f}"
                f"{per_page:>12}{net:>12}{rate:>9}{per_cpu:>12}  {c.polls[-1].describe()}"
            )
    if not any(tool == "urlwatch" for tool, _ in cells) or not any(
        tool == "observatory" for tool, _ in cells
    ):
        return
    print("\nratio observatory / urlwatch of the medians (< 1: observatory is cheaper)")
    so, st = cells.get(("observatory", "startup")), cells.get(("urlwatch", "startup"))
    for phase in PHASES:
        ours, theirs = cells.get(("observatory", phase)), cells.get(("urlwatch", phase))
        if ours and theirs:
            line = (
                f"  {phase:<11} wall x{ours.median('wall') / theirs.median('wall'):.2f}   "
                f"CPU x{ours.median('cpu') / theirs.median('cpu'):.2f}"
            )
            if phase != "startup" and so and st:
                net_ours = ours.median("cpu") - so.median("cpu")
                net_theirs = theirs.median("cpu") - st.median("cpu")
                line += f"   net CPU (startup taken off) x{net_ours / net_theirs:.2f}"
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--hosts",
        type=int,
        default=16,
        choices=range(1, 255),
        metavar="1-254",
        help="loopback addresses the pages are spread over (default 16)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="kill a poll after this")
    parser.add_argument("--tools", default="observatory,urlwatch")
    parser.add_argument("--observatory", default=str(ROOT / ".venv" / "bin" / "observatory"))
    parser.add_argument(
        "--urlwatch", default=shutil.which("urlwatch") or str(URLWATCH_VENV / "bin" / "urlwatch")
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tools: list[Tool] = []
    for name in args.tools.split(","):
        exe = args.observatory if name == "observatory" else args.urlwatch
        if not Path(exe).exists():
            sys.exit(f"poll_bench: {name} not found at {exe} (see bench/README.md)")
        tools.append(Observatory(exe) if name == "observatory" else Urlwatch(exe))

    work = Path(tempfile.mkdtemp(prefix="poll_bench-"))
    work.chmod(0o755)  # nginx workers run as nobody
    try:
        site = work / "site"
        size = write_site(site, args.pages)
        with nginx(work, site, args.hosts) as server:
            print(
                f"pages: {args.pages} ({size / args.pages / 1024:.1f} KiB mean) on "
                f"{args.hosts} loopback host(s); server: {server.kind}; runs: {args.runs}; "
                f"cpus: {os.cpu_count()}",
                flush=True,
            )
            cells = run_matrix(args, tools, server, work)
        print()
        print_table(cells, args.pages)
        print(
            "\nCPU = user+sys of the tool's process tree (os.wait4); server CPU not counted. "
            "net = (CPU - startup CPU) / pages. n = valid polls behind each median / polls run "
            "(first polls run on both ports; an invalid poll is one where some page did not get "
            "the intended outcome or HTTP status). polls/s = pages / median wall time of the "
            "whole process (start-up included); polls/CPU-s = pages / median CPU. "
            "'unchanged*' for urlwatch = pages "
            "without a NEW/CHANGED/ERROR line.",
            flush=True,
        )
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
