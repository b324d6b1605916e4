"""Parse worker processes that never outlive the daemon that started them.

feedparser is CPU-bound, so the daemon parses in a pool of spawned processes. A daemon stopped
in order shuts the pool down; one killed outright (`kill -9`, the OOM killer) cannot. So each
worker, when it starts:

- ignores SIGINT and SIGTERM: a Ctrl-C or a systemd stop reaches the whole process group, and
  the daemon stops its workers itself, in order;
- asks Linux to kill it when its parent dies (`prctl(PR_SET_PDEATHSIG, SIGKILL)`);
- watches its parent's pid from a thread, where `prctl` does not exist or did not work, and
  exits when it changes (the parent died: the worker was re-parented);
- closes its copies of the pipe ends only the parent uses (the write end of the task queue,
  the read end of the result queue), so that a worker blocked on the task queue reads EOF
  when the parent is gone instead of waiting on a pipe it holds open itself.

multiprocessing's resource tracker reads a pipe whose write ends only the daemon and its
workers hold: once they are all gone it reads EOF and exits too.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")

PR_SET_PDEATHSIG = 1
WATCH_EVERY = 0.5
"""Seconds between two looks at the parent's pid."""


def parse_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes that exit when this process dies."""
    import multiprocessing  # here: a cycle with nothing to parse never loads it
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_worker,
        initargs=(os.getpid(),),
    )


class LazyPool(Executor):
    """`parse_pool(workers)`, made at the first task: a cycle with nothing to parse (every
    feed answering 304) starts no process at all, not even multiprocessing's tracker."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if self.pool is None:
            self.pool = parse_pool(self.workers)
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def start_worker(parent: int) -> None:
    """The pool's initializer, run in each worker (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    die_with_parent()
    _close_parent_pipe_ends(sys._getframe(1).f_locals)
    if os.getppid() != parent:  # the parent died before this worker got here
        os._exit(0)
    watcher = threading.Thread(target=watch_parent, args=(parent,), daemon=True)
    watcher.start()


def die_with_parent() -> bool:
    """Have the kernel SIGKILL this process when its parent dies; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def watch_parent(parent: int, *, every: float = WATCH_EVERY) -> None:
    """Exit this process as soon as `parent` is no longer its parent."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(0)


def _close_parent_pipe_ends(caller: dict[str, object]) -> None:
    """In `concurrent.futures.process._process_worker`, which calls the initializer with the
    queues as its locals: close what the worker never uses. Elsewhere, nothing to do."""
    for name, end in (("call_queue", "_writer"), ("result_queue", "_reader")):
        connection = getattr(caller.get(name), end, None)
        close = getattr(connection, "close", None)
        if callable(close):
            close()
