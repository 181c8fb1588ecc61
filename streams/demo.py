"""`mention-router demo`: a local broker, a worker, a realistic stream, and a live per-team table."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from streams.admin import delete_pipeline, ensure_topics
from streams.broker import local
from streams.replay import keyed_for_dedupe, produce
from streams.routing import load_rules
from streams.routing.ruleset import PRIORITY_BANDS
from streams.scrape import Snapshot, accounted, consuming, scrape
from streams.settings import Settings
from streams.sources import generate
from streams.sources.generator import start_ending_now

console = Console()
DEMO_PREFIX = "demo."
DEMO_APP_ID = "mention-router-demo"


def render(snap: Snapshot, produced: int, total: int, metrics_url: str) -> Group:
    table = Table(title="Routed mentions per team", expand=False)
    table.add_column("team")
    for band in PRIORITY_BANDS:
        table.add_column(band, justify="right")
    table.add_column("total", justify="right", style="bold")
    table.add_column("p99 ingest→routed", justify="right")
    teams = sorted(snap.by_label("mention_router_routed_total", "team"))
    for team in teams:
        counts = [snap.total("mention_router_routed_total", team=team, priority=band) for band in PRIORITY_BANDS]
        p99 = snap.histogram_quantile("mention_router_pipeline_latency_seconds", 0.99, team=team)
        table.add_row(
            team, *(f"{c:.0f}" for c in counts), f"{sum(counts):.0f}", f"≤ {p99 * 1000:.0f} ms" if p99 else "-"
        )
    dead = snap.by_label("mention_router_dead_letters_total", "reason")
    summary = (
        f"produced [bold]{produced}[/]/{total}   ingested {snap.total('mention_router_mentions_ingested_total'):.0f}   "
        f"duplicates {snap.total('mention_router_duplicates_total'):.0f}   "
        f"dead letters {sum(dead.values()):.0f} "
        f"({', '.join(f'{k} {v:.0f}' for k, v in sorted(dead.items()) if v) or 'none'})   "
        f"accounted for {accounted(snap):.0f}\nmetrics: {metrics_url}"
    )
    return Group(table, Panel(summary, title="pipeline", expand=False))


def worker_env(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "MENTION_ROUTER_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "MENTION_ROUTER_TOPIC_PREFIX": settings.topic_prefix,
        "MENTION_ROUTER_APP_ID": settings.app_id,
        "MENTION_ROUTER_METRICS_HOST": settings.metrics_host,
        "MENTION_ROUTER_METRICS_PORT": str(settings.metrics_port),
    }


@contextlib.contextmanager
def running_worker(settings: Settings, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            stdout=log, stderr=subprocess.STDOUT, env=worker_env(settings), start_new_session=True,
        )  # fmt: skip
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def wait_until_consuming(url: str, worker: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait for the worker's metrics and for every stage to own its partitions."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode} while starting")
        with contextlib.suppress(OSError):
            if consuming(scrape(url)):
                return
        time.sleep(0.3)
    raise RuntimeError(f"the worker was not consuming within {timeout:.0f}s; see its log")


def run_demo(count: int, rate: float, seed: int, keep_broker: bool) -> int:
    broker = local.BrokerConfig(home=local.default_cache_dir() / "broker")
    was_running = local.read_pid(broker) is not None
    console.print(f"[bold]1/4[/] Apache Kafka {local.KAFKA_VERSION} on {broker.bootstrap} (log: {broker.server_log})")
    started = time.monotonic()
    local.start(broker)
    console.print(f"    ready in {time.monotonic() - started:.1f}s")
    # Its own topics and consumer groups, reset each run: the live table shows this run's stream only,
    # and a user's own topics on the same broker are never touched.
    settings = Settings(bootstrap_servers=broker.bootstrap, topic_prefix=DEMO_PREFIX, app_id=DEMO_APP_ID)
    rules = load_rules(settings.rules_path)
    delete_pipeline(settings, rules)
    created = ensure_topics(settings, rules)
    console.print(f"[bold]2/4[/] {len(created)} topics under '{DEMO_PREFIX}', teams: {', '.join(rules.team_names)}")
    metrics_url = f"http://{settings.metrics_host}:{settings.metrics_port}/metrics"
    worker_log = local.default_cache_dir() / "demo-worker.log"
    try:
        with running_worker(settings, worker_log) as worker:
            console.print(f"[bold]3/4[/] worker started (log: {worker_log}); metrics at {metrics_url}")
            wait_until_consuming(metrics_url, worker)
            return _stream_and_watch(settings, count, rate, seed, metrics_url, worker)
    except KeyboardInterrupt:
        console.print("\ninterrupted; stopping the worker")
        return 130
    finally:
        if not was_running and not keep_broker:
            console.print("stopping the broker")
            local.stop(broker)


def _stream_and_watch(
    settings: Settings, count: int, rate: float, seed: int, metrics_url: str, worker: subprocess.Popen[bytes]
) -> int:
    produced = [0]
    records = keyed_for_dedupe((r.key, r.value) for r in generate(count, seed=seed, start=start_ending_now(count)))

    def feed() -> None:
        produced[0] = produce(settings, _counting(records, produced), rate=rate, show_progress=False)

    feeder = threading.Thread(target=feed, name="demo-feeder", daemon=True)
    console.print(f"[bold]4/4[/] streaming {count} generated mentions at {rate:.0f}/s (Ctrl-C stops everything)")
    feeder.start()
    snap = scrape(metrics_url)
    with Live(render(snap, 0, count, metrics_url), console=console, refresh_per_second=4) as live:
        while True:
            time.sleep(0.5)
            snap = scrape(metrics_url)
            live.update(render(snap, produced[0], count, metrics_url))
            if worker.poll() is not None:
                console.print(f"[red]the worker exited with {worker.returncode}[/]")
                return 1
            if not feeder.is_alive() and accounted(snap) >= produced[0]:
                break
    console.print(
        f"[green]all {produced[0]} mentions accounted for[/] (routed, merged as duplicates, or dead-lettered)"
    )
    return 0


def _counting(
    records: Iterator[tuple[bytes | None, bytes]], counter: list[int]
) -> Iterator[tuple[bytes | None, bytes]]:
    for record in records:
        yield record
        counter[0] += 1
