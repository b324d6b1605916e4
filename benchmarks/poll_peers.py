"""Poll speed side by side: wirewatch `poll --once`, rss2email and feed2exec on the same feeds.

One local server (its own process, on 127.0.0.1) serves N feeds of M items each, answering
If-None-Match with 304. Each tool runs two cycles from a fresh state directory: the first
(every feed new) and the second (every feed answers 304). Each cycle is one command run as a
child process: its wall time and its peak memory (the largest sum of RSS over the command and
all its descendants, sampled every 100 ms) are printed, then each peer's times over ours.

The peers come from PyPI into a throwaway venv the script makes (`.bench-venv/`, never the
project's own dependencies): rss2email (`r2e run --no-send`, one feed after another) and
feed2exec (`fetch`, concurrent).
Every tool reads compiled bytecode (wirewatch's compiled once into a folder of the cache,
before it is timed), as an installed tool does.
CPU is the user and system time of the command and its descendants, a fairer figure than wall
time on a loaded machine. `--before DIR` also runs another wirewatch source tree (e.g. `git
archive` of an older commit's src/) with this venv, to compare before and after in one run.
Run: .venv/bin/python benchmarks/poll_peers.py [--feeds 1000] [--items 50] [--only wirewatch]
     [--before DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

from poll import item  # noqa: E402
from wirewatch.demo import FeedServer  # noqa: E402

PEERS_VENV = REPO / ".bench-venv"
CACHE = Path(
    os.environ.get("WIREWATCH_CACHE_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wirewatch"
)
"""wirewatch's usual cache folder: a fresh state directory per tool, but not a fresh cache."""
PEERS = ("rss2email==3.14", "feed2exec==0.23.0")
PAGE = os.sysconf("SC_PAGE_SIZE")
LISTEN_QUEUE = 128
SAMPLE_EVERY = 0.1
"""Seconds between two looks at a command's process tree (each look reads /proc)."""


class CountingServer(FeedServer):
    """The demo feed server, counting its answers by status (to show each cycle's 200s and
    304s: a tool that sent no conditional request would show no 304s)."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        super().__init__()
        # socketserver listens with a queue of 5: a client opening its 10 connections at once
        # overflowed it, the kernel dropped the SYNs, and they were sent again a second later
        # (a 1 s stall in some runs, seen as ListenOverflows in /proc/net/netstat). Real
        # servers queue more (nginx 511); re-listening on Linux sets the new length.
        self.server.socket.listen(LISTEN_QUEUE)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        statuses = self.statuses

        class Counting(super()._handler()):  # type: ignore[misc]
            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                statuses[status] += 1
                super()._reply(status, body, headers)

        return Counting


def serve(count: int, per_feed: int, control: Connection) -> None:
    """The feed server, in its own process so that it does not share the tools' cores. Each
    message received is answered with the statuses counted since the last one; "stop" stops."""
    server = CountingServer()
    for n in range(count):
        server.add_feed(f"feed{n}", items=[item(n, i) for i in range(per_feed)])
    server.start()
    control.send(server.base_url)
    while control.recv() != "stop":
        control.send(dict(server.statuses))
        server.statuses.clear()
    server.stop()


# ---- measuring a command and its descendants ---------------------------------------------------


def _tree_rss(root: int) -> int:
    """Bytes of RSS of `root` and every descendant, from /proc (one stat file per process,
    statm only for the tree)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rpartition(")")[2].split()[1]), []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        todo.extend(children.get(pid, ()))
    return total


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float, int]:
    """`(seconds, CPU seconds, peak MB of the process tree, exit code)` of one run."""
    started, cpu = time.perf_counter(), _children_cpu()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(SAMPLE_EVERY)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu
    done.set()
    sampler.join()
    if process.returncode not in (0, 1):
        tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
        print(f"  {command[0]} exited {process.returncode}: {' | '.join(tail)}")
    return elapsed, cpu, peak / 2**20, process.returncode


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ---- the three tools ---------------------------------------------------------------------------


def wirewatch(work: Path, urls: list[str]) -> list[str]:
    """`wirewatch poll --once`, run by this venv's Python (from `$WIREWATCH_SRC` if set)."""
    config = work / "wirewatch.yaml"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(work),
                "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                "feeds": [{"url": u, "name": f"feed{n}"} for n, u in enumerate(urls)],
                "fetch": {"concurrency": 10, "per_host": 10, "allow_networks": ["127.0.0.1"]},
            }
        )
    )
    start = "import sys; from wirewatch.cli import main; sys.exit(main())"
    return [sys.executable, "-c", start, "poll", "--once", "--config", str(config)]


def rss2email(work: Path, urls: list[str]) -> list[str]:
    config = work / "rss2email.cfg"
    sections = "".join(f"\n[feed.feed{n}]\nurl = {u}\n" for n, u in enumerate(urls))
    config.write_text(f"[DEFAULT]\nto = bench@example.org\nfrom = bench@example.org\n{sections}")
    data = work / "rss2email.json"
    return [str(PEERS_VENV / "bin/r2e"), "-c", str(config), "-d", str(data), "run", "--no-send"]


def feed2exec(work: Path, urls: list[str]) -> list[str]:
    config = work / "feed2exec.ini"
    config.write_text("".join(f"[feed{n}]\nurl = {u}\n\n" for n, u in enumerate(urls)))
    database = work / "feed2exec.db"
    return [
        str(PEERS_VENV / "bin/feed2exec"),
        "--config",
        str(config),
        "--database",
        str(database),
        "fetch",
    ]


TOOLS: dict[str, Callable[[Path, list[str]], list[str]]] = {
    "wirewatch": wirewatch,
    "rss2email": rss2email,
    "feed2exec": feed2exec,
}


def ensure_peers() -> None:
    if (PEERS_VENV / "bin/r2e").exists() and (PEERS_VENV / "bin/feed2exec").exists():
        return
    print(f"installing {', '.join(PEERS)} into {PEERS_VENV} ...")
    subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    pip = [str(PEERS_VENV / "bin/pip"), "install", "-q", *PEERS]
    subprocess.run(pip, check=True, stderr=subprocess.DEVNULL)


Run = tuple[float, float, float, int, dict[int, int]]
"""One cycle: seconds, CPU seconds, peak MB, exit code, the server's answers by status."""


def run_tool(
    name: str, urls: list[str], answers: Callable[[], dict[int, int]], src: Path
) -> list[Run]:
    """The tool's two cycles from one fresh state directory: first, then all 304."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "HOME": tmp, "XDG_CONFIG_HOME": tmp, "XDG_DATA_HOME": tmp}
        env.pop("WIREWATCH_CONFIG", None)
        env["WIREWATCH_CACHE_DIR"] = str(CACHE)  # the gazetteer index, built once per machine
        env["PYTHONPATH"] = str(src)
        _compiled(env, src if name == "wirewatch" else None)
        command = TOOLS[name](work, urls)
        answers()
        return [(*measure(command, work, env), answers()) for _ in range(2)]


def _compiled(env: dict[str, str], src: Path | None) -> None:
    """Let the command read compiled bytecode, as an installed tool does (pip compiles the
    peers' modules at install; wirewatch runs from `src/`, and PYTHONDONTWRITEBYTECODE, if
    set, would make it compile every module on every run). The bytecode goes to a folder
    outside the source tree, compiled here, before the command is timed."""
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(CACHE / "bench-pycache")
    if src is not None:
        compile_all = [sys.executable, "-m", "compileall", "-q", str(src)]
        subprocess.run(compile_all, env=env, check=True, stdout=subprocess.DEVNULL)


def show(run: Run) -> str:
    seconds, cpu, peak, code, statuses = run
    counts = " ".join(f"{n}x{status}" for status, n in sorted(statuses.items()))
    return f"{seconds:6.2f} s ({cpu:5.2f} s CPU), peak {peak:4.0f} MB, exit {code}, {counts}"


def main(count: int, per_feed: int, only: list[str], before: Path | None) -> None:
    if any(name != "wirewatch" for name in only):
        ensure_peers()
    runs = [(name, name, REPO / "src") for name in only]
    if before is not None:
        runs.insert(0, ("before", "wirewatch", before))
    control, child_end = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(
        target=serve, args=(count, per_feed, child_end)
    )
    server.start()

    def answers() -> dict[int, int]:
        control.send("count")
        counted: dict[int, int] = control.recv()
        return counted

    try:
        base_url = control.recv()
        urls = [f"{base_url}/feed{n}.xml" for n in range(count)]
        print(f"{count} feeds x {per_feed} items from {base_url}", flush=True)
        results = {}
        for label, name, src in runs:
            load = os.getloadavg()[0]
            first, again = results[label] = run_tool(name, urls, answers, src)
            print(f"{label:>10}: first cycle {show(first)}   (load average {load:.1f})")
            print(f"{'':>10}  all 304     {show(again)}", flush=True)
        ours = results.get("wirewatch")
        for label, (first, again) in results.items():
            if ours and label != "wirewatch":
                print(
                    f"{label:>10} / wirewatch: first cycle {first[0] / ours[0][0]:.1f}x "
                    f"({first[1] / ours[0][1]:.1f}x CPU), all 304 {again[0] / ours[1][0]:.1f}x "
                    f"({again[1] / ours[1][1]:.1f}x CPU)"
                )
    finally:
        control.send("stop")
        server.join()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--only", action="append", choices=list(TOOLS), help="repeatable")
    parser.add_argument("--before", type=Path, help="also run the wirewatch of this src/ first")
    args = parser.parse_args()
    before = args.before.resolve() if args.before else None
    main(args.feeds, args.items, args.only or list(TOOLS), before)
