"""What ``/healthz`` (liveness) and ``/readyz`` (readiness) answer, and the HTTP server that also serves ``/metrics``.

Liveness means the worker can still make progress: its event loop answered a heartbeat recently and no
fatal error was reported (a stage's consume or commit loop died). Readiness means every stage of the
worker has settled its partition assignment and restored their state. The server runs in a daemon thread,
so a probe or a scrape never waits on the event loop — which is exactly why liveness needs the heartbeat:
a thread that answers is no proof that the loop still turns.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mode import Service
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

logger = logging.getLogger(__name__)

STALL_AFTER_S = 30.0  # no heartbeat this long: the event loop is stuck
EXIT_FATAL = 70  # EX_SOFTWARE: a fatal error inside the worker (logged as CRITICAL before the exit)
SHUTDOWN_DEADLINE_S = 20.0  # after a fatal error, the graceful stop gets this long before the process exits anyway


def exit_within(seconds: float, reason: str) -> None:
    """After a fatal error: a graceful stop can hang on the very client that failed, so the process exits with
    ``EXIT_FATAL`` after ``seconds`` whatever the stop is waiting for."""
    watchdog = threading.Timer(seconds, _exit_now, args=(seconds, reason))
    watchdog.daemon = True
    watchdog.start()


def _exit_now(seconds: float, reason: str) -> None:
    logger.critical("the worker did not stop within %.0fs of a fatal error (%s); exiting", seconds, reason)
    logging.shutdown()
    os._exit(EXIT_FATAL)


class Health:
    def __init__(self, wall: Callable[[], float] = time.monotonic, stall_after: float = STALL_AFTER_S) -> None:
        self._wall = wall
        self._stall_after = stall_after
        self._beat = wall()
        self._fatal: str | None = None
        self._stages: dict[str, bool] = {}
        self._lock = threading.Lock()

    def beat(self) -> None:
        self._beat = self._wall()

    def fail(self, reason: str) -> None:
        """A fatal error: the process is going to exit; until it has, it is not alive."""
        with self._lock:
            self._fatal = self._fatal or reason

    @property
    def failed(self) -> str | None:
        return self._fatal

    def stage(self, name: str, ready: bool) -> None:
        with self._lock:
            self._stages[name] = ready

    def live(self) -> tuple[bool, str]:
        if self._fatal is not None:
            return False, f"fatal: {self._fatal}"
        silent = self._wall() - self._beat
        if silent > self._stall_after:
            return False, f"event loop silent for {silent:.0f}s"
        return True, "ok"

    def ready(self) -> tuple[bool, str]:
        live, why = self.live()
        if not live:
            return False, why
        with self._lock:
            waiting = sorted(name for name, ready in self._stages.items() if not ready)
            known = bool(self._stages)
        if not known:
            return False, "no stage has started"
        if waiting:
            return False, "assigning or restoring: " + ", ".join(waiting)
        return True, "ok"


LAG_PROBE_S = 0.1


class Heartbeat(Service):
    """Beats from the event loop every second: the liveness probe's proof that the loop still turns. With
    ``loop_lag``, also times how late the loop wakes a sleeper (``probe_loop_lag``)."""

    def __init__(self, health: Health, loop_lag: Callable[[float], None] | None = None, **kwargs: Any) -> None:
        self.health = health
        self._loop_lag = loop_lag
        super().__init__(**kwargs)

    @Service.timer(1.0)
    async def _beat(self) -> None:
        self.health.beat()

    @Service.task
    async def _probe(self) -> None:
        if self._loop_lag is not None:
            await probe_loop_lag(self._loop_lag, lambda: self.should_stop)


async def probe_loop_lag(
    observe: Callable[[float], None], stopped: Callable[[], bool], interval_s: float = LAG_PROBE_S
) -> None:
    """Sleep ``interval_s`` again and again and ``observe`` how much later than asked each wake-up came: the
    time the worker's stages, their commits and fetches waited for the loop (a long batch, a collector pause,
    a burst of timers). Every mention in flight waited as long."""
    loop = asyncio.get_running_loop()
    while not stopped():
        woken_by = loop.time() + interval_s
        await asyncio.sleep(interval_s)
        observe(max(0.0, loop.time() - woken_by))


def serve(registry: CollectorRegistry, health: Health, host: str, port: int) -> ThreadingHTTPServer:
    """``/metrics``, ``/healthz`` and ``/readyz`` from a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path in ("/healthz", "/readyz"):
                ok, why = health.live() if path == "/healthz" else health.ready()
                self._reply(200 if ok else 503, (why + "\n").encode(), "text/plain; charset=utf-8")
            else:
                self._reply(404, b"not found: try /metrics, /healthz or /readyz\n", "text/plain; charset=utf-8")

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # probes and scrapes every few seconds are not news

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    logger.info("metrics at http://%s:%d/metrics, health at /healthz and /readyz", host, port)
    return server
