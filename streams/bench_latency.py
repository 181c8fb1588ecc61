"""The latency phases of `make bench`: ingest→routed at fixed rates, and the pause when a worker joins or leaves.

Latency is what a user feels: from ``ingested_at`` (the raw record's timestamp) to when a downstream app reading
the team topics ``read_committed`` (an agent inbox) receives the mention's **first** route (an escalation's
re-route is time no mention waited), noted by a reader that runs beside the stream (``Readable``). The route's own
``routed_at`` is stamped while the batch is handled, before its transaction commits: ``routed_at - ingested_at``
leaves out the last commit and is reported beside it. In ingest order, the first tenth reported apart as
warm-up, after a short stream that is not counted (see ``latency_run``).
The stream is generated and encoded before it is sent, then sent by one aiokafka producer at the set rate
in 10 ms steps, so the load generator costs little CPU beside the worker and the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.replay import keyed_for_dedupe
from streams.routing import load_rules
from streams.scrape import accounted, consuming, scrape
from streams.settings import Settings
from streams.sources import generate
from streams.sources.generator import start_ending_now
from streams.topics import TopicNames

STEP_S = 0.01  # the generator sends what is due every 10 ms
WARM_UP_S = 3.0  # the uncounted stream before each measured one (latency_run)


@dataclass(frozen=True)
class LatencySummary:
    warmup_count: int
    warmup_p50: float
    count: int
    p50: float
    p99: float
    max: float
    last_p50: float  # the last tenth of the steady part: far above p50 means the worker fell behind


def summarise_latencies(latencies: list[float], warmup_fraction: float = 0.1) -> LatencySummary:
    """Latencies in ingest order: the first ``warmup_fraction`` (connections, caches, first fetches) reported
    apart from the steady part's quantiles."""
    warm = max(1, int(len(latencies) * warmup_fraction))
    warmup, steady = latencies[:warm], latencies[warm:]
    q = statistics.quantiles(steady, n=100)
    tail = steady[-max(2, len(steady) // 10) :]
    return LatencySummary(len(warmup), statistics.median(warmup), len(steady), q[49], q[98], max(steady),
                          statistics.median(tail))  # fmt: skip


@dataclass(frozen=True)
class WindowSummary:
    count: int
    p50: float
    p99: float
    max: float


def window(timed: list[tuple[float, float]], start: float, seconds: float) -> WindowSummary | None:
    """The latencies of the mentions ingested in [start, start + seconds): (ingest unix time, ms) pairs."""
    inside = sorted(ms for at, ms in timed if start <= at < start + seconds)
    if len(inside) < 2:
        return None
    q = statistics.quantiles(inside, n=100)
    return WindowSummary(len(inside), q[49], q[98], inside[-1])


def stream(settings: Settings, count: int, seed: int = 11) -> list[tuple[bytes, bytes]]:
    """``count`` generated mentions with event times ending now, keyed for the dedupe stage, encoded."""
    generated = generate(count, seed=seed, start=start_ending_now(count), bad_fraction=0.0)
    return [(key or b"", value) for key, value in keyed_for_dedupe((r.key, r.value) for r in generated)]


def send_paced(settings: Settings, records: list[tuple[bytes, bytes]], rate: float) -> None:
    asyncio.run(_send_paced(settings, records, rate))


async def _send_paced(settings: Settings, records: list[tuple[bytes, bytes]], rate: float) -> None:
    # aiokafka's default partitioner is Kafka's murmur2, which mentions.raw expects (docs/contract.md).
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", enable_idempotence=True,
                                linger_ms=0, max_batch_size=256 * 1024)  # fmt: skip
    topic = TopicNames.from_settings(settings).raw
    await producer.start()
    try:
        started, sent, futures = time.monotonic(), 0, []
        while sent < len(records):
            due = min(len(records), int((time.monotonic() - started) * rate) + 1)
            for key, value in records[sent:due]:
                futures.append(await producer.send(topic, value, key=key))
            sent = max(sent, due)
            await asyncio.sleep(STEP_S)
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def wait_consuming(url: str, worker: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until every stage of the worker owns partitions: start-up is not latency."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and worker.poll() is None:
        with contextlib.suppress(OSError):
            if consuming(scrape(url)):
                return
        time.sleep(0.2)


@dataclass(frozen=True)
class FirstRoute:
    ingested_at: float  # unix time
    readable_ms: float  # ingest → received by a read_committed reader of the team topic
    stamped_ms: float  # ingest → ``route.routed_at`` (stamped before the route's transaction commits)


class Readable:
    """Reads every team topic ``read_committed`` from the start, in a thread of its own, and notes when each
    record arrived: when a downstream app could first have read it. Only the arrival time and the bytes are kept
    while it runs (the stream's CPU is the worker's); ``first_routes`` decodes them afterwards."""

    def __init__(self, settings: Settings) -> None:
        names = TopicNames.from_settings(settings)
        self._topics = [names.routed(team) for team in load_rules(settings.rules_path).team_names]
        self._bootstrap = settings.bootstrap_servers
        self._arrivals: list[tuple[float, bytes]] = []
        self._stopping = threading.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._read()), daemon=True)

    def __enter__(self) -> Readable:
        self._thread.start()
        if not self._started.wait(60):
            raise RuntimeError("the team topics' reader did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(30)

    def settle(self, quiet_s: float = 1.0, timeout_s: float = 30.0) -> None:
        """Until nothing has arrived for ``quiet_s`` (the worker has committed everything it counted)."""
        deadline = time.monotonic() + timeout_s
        seen, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            if len(self._arrivals) != seen:
                seen, since = len(self._arrivals), time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return
            time.sleep(0.1)

    async def _read(self) -> None:
        consumer = AIOKafkaConsumer(
            *self._topics, bootstrap_servers=self._bootstrap, group_id=None, isolation_level="read_committed",
            auto_offset_reset="earliest", fetch_max_wait_ms=10, max_poll_records=5000,
        )  # fmt: skip
        await consumer.start()
        try:
            self._started.set()
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=100)
                now = time.time()
                self._arrivals.extend((now, record.value) for records in batch.values() for record in records)
        finally:
            await consumer.stop()

    def first_routes(self, since: float = 0.0) -> list[FirstRoute]:
        """Every first route of a mention ingested at ``since`` or later, in ingest order."""
        routes = []
        for arrived, value in self._arrivals:
            payload = json.loads(value)
            if payload["route"].get("rerouted"):
                continue  # an escalation's re-route: routed_at is the SLA expiry on the event-time clock
            ingested_at = datetime.fromisoformat(payload["ingested_at"]).timestamp()
            if ingested_at >= since:
                routed_at = datetime.fromisoformat(payload["route"]["routed_at"]).timestamp()
                routes.append(FirstRoute(ingested_at, (arrived - ingested_at) * 1000, (routed_at - ingested_at) * 1000))
        return sorted(routes, key=lambda route: route.ingested_at)


def wait_idle(url: str, quiet_s: float = 5.0, timeout: float = 90.0) -> None:
    """Until the worker has handled nothing new for ``quiet_s`` (its share of a stream shared with others)."""
    deadline = time.monotonic() + timeout
    last, since = -1.0, time.monotonic()
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            handled = scrape(url).total("mention_router_stage_seconds_count")
            if handled != last:
                last, since = handled, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return
        time.sleep(0.5)


def wait_accounted(url: str, count: int, timeout: float = 60.0) -> None:
    """Until the worker has put ``count`` raw records in their final places (routed, duplicate, dead letter)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if accounted(scrape(url)) >= count:
                return
        time.sleep(0.2)


StartWorker = Callable[[Settings, Path], subprocess.Popen[bytes]]


@dataclass(frozen=True)
class LatencyRun:
    latencies: list[float]  # ingest → readable ms of each first route, in ingest order
    stamped: list[float]  # ingest → routed_at ms of the same routes (before their transaction committed)
    loop_lag_p99_s: float | None  # the worker's event-loop lag, p99 (a bucket bound), warm-up included
    gc_seconds: float  # the worker's time in garbage collections
    full_collections: int


def latency_run(settings: Settings, rate: float, seconds: float, log: Path, start_worker: StartWorker) -> LatencyRun:
    """One worker, a stream at ``rate`` for ``seconds``: each first route's latencies, in ingest order,
    and what the worker's own metrics say of its event loop (how long the loop was held; GC pauses).

    A short stream at the same rate runs first and is not counted: each run has its own topics, and the broker's
    first transactional writes to a new partition cost it seconds in all (measured: its WriteTxnMarkers took
    0.5-0.65 s each while a transaction touched ~80 new partitions, under 5 ms later), a cost a running router,
    whose topics have long been written, does not pay."""
    warm_up = stream(settings, max(1, int(rate * WARM_UP_S)), seed=12)
    records = stream(settings, int(rate * seconds))
    worker = start_worker(settings, log)
    try:
        with Readable(settings) as readable:
            url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
            wait_consuming(url, worker)
            send_paced(settings, warm_up, rate)
            wait_accounted(url, len(warm_up))
            measured_from = time.time()
            send_paced(settings, records, rate)
            wait_accounted(url, len(warm_up) + len(records))
            snap = scrape(url)
            readable.settle()
        routes = readable.first_routes(since=measured_from)
    finally:
        stop(worker)
    return LatencyRun(
        [route.readable_ms for route in routes],
        [route.stamped_ms for route in routes],
        snap.histogram_quantile("mention_router_event_loop_lag_seconds", 0.99),
        snap.total("mention_router_gc_pause_seconds_sum"),
        int(snap.total("mention_router_gc_pause_seconds_count", generation="2")),
    )


@dataclass(frozen=True)
class RebalancePauses:
    steady: WindowSummary | None  # the seconds just before the join
    join: WindowSummary | None  # mentions ingested in the seconds after a second worker started
    leave: WindowSummary | None  # ... after it was stopped (SIGTERM: it leaves the group)
    # The first worker's restores over the run, by stage: seconds in all (its start-up included), and partitions
    # that came back with their parked state (restoring only their changelog's news).
    restore_seconds: dict[str, float]
    resumed_partitions: dict[str, float]


def rebalance_run(
    settings: Settings, second: Settings, rate: float, seconds: float, logs: Path, start_worker: StartWorker,
    window_s: float = 5.0,
) -> RebalancePauses:  # fmt: skip
    """A stream at ``rate``: a second worker joins after a third of it and leaves after two thirds."""
    records = stream(settings, int(rate * seconds), seed=13)
    first = start_worker(settings, logs / "rebalance-first.log")
    joined_at = left_at = 0.0
    try:
        with Readable(settings) as readable:
            wait_consuming(f"http://127.0.0.1:{settings.metrics_port}/metrics", first)
            started = time.time()

            def change() -> None:
                nonlocal joined_at, left_at
                time.sleep(seconds / 3)
                joined_at = time.time()
                worker = start_worker(second, logs / "rebalance-second.log")
                time.sleep(seconds / 3)
                left_at = time.time()
                stop(worker)

            changer = _thread(change)
            send_paced(settings, records, rate)
            changer.join()
            wait_idle(f"http://127.0.0.1:{settings.metrics_port}/metrics")
            snap = scrape(f"http://127.0.0.1:{settings.metrics_port}/metrics")
            readable.settle()
        timed = [(route.ingested_at, route.readable_ms) for route in readable.first_routes()]
    finally:
        stop(first)
    steady_s = min(window_s, seconds / 3 - 1)  # the seconds just before the join: the stream's warm-up is over
    return RebalancePauses(
        window(timed, max(started + 1, joined_at - steady_s), steady_s),
        window(timed, joined_at, window_s),
        window(timed, left_at, window_s),
        snap.by_label("mention_router_state_restore_seconds_sum", "stage"),
        snap.by_label("mention_router_state_resumed_partitions_total", "stage"),
    )


def stop(worker: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """SIGTERM, then SIGKILL if the worker has not stopped within ``timeout``."""
    worker.terminate()
    try:
        worker.wait(timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _thread(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread
