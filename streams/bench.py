"""`make bench`: the router against raw aiokafka consume→produce and idiomatic faust, same broker, same mentions.

1. ceiling: aiokafka reads the raw topic and writes every record to a sink topic (no logic), before and
   after the router runs (the ratios use the mean); librdkafka's for reference.
2. router: one `mention-router worker` process (every stage) drains the same raw topic, once under each
   processing guarantee (exactly_once, the default, and at_least_once), each with its own groups; the
   worker's CPU per mention and each stage's share, from its own metrics.
3. faust baseline: `streams.bench_faust`, the same stages as idiomatic faust agents, drains the same raw
   topic into its own topics; the router's target is at least 4x its throughput.
4. latency, per guarantee, at 25%, 50% and 75% of that guarantee's measured throughput: ingest → readable
   on the team topic (a read_committed reader beside the stream) p50/p99/max over first routes, and the
   routes' own routed_at stamps beside it (`streams.bench_latency`).
5. rebalance pauses: at half the exactly_once throughput, a second worker joins and later leaves; the
   latency of the mentions ingested in the 5 s after each change.
6. memory: the worker's stages holding a million dedupe keys (`streams.bench_memory`), RSS and peak.

Prints figures and a summary table; asserts nothing. Timings are ratios within one run: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.admin import ensure_topics
from streams.bench_latency import latency_run, rebalance_run, summarise_latencies
from streams.broker import local
from streams.replay import keyed_for_dedupe, produce
from streams.routing import load_rules
from streams.scrape import Snapshot, scrape
from streams.scrape import accounted as accounted_records
from streams.settings import Settings
from streams.sources import generate
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


@dataclass(frozen=True)
class Throughput:
    rate: float  # mentions/s
    cpu_us: float  # the worker process's CPU per mention
    stage_us: dict[str, float]  # each stage's handle time per mention (its records over the mentions)


def router_throughput(settings: Settings, count: int, log: Path) -> Throughput:
    worker = start_worker(settings, log)
    url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
    try:
        started: float | None = None
        first: Snapshot | None = None
        done = 0.0
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited with {worker.returncode}; see {log}")
            with contextlib.suppress(OSError):
                snap = scrape(url)
                if started is None and snap.total("mention_router_batch_records_count", stage="dedupe") > 0:
                    started, first = time.perf_counter(), snap
                done = accounted_records(snap)
                if done >= count and started is not None and first is not None:
                    rate = count / (time.perf_counter() - started)
                    cpu_us, stage_us = _costs(url, first, count)
                    return Throughput(rate, cpu_us, stage_us)
            # Rendering /metrics costs the worker CPU (a 50 ms poll took ~10% of it): poll often only near the end.
            time.sleep(0.05 if started is None or done >= 0.9 * count else 0.5)
        raise RuntimeError("router did not finish within 30 minutes")
    finally:
        worker.terminate()
        worker.wait(60)


def _costs(url: str, first: Snapshot, count: int) -> tuple[float, dict[str, float]]:
    """CPU per mention once the track stage has also taken every assignment (it runs after the route, so the
    rate above does not wait for it): the worker process's and each stage's ``handle`` time."""
    deadline = time.monotonic() + 120
    while True:
        snap = scrape(url)
        tracked = snap.total("mention_router_stage_seconds_count", stage="track")
        routed = snap.total("mention_router_stage_seconds_count", stage="enrich") - snap.total(
            "mention_router_dead_letters_total", stage="enrich"
        )  # one assignment per routed mention
        if tracked >= routed or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    cpu = snap.total("process_cpu_seconds_total") - first.total("process_cpu_seconds_total")
    stages = snap.by_label("mention_router_stage_seconds_sum", "stage")
    return cpu / count * 1e6, {stage: seconds / count * 1e6 for stage, seconds in stages.items() if seconds}


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


class Report:
    """Prints each figure as it comes, and all of them as one table at the end."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str]] = []

    def __call__(self, phase: str, figure: str) -> None:
        self.rows.append((phase, figure))
        print(f"{phase}: {figure}", flush=True)

    def table(self) -> str:
        return "\n".join(["| phase | figure |", "|---|---|", *(f"| {p} | {f} |" for p, f in self.rows)])


def throughput_phases(bootstrap: str, count: int, logs: Path, report: Report) -> dict[str, Throughput]:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    settings = _settings(bootstrap, prefix, metrics_port=local.free_port())
    ensure_topics(settings, load_rules(settings.rules_path))
    names = TopicNames.from_settings(settings)
    print(f"generating and producing {count} mentions to {names.raw} ...", flush=True)
    produced = produce(settings, keyed_for_dedupe((r.key, r.value) for r in generate(count, seed=7)),
                       show_progress=False)  # fmt: skip
    # The ceiling is measured before and after the router runs, and the ratios use the mean: this machine's
    # speed drifts by tens of percent within minutes, and one measurement before would carry that into the ratio.
    raw_before = asyncio.run(raw_ceiling(bootstrap, names.raw, f"{prefix}bench.sink", produced))
    rdk_rate = raw_ceiling_librdkafka(bootstrap, names.raw, f"{prefix}bench.sink2", produced)
    runs: dict[str, Throughput] = {}
    for guarantee in GUARANTEES:
        run = _settings(bootstrap, prefix, local.free_port(), guarantee)
        runs[guarantee] = router_throughput(run, produced, logs / f"router-{guarantee}.log")
    raw_after = asyncio.run(raw_ceiling(bootstrap, names.raw, f"{prefix}bench.sink3", produced))
    raw_rate = (raw_before + raw_after) / 2
    report(
        "raw aiokafka consume→produce (ceiling)",
        f"{raw_rate:,.0f} msg/s (mean of {raw_before:,.0f} before the router runs and {raw_after:,.0f} after)",
    )
    report("raw librdkafka consume→produce, for reference", f"{rdk_rate:,.0f} msg/s ({rdk_rate / raw_before:.1f}x)")
    for guarantee, result in runs.items():
        stages = ", ".join(f"{stage} {us:.0f}" for stage, us in sorted(result.stage_us.items()))
        report(f"router, {guarantee}", f"{result.rate:,.0f} mentions/s = {result.rate / raw_rate:.1%} of raw")
        report(f"router, {guarantee}, worker CPU per mention", f"{result.cpu_us:.0f} µs (stage logic: {stages} µs)")
    router_rate = runs["exactly_once"].rate
    report("exactly_once / at_least_once", f"{router_rate / runs['at_least_once'].rate:.0%}")
    try:
        faust_rate = faust_baseline(bootstrap, names.raw, produced, logs / "faust.log")
    except RuntimeError as exc:
        report("idiomatic faust, the same stages", f"failed, {exc}")
    else:
        report("idiomatic faust, the same stages", f"{faust_rate:,.0f} mentions/s")
        report("router (exactly_once) / idiomatic faust", f"{router_rate / faust_rate:.1f}x")
    return runs


def latency_phases(bootstrap: str, runs: dict[str, Throughput], seconds: float, logs: Path, report: Report) -> None:
    for guarantee in GUARANTEES:
        for share in (0.25, 0.5, 0.75):
            rate = runs[guarantee].rate * share
            settings = _settings(bootstrap, f"lat{uuid.uuid4().hex[:6]}.", local.free_port(), guarantee)
            ensure_topics(settings, load_rules(settings.rules_path))
            log = logs / f"latency-{guarantee}-{share}.log"
            run = latency_run(settings, rate, seconds, log, start_worker)
            phase = f"ingest→readable, {guarantee}, {share:.0%} of its throughput ({rate:,.0f}/s)"
            if len(run.latencies) < 100:
                report(phase, f"only {len(run.latencies)} routed; see {log}")
                continue
            m = summarise_latencies(run.latencies)
            stamped = summarise_latencies(run.stamped)
            lag = "n/a" if run.loop_lag_p99_s is None else f"≤ {run.loop_lag_p99_s * 1000:,.0f} ms"
            report(phase, f"p50 {m.p50:,.0f} ms, p99 {m.p99:,.0f} ms, max {m.max:,.0f} ms over {m.count} first routes; "
                          f"to routed_at p50 {stamped.p50:,.0f}, p99 {stamped.p99:,.0f} ms; "
                          f"warm-up p50 {m.warmup_p50:,.0f} ms; last tenth p50 {m.last_p50:,.0f} ms; "
                          f"worker loop lag p99 {lag}, GC {run.gc_seconds * 1000:,.0f} ms in all "
                          f"({run.full_collections} full)")  # fmt: skip


def rebalance_phase(bootstrap: str, rate: float, seconds: float, logs: Path, report: Report) -> None:
    settings = _settings(bootstrap, f"reb{uuid.uuid4().hex[:6]}.", local.free_port())
    ensure_topics(settings, load_rules(settings.rules_path))
    second = settings.model_copy(update={"metrics_port": local.free_port()})
    pauses = rebalance_run(settings, second, rate, seconds, logs, start_worker)
    phases = (
        ("steady (the 5 s before the join)", pauses.steady),
        ("a worker joins (the next 5 s)", pauses.join),
        ("a worker leaves (the next 5 s)", pauses.leave),
    )
    for phase, w in phases:
        figure = "no mentions in the window" if w is None else (
            f"p50 {w.p50:,.0f} ms, p99 {w.p99:,.0f} ms, max {w.max:,.0f} ms over {w.count} mentions"
        )  # fmt: skip
        report(f"ingest→readable at {rate:,.0f}/s, exactly_once, {phase}", figure)
    restores = ", ".join(
        f"{stage} {seconds:.2f} s ({pauses.resumed_partitions.get(stage, 0):.0f} partitions back from parked state)"
        for stage, seconds in sorted(pauses.restore_seconds.items())
    )
    report("the staying worker's state restores, start-up included", restores or "none")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--latency-seconds", type=float, default=20.0, help="each rate of the sweep")
    parser.add_argument("--rebalance-seconds", type=float, default=36.0)
    parser.add_argument("--dedupe-keys", type=int, default=1_000_000, help="for the memory phase")
    parser.add_argument("--bootstrap", default=None, help="use a running broker instead of starting one")
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="mr-bench-logs-"))
    report = Report()
    with broker(args.bootstrap) as bootstrap:
        runs = throughput_phases(bootstrap, args.count, logs, report)
        latency_phases(bootstrap, runs, args.latency_seconds, logs, report)
        rebalance_phase(bootstrap, runs["exactly_once"].rate / 2, args.rebalance_seconds, logs, report)
    memory = json.loads(
        subprocess.run(
            [sys.executable, "-m", "streams.bench_memory", "--keys", str(args.dedupe_keys)],
            capture_output=True, text=True, check=True, timeout=600,
        ).stdout
    )  # fmt: skip
    report(f"worker stages holding {memory['keys']:,} dedupe keys",
           f"RSS {memory['rss_mb']:.0f} MB ({memory['baseline_mb']:.0f} MB before the keys, "
           f"peak {memory['peak_rss_mb']:.0f} MB)")  # fmt: skip
    print(f"\nworker logs: {logs}\n\n{report.table()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
