"""`make bench`: the router against raw aiokafka consume→produce and idiomatic faust, same broker, same mentions.

1. ceiling: aiokafka reads the raw topic and writes every record to a sink topic (no logic).
2. router: one `mention-router worker` process (all four stages) drains the same raw topic, once under
   each processing guarantee (exactly_once, the default, and at_least_once), each with its own groups.
3. faust baseline: `streams.bench_faust`, the same stages as idiomatic faust agents, drains the same raw
   topic into its own topics; the router's target is at least 4x its throughput.
4. latency, per guarantee: a fresh stream at half that guarantee's measured throughput; ingest→routed
   p50/p99/max over first routes (escalation re-routes are timed by the SLA clock, not by the pipeline).
5. memory: the worker's stages holding a million dedupe keys (`streams.bench_memory`), RSS and peak.

Prints figures; asserts nothing. Timings are ratios within one run: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.admin import ensure_topics
from streams.broker import local
from streams.clients import tool_consumer
from streams.replay import keyed_for_dedupe, produce
from streams.routing import load_rules
from streams.scrape import accounted as accounted_records
from streams.scrape import consuming, scrape
from streams.settings import Settings
from streams.sources import generate
from streams.sources.generator import start_ending_now
from streams.topics import TopicNames


@contextlib.contextmanager
def broker(bootstrap: str | None) -> Iterator[str]:
    if bootstrap:
        yield bootstrap
        return
    with tempfile.TemporaryDirectory(prefix="mr-bench-") as home:
        config = local.BrokerConfig(home=Path(home), port=local.free_port(), controller_port=local.free_port())
        local.start(config)
        try:
            yield config.bootstrap
        finally:
            local.stop(config)


GUARANTEES = ("exactly_once", "at_least_once")


def _settings(bootstrap: str, prefix: str, metrics_port: int = 0, guarantee: str = "exactly_once") -> Settings:
    return Settings(
        bootstrap_servers=bootstrap,
        topic_prefix=prefix,
        app_id=f"{prefix}router-{guarantee}",
        metrics_port=metrics_port,
        processing_guarantee=guarantee,
    )


async def raw_ceiling(bootstrap: str, source: str, sink: str, count: int) -> float:
    """aiokafka consume→produce with the same batching and delivery guarantee as the router."""
    consumer = AIOKafkaConsumer(
        source, bootstrap_servers=bootstrap, group_id=f"bench-raw-{uuid.uuid4().hex[:6]}",
        enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=2000,
    )  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2,
                                max_batch_size=256 * 1024)  # fmt: skip
    await consumer.start()
    await producer.start()
    seen, started = 0, 0.0
    try:
        while seen < count:
            batch = await consumer.getmany(timeout_ms=500, max_records=2000)
            if not batch:
                continue
            started = started or time.perf_counter()
            futures = []
            for records in batch.values():
                seen += len(records)
                futures.extend([await producer.send(sink, r.value, r.key) for r in records])
            await asyncio.gather(*futures)
            await consumer.commit()
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await producer.stop()


def raw_ceiling_librdkafka(bootstrap: str, source: str, sink: str, count: int) -> float:
    """The same loop with confluent-kafka (librdkafka), for comparison: the router does not use it."""
    from confluent_kafka import Consumer, Producer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-rdk-{uuid.uuid4().hex[:6]}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})  # fmt: skip
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 2})
    consumer.subscribe([source])
    seen, started = 0, 0.0
    try:
        while seen < count:
            batch = consumer.consume(num_messages=2000, timeout=0.5)
            if not batch:
                continue
            started = started or time.perf_counter()
            for record in batch:
                if record.error() is None:
                    producer.produce(sink, record.value(), record.key())
                    producer.poll(0)
                    seen += 1
            producer.flush()
            consumer.commit(asynchronous=False)
        return seen / (time.perf_counter() - started)
    finally:
        consumer.close()


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "MENTION_ROUTER_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "MENTION_ROUTER_TOPIC_PREFIX": settings.topic_prefix,
        "MENTION_ROUTER_APP_ID": settings.app_id,
        "MENTION_ROUTER_METRICS_PORT": str(settings.metrics_port),
        "MENTION_ROUTER_PROCESSING_GUARANTEE": settings.processing_guarantee,
    }
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--loglevel", "warn"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


def accounted(url: str) -> tuple[float, float]:
    snap = scrape(url)
    return snap.total("mention_router_batch_records_count", stage="dedupe"), accounted_records(snap)


def router_throughput(settings: Settings, count: int, log: Path) -> float:
    worker = start_worker(settings, log)
    url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
    try:
        started = None
        done = 0.0
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited with {worker.returncode}; see {log}")
            with contextlib.suppress(OSError):
                batches, done = accounted(url)
                if started is None and batches > 0:
                    started = time.perf_counter()
                if done >= count and started is not None:
                    return count / (time.perf_counter() - started)
            # Rendering /metrics costs the worker CPU (a 50 ms poll took ~10% of it): poll often only near the end.
            time.sleep(0.05 if started is None or done >= 0.9 * count else 0.5)
        raise RuntimeError("router did not finish within 30 minutes")
    finally:
        worker.terminate()
        worker.wait(60)


def faust_baseline(bootstrap: str, raw_topic: str, count: int, log: Path) -> float:
    """Run streams.bench_faust in its own process on the raw topic; return the rate it reports."""
    prefix = f"faust{uuid.uuid4().hex[:6]}."
    command = [sys.executable, "-m", "streams.bench_faust", "--bootstrap", bootstrap, "--raw-topic", raw_topic,
               "--prefix", prefix, "--count", str(count)]  # fmt: skip
    try:
        with open(log, "ab") as err:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=err, timeout=1800, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"did not finish within 30 minutes; see {log}") from exc
    # The result line is printed before the app stops; a crash while stopping does not void it.
    try:
        return float(json.loads(done.stdout.splitlines()[-1])["rate"])
    except (ValueError, LookupError) as exc:
        raise RuntimeError(f"exited with {done.returncode} and printed no result line; see {log}") from exc


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


def latency_run(settings: Settings, rate: float, seconds: float, log: Path) -> list[float]:
    worker = start_worker(settings, log)
    url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # every stage owns its partitions: start-up is not latency
            with contextlib.suppress(OSError):
                if consuming(scrape(url)):
                    break
            time.sleep(0.2)
        count = int(rate * seconds)
        records = keyed_for_dedupe(
            (r.key, r.value) for r in generate(count, seed=11, start=start_ending_now(count), bad_fraction=0.0)
        )
        produce(settings, records, rate=rate, show_progress=False, linger_ms=0)  # ingest is sent, not batched
        wait_until = time.monotonic() + 60
        while time.monotonic() < wait_until and accounted(url)[1] < count:
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(60)
    rules = load_rules(settings.rules_path)
    names = TopicNames.from_settings(settings)
    consumer = tool_consumer(settings, *(names.routed(t) for t in rules.team_names), consumer_timeout_ms=3000)
    latencies: list[tuple[float, float]] = []
    for record in consumer:
        payload = json.loads(record.value)
        if payload["route"].get("rerouted"):
            continue  # an escalation's re-route: routed_at is the SLA expiry on the event-time clock
        routed_at = datetime.fromisoformat(payload["route"]["routed_at"])
        ingested_at = datetime.fromisoformat(payload["ingested_at"])
        latencies.append((ingested_at.timestamp(), (routed_at - ingested_at).total_seconds() * 1000))
    consumer.close()
    return [latency for _, latency in sorted(latencies)]  # in ingest order


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--dedupe-keys", type=int, default=1_000_000, help="for the memory phase")
    parser.add_argument("--bootstrap", default=None, help="use a running broker instead of starting one")
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="mr-bench-logs-"))
    with broker(args.bootstrap) as bootstrap:
        prefix = f"bench{uuid.uuid4().hex[:6]}."
        settings = _settings(bootstrap, prefix, metrics_port=local.free_port())
        rules = load_rules(settings.rules_path)
        ensure_topics(settings, rules)
        names = TopicNames.from_settings(settings)
        print(f"generating and producing {args.count} mentions to {names.raw} ...", flush=True)
        records = keyed_for_dedupe((r.key, r.value) for r in generate(args.count, seed=7))
        produced = produce(settings, records, show_progress=False)

        raw_rate = asyncio.run(raw_ceiling(bootstrap, names.raw, f"{prefix}bench.sink", produced))
        print(f"raw aiokafka consume→produce : {raw_rate:10.0f} msg/s", flush=True)
        rdk_rate = raw_ceiling_librdkafka(bootstrap, names.raw, f"{prefix}bench.sink2", produced)
        print(
            f"raw librdkafka, for reference: {rdk_rate:10.0f} msg/s ({rdk_rate / raw_rate:.1f}x aiokafka)", flush=True
        )
        rates = {}
        for guarantee in GUARANTEES:
            run = _settings(bootstrap, prefix, local.free_port(), guarantee)
            rates[guarantee] = router_throughput(run, produced, logs / f"router-{guarantee}.log")
            print(f"mention-router, {guarantee:13}: {rates[guarantee]:10.0f} mentions/s "
                  f"({rates[guarantee] / raw_rate:.1%} of raw)", flush=True)  # fmt: skip
        router_rate = rates["exactly_once"]
        print(f"exactly_once / at_least_once : {router_rate / rates['at_least_once']:10.1%}", flush=True)
        try:
            faust_rate = faust_baseline(bootstrap, names.raw, produced, logs / "faust.log")
        except RuntimeError as exc:
            print(f"idiomatic faust (4 agents)   : failed, {exc}", flush=True)
        else:
            print(f"idiomatic faust (4 agents)   : {faust_rate:10.0f} mentions/s", flush=True)
            print(f"router (exactly_once) / faust: {router_rate / faust_rate:10.1f}x", flush=True)

        for guarantee in GUARANTEES:
            rate = rates[guarantee] / 2
            lat_settings = _settings(bootstrap, f"lat{uuid.uuid4().hex[:6]}.", local.free_port(), guarantee)
            ensure_topics(lat_settings, rules)
            latencies = latency_run(lat_settings, rate, args.latency_seconds, logs / f"latency-{guarantee}.log")
            if len(latencies) >= 100:
                summary = summarise_latencies(latencies)
                print(
                    f"ingest→routed, {guarantee}, at {rate:.0f}/s (half its throughput), {summary.count} first "
                    f"routes after a {summary.warmup_count}-record warm-up (p50 {summary.warmup_p50:.0f} ms): "
                    f"p50 {summary.p50:.1f} ms, p99 {summary.p99:.1f} ms, max {summary.max:.1f} ms; "
                    f"p50 of the last tenth {summary.last_p50:.0f} ms (a backlog grows if far above p50)",
                    flush=True,
                )
            else:
                print(f"latency run ({guarantee}) produced no routed records; see", logs, flush=True)
    memory = json.loads(
        subprocess.run(
            [sys.executable, "-m", "streams.bench_memory", "--keys", str(args.dedupe_keys)],
            capture_output=True, text=True, check=True, timeout=600,
        ).stdout
    )  # fmt: skip
    print(f"worker stages with {memory['keys']:,} dedupe keys: RSS {memory['rss_mb']:.0f} MB "
          f"({memory['baseline_mb']:.0f} MB before the keys, peak {memory['peak_rss_mb']:.0f} MB)",
          flush=True)  # fmt: skip
    print(f"worker logs: {logs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
