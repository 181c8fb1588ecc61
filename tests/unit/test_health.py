"""/healthz and /readyz: what they answer, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request

from prometheus_client import CollectorRegistry, Counter

from streams.broker.local import free_port
from streams.observability.health import Health, probe_loop_lag, serve


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_liveness_needs_a_recent_heartbeat_and_no_fatal_error() -> None:
    clock = Clock()
    health = Health(wall=clock, stall_after=30)
    assert health.live() == (True, "ok")
    clock.now += 31
    assert health.live() == (False, "event loop silent for 31s")
    health.beat()
    assert health.live()[0]
    health.fail("track: RuntimeError")
    assert health.live() == (False, "fatal: track: RuntimeError")
    assert health.failed == "track: RuntimeError"


def test_readiness_needs_every_stage_settled() -> None:
    health = Health()
    assert health.ready() == (False, "no stage has started")
    health.stage("dedupe", False)
    health.stage("route", True)
    assert health.ready() == (False, "assigning or restoring: dedupe")
    health.stage("dedupe", True)
    assert health.ready() == (True, "ok")


def test_one_server_answers_metrics_health_and_readiness() -> None:
    registry = CollectorRegistry()
    Counter("mention_router_probe_test", "A counter.", registry=registry).inc()
    health = Health()
    port = free_port()
    server = serve(registry, health, "127.0.0.1", port)
    try:
        status, body = _get(port, "/metrics")
        assert status == 200
        assert "mention_router_probe_test_total 1.0" in body
        assert _get(port, "/healthz") == (200, "ok\n")
        assert _get(port, "/readyz") == (503, "no stage has started\n")
        health.stage("dedupe", True)
        assert _get(port, "/readyz") == (200, "ok\n")
        health.fail("dedupe: KafkaError")
        assert _get(port, "/healthz") == (503, "fatal: dedupe: KafkaError\n")
        assert _get(port, "/nothing")[0] == 404
    finally:
        server.shutdown()


def test_the_loop_lag_probe_sees_a_blocked_loop() -> None:
    lags: list[float] = []

    async def run() -> None:
        stop = False
        probe = asyncio.create_task(probe_loop_lag(lags.append, lambda: stop, interval_s=0.01))
        await asyncio.sleep(0.05)
        time.sleep(0.3)  # a stage holding the loop
        await asyncio.sleep(0.05)
        stop = True
        await probe

    asyncio.run(run())
    assert len(lags) >= 3
    assert max(lags) >= 0.25
    assert sorted(lags)[len(lags) // 2] < 0.1, "an idle loop wakes on time"
