"""A real Apache Kafka broker for the session, and real router workers per test module.

The broker is the project's own (`streams.broker.local`): fetched with Maven, started on free
loopback ports in a temporary folder, stopped at the end. Set MENTION_ROUTER_TEST_BOOTSTRAP to
reuse a running broker instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

from streams.broker import local
from streams.scrape import Snapshot, consuming, scrape

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("MENTION_ROUTER_TEST_BOOTSTRAP")
    if external:
        yield external
        return
    port = local.free_port()
    controller = local.free_port()
    config = local.BrokerConfig(home=tmp_path_factory.mktemp("kafka"), port=port, controller_port=controller)
    local.start(config)
    try:
        yield config.bootstrap
    finally:
        local.stop(config)


@dataclass
class Worker:
    """A `mention-router worker` process with its own topic prefix and consumer groups."""

    bootstrap: str
    prefix: str
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    metrics_port: int = field(default_factory=local.free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        env = os.environ.copy()
        env.update(
            MENTION_ROUTER_BOOTSTRAP_SERVERS=self.bootstrap,
            MENTION_ROUTER_TOPIC_PREFIX=self.prefix,
            MENTION_ROUTER_APP_ID=f"{self.prefix}router",
            MENTION_ROUTER_PARTITIONS="3",
            MENTION_ROUTER_METRICS_PORT=str(self.metrics_port),
            # Live streams here are quiet: a first response waits this long of wall time before it is published.
            MENTION_ROUTER_FIRST_RESPONSE_GRACE_SECONDS="2",
        )
        env.update(self.extra_env)
        return env

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def topic(self, suffix: str) -> str:
        return f"{self.prefix}mentions.{suffix}"

    def start(self, timeout: float = 90.0) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streams.cli", "worker"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if consuming(scrape(self.metrics_url)):
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"worker not consuming after {timeout}s:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def metrics(self) -> Snapshot:
        return scrape(self.metrics_url)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


@pytest.fixture
def make_worker(bootstrap: str, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def factory(prefix: str | None = None, **extra_env: str) -> Worker:
        worker = Worker(
            bootstrap=bootstrap,
            prefix=prefix or f"t{uuid.uuid4().hex[:10]}.",
            log_path=tmp_path / f"worker-{len(workers)}.log",
            extra_env=extra_env,
        )
        workers.append(worker)
        return worker

    yield factory
    for worker in workers:
        worker.stop()


@pytest.fixture
def worker(make_worker: Callable[..., Worker]) -> Worker:
    started = make_worker()
    started.start()
    return started


@pytest.fixture
def producer(bootstrap: str) -> Iterator[KafkaProducer]:
    client = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    yield client
    client.close()


def create_topics(bootstrap: str, topics: list[str], partitions: int) -> None:
    """Create ``topics`` with ``partitions`` each, before anything else would auto-create them."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics])
    finally:
        admin.close()


def set_topic_config(bootstrap: str, topics: list[str], configs: dict[str, str]) -> None:
    """An operator's change to existing topics' configuration."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=configs) for topic in topics])
    finally:
        admin.close()


def write_rules(tmp_path: Path, text: str) -> str:
    """A rules file for a worker (``MENTION_ROUTER_RULES_PATH``)."""
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return str(path)


def read_topics(
    bootstrap: str, topics: list[str], stop: Callable[[list[Any]], bool], timeout: float = 60.0
) -> list[Any]:
    """Read the topics from the beginning until ``stop(records)`` is true or the timeout passes."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        consumer_timeout_ms=500,
        isolation_level="read_committed",  # as downstream consumers are told to read
    )
    try:
        partitions: list[TopicPartition] = []
        deadline = time.monotonic() + timeout
        while not partitions and time.monotonic() < deadline:
            for topic in topics:
                for p in consumer.partitions_for_topic(topic) or ():
                    partitions.append(TopicPartition(topic, p))
            if not partitions:
                time.sleep(0.2)
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        records: list[Any] = []
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=300)
            for recs in batch.values():
                records.extend(recs)
            if stop(records):
                break
        return records
    finally:
        consumer.close()
