"""The daemon's lifecycle: start an App, reload it on SIGHUP or file change, stop gracefully.

`app.build` makes every part; the daemon only starts, swaps and stops them. One asyncio process
runs the feed scheduler, the outbox dispatcher, retention and the HTTP server. SIGTERM/SIGINT
stop scheduling, let in-flight polls and deliveries finish within `daemon.grace`, give back
this instance's feed leases, close the store and exit 0; a second signal stops at once (the
outbox keeps whatever was not delivered). A signal during startup is the same clean stop:
`wirewatch run` catches it from its first instant (`stops.Stops`) and the daemon acts on it
once it can.

A reload reads the files into a new App (`app.rebuild`, sharing the parts that live as long as
the process) and swaps it in. It keeps the old config when the new one fails for any reason or
is refused (see `reloading`); `/readyz` shows why. A poll whose work cannot be stored (a locked
database, a full disk, a read-only data directory) logs one `poll_not_stored` line, counts as a
failed poll and makes `/readyz` degraded until a write succeeds again (see `ingest.polling`).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from typing import Any

import structlog

from wirewatch import app as composition
from wirewatch import reloading
from wirewatch.app import App
from wirewatch.errors import ConfigError, StoreError, UserError
from wirewatch.loading import Loaded, load_everything
from wirewatch.observability.api import warn_if_exposed
from wirewatch.retention import keep_pruning
from wirewatch.stops import Stops

log = structlog.get_logger("wirewatch.daemon")


class Daemon:
    """Runs one App until a signal; `wirewatch run` builds it from one config file."""

    def __init__(
        self,
        app: App,
        path: str,
        *,
        stops: Stops | None = None,
        load: Callable[[str], Loaded] = load_everything,
    ):
        self.app = app
        self.path = path
        self._load = load
        self.stops = stops or Stops()
        self.stop_requested = asyncio.Event()

    @property
    def loaded(self) -> Loaded:
        """The config in force."""
        return self.app.loaded

    async def run(self) -> int:
        """Run until a signal; return the exit code."""
        self._install_signals()
        warmed = await self.app.open()
        port = await self._start_http()
        if self.stop_requested.is_set():  # stopped while starting: nothing was scheduled yet
            await self._shutdown([])
            return 0
        app = self.app
        app.scheduler.set_jobs(app.jobs)
        app.scheduler.start()
        pruning = keep_pruning(app.loaded.config, app.store, app.pipeline.stories, app.clock)
        tasks = [
            asyncio.create_task(app.dispatcher.run(self.stop_requested), name="dispatcher"),
            asyncio.create_task(pruning, name="retention"),
            asyncio.create_task(self._watch_files(), name="watch-files"),
        ]
        log.info(
            "daemon_started",
            instance=app.instance,
            feeds=len(app.feeds),
            watchlists=list(app.loaded.matchers),
            stories_warmed=warmed,
            http_port=port,
        )
        await self.stop_requested.wait()
        await self._shutdown(tasks)
        return 0

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        self.stops.attach(loop, self._stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload("SIGHUP")))

    def _stop(self, signal_name: str) -> None:
        log.info("stopping", signal=signal_name, grace=self.loaded.config.daemon.grace)
        self.stop_requested.set()

    async def _start_http(self) -> int | None:
        """Serve HTTP if enabled; a port in use is the config's fault: one line, exit 2."""
        http = self.loaded.config.http
        if not http.enabled:
            return None
        try:
            port = await self.app.http.start(http.host, http.port)
        except OSError as e:
            await self._shutdown([], quiet=True)  # the error line says it all
            reason = os.strerror(e.errno).lower() if e.errno else str(e)
            raise UserError(
                f"http: cannot listen on {http.host}:{http.port}: {reason}; set http.port "
                "(or WIREWATCH_HTTP__PORT) to a free port, or stop the program using it"
            ) from None
        warn_if_exposed(http, port)
        return port

    async def _shutdown(self, tasks: list[asyncio.Task[Any]], *, quiet: bool = False) -> None:
        app = self.app
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.loaded.config.daemon.grace
        await app.scheduler.stop(self.loaded.config.daemon.grace)
        await app.dispatcher.drain(max(0.0, deadline - loop.time()))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:  # the other instances (or a `poll --once`) need not wait for them to expire
            await app.pipeline.release(f.key for f in app.feeds)
        except StoreError as e:
            log.info("leases_kept", error=str(e), note="they expire by themselves")
        await app.aclose()
        if not quiet:
            log.info("stopped")

    async def reload(self, reason: str) -> bool:
        """Read the config files again; apply them if they are valid and not refused (an
        explicit SIGHUP is never refused), else keep the old ones. Never raises."""
        try:
            loaded = await asyncio.to_thread(self._load, self.path)
            refused = None if reason == "SIGHUP" else await self._refusal(loaded)
            if refused is None:
                self._swap(composition.rebuild(self.app, loaded))
        except Exception as e:  # YAML, validation, MemoryError, a bug: the old config stays
            error = str(e) if isinstance(e, ConfigError) else f"{type(e).__name__}: {e}"
            return self._reload_not_applied("failed", reason, error)
        if refused is not None:
            return self._reload_not_applied("refused", reason, refused)
        self.app.api.reload_error = None
        self.app.metrics.reload("ok")
        log.info(
            "reloaded", reason=reason, feeds=len(self.app.feeds), watchlists=list(loaded.matchers)
        )
        return True

    async def _refusal(self, loaded: Loaded) -> str | None:
        return reloading.refusal(
            feeds_now=sum(f.enabled for f in self.loaded.config.feeds),
            feeds_new=sum(f.enabled for f in loaded.config.feeds),
            queued=await self.app.store.outbox_depth_by_notifier(),
            notifiers_new=loaded.notifier_names,
        )

    def _swap(self, new: App) -> None:
        new.install()
        self.app = new

    def _reload_not_applied(self, result: str, reason: str, error: str) -> bool:
        line = " ".join(error.split())
        self.app.api.reload_error = f"config reload {result}: {line[:500]}"
        self.app.metrics.reload("failed" if result == "failed" else "refused")
        log.error(f"reload_{result}", reason=reason, error=line, note="the old config stays")
        return False

    async def _watch_files(self) -> None:
        if self.loaded.config.daemon.watch_files:
            await reloading.watch(lambda: self.loaded.files, lambda: self.reload("file_changed"))
