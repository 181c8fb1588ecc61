"""Consumer-group lag of the router's stages, read from the broker and exported with kafka_exporter's names.

A daemon thread asks the broker (kafka-python's blocking KafkaAdminClient, never on the event
loop) every ``interval`` seconds for

* the router's consumer groups: every group named ``<app_id>.<stage>`` (so a new stage is picked
  up without a code change) plus the groups of the stages this worker runs, even before they
  exist,
* each group's committed offsets, and the log start and last stable offsets of the topics it reads
  (what a ``read_committed`` consumer can reach: an open transaction's records are not lag yet),

and keeps the result. Scrapes read that cached snapshot: a scrape never waits for the broker.

Exported (all gauges except the error counter)::

    kafka_consumergroup_lag{consumergroup,topic,partition}           end - committed (>= 0)
    kafka_consumergroup_current_offset{consumergroup,topic,partition}  committed offset
    kafka_topic_partition_current_offset{topic,partition}             last stable offset (the readable end)
    mention_router_partition_held_records{topic,partition}            records behind an open transaction
    mention_router_partition_held_seconds{topic,partition}            how long the readable end stood still
                                                                      with records behind it (held.py)
    mention_router_consumergroup_lag{consumergroup,topic}             lag summed over partitions
    mention_router_lag_last_refresh_timestamp_seconds                 when the snapshot was read
    mention_router_lag_scrape_errors_total                            failed refreshes

A partition the group reads but has never committed counts from the log start offset (the stages
consume with ``auto_offset_reset=earliest``), so a stage that has not started yet still shows the
backlog waiting for it. Every worker exports the same values; dashboards and alerts aggregate them
with ``max``, not ``sum``. A snapshot older than ``max_age`` seconds (the broker unreachable for a
while) is dropped rather than shown as if it were current.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mode import Service
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from streams.observability.held import Held, held_partitions
from streams.settings import Settings
from streams.topics import TopicNames

logger = logging.getLogger(__name__)

TopicPartitionKey = tuple[str, int]


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group has not committed this partition yet
    end: int
    lag: int


@dataclass(frozen=True)
class LagSnapshot:
    """What the broker said at ``taken_at``: plain values, so the arithmetic is testable without Kafka."""

    group_topics: Mapping[str, frozenset[str]]  # group -> topics it reads
    committed: Mapping[str, Mapping[TopicPartitionKey, int]]  # group -> (topic, partition) -> offset
    ends: Mapping[TopicPartitionKey, int]  # (topic, partition) -> log end offset
    starts: Mapping[TopicPartitionKey, int] = field(default_factory=dict)  # log start offsets
    taken_at: float = 0.0
    held: Mapping[TopicPartitionKey, Held] = field(default_factory=dict)  # behind an open transaction

    def partition_lags(self) -> list[PartitionLag]:
        rows: list[PartitionLag] = []
        for group in sorted(self.group_topics):
            topics = self.group_topics[group]
            committed = self.committed.get(group, {})
            for topic, partition in sorted(tp for tp in self.ends if tp[0] in topics):
                end = self.ends[(topic, partition)]
                current = committed.get((topic, partition))
                position = current if current is not None else self.starts.get((topic, partition), 0)
                rows.append(PartitionLag(group, topic, partition, current, end, max(end - position, 0)))
        return rows

    def topic_lags(self) -> dict[tuple[str, str], int]:
        """Lag per (group, topic), summed over partitions."""
        totals: dict[tuple[str, str], int] = {}
        for row in self.partition_lags():
            key = (row.group, row.topic)
            totals[key] = totals.get(key, 0) + row.lag
        return totals


def stage_input_topics(settings: Settings) -> dict[str, frozenset[str]]:
    """The topics each configured stage's group reads, known before it has committed anything."""
    names = TopicNames.from_settings(settings)
    inputs = {"dedupe": names.raw, "enrich": names.unique}
    return {f"{settings.app_id}.{stage}": frozenset({inputs[stage]}) for stage in settings.stages if stage in inputs}


def is_router_group(group: str, app_id: str) -> bool:
    """``<app_id>.<stage>``: one more dot-free name after the app id."""
    prefix = f"{app_id}."
    stage = group[len(prefix) :]
    return group.startswith(prefix) and bool(stage) and "." not in stage


class LagCollector(Collector):
    """Renders the latest snapshot; never talks to the broker itself."""

    def __init__(self, max_age: float) -> None:
        self.max_age = max_age
        self._snapshot: LagSnapshot | None = None
        self._lock = threading.Lock()

    def update(self, snapshot: LagSnapshot) -> None:
        with self._lock:
            self._snapshot = snapshot

    @property
    def snapshot(self) -> LagSnapshot | None:
        with self._lock:
            snapshot = self._snapshot
        if snapshot is not None and time.time() - snapshot.taken_at > self.max_age:
            return None
        return snapshot

    def describe(self) -> Iterable[Metric]:
        return list(self._families(None))

    def collect(self) -> Iterable[Metric]:
        return list(self._families(self.snapshot))

    def _families(self, snapshot: LagSnapshot | None) -> Iterator[Metric]:
        group_tp = ["consumergroup", "topic", "partition"]
        lag = GaugeMetricFamily(
            "kafka_consumergroup_lag", "Records a consumer group has not committed yet, per partition.", labels=group_tp
        )
        current = GaugeMetricFamily(
            "kafka_consumergroup_current_offset", "Offset a consumer group committed, per partition.", labels=group_tp
        )
        end = GaugeMetricFamily(
            "kafka_topic_partition_current_offset",
            "Readable end (last stable offset: no further than an open transaction) of a partition the router reads.",
            labels=["topic", "partition"],
        )
        total = GaugeMetricFamily(
            "mention_router_consumergroup_lag",
            "Records a router consumer group has not committed yet, summed over a topic's partitions.",
            labels=["consumergroup", "topic"],
        )
        held_records = GaugeMetricFamily(
            "mention_router_partition_held_records",
            "Records written to a partition the router reads that no read_committed reader can read yet: they "
            "follow the first record of a transaction still open.",
            labels=["topic", "partition"],
        )
        held_seconds = GaugeMetricFamily(
            "mention_router_partition_held_seconds",
            "How long the partition's readable end (last stable offset) has stood still with records behind it; "
            "0 when none are held or it moved since the last read. Minutes: a transaction nobody is ending.",
            labels=["topic", "partition"],
        )
        refreshed = GaugeMetricFamily(
            "mention_router_lag_last_refresh_timestamp_seconds",
            "Unix time the consumer-group offsets exported here were read from the broker.",
        )
        if snapshot is not None:
            for row in snapshot.partition_lags():
                labels = [row.group, row.topic, str(row.partition)]
                lag.add_metric(labels, row.lag)
                if row.committed is not None:
                    current.add_metric(labels, row.committed)
            for (topic, partition), offset in sorted(snapshot.ends.items()):
                end.add_metric([topic, str(partition)], offset)
                hold = snapshot.held.get((topic, partition))
                held_records.add_metric([topic, str(partition)], hold.records if hold else 0)
                held_seconds.add_metric([topic, str(partition)], snapshot.taken_at - hold.since if hold else 0.0)
            for (group, topic), value in sorted(snapshot.topic_lags().items()):
                total.add_metric([group, topic], value)
            refreshed.add_metric([], snapshot.taken_at)
        yield from (lag, current, end, total, held_records, held_seconds, refreshed)


class LagExporter:
    """Reads consumer-group offsets in a daemon thread and exports them on ``registry``.

    ``LagExporter(settings, registry).start()`` registers the metrics and starts the thread;
    ``stop()`` ends it and closes the admin client.
    """

    def __init__(
        self, settings: Settings, registry: CollectorRegistry, interval: float = 10.0, max_age: float | None = None
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.interval = interval
        self.collector = LagCollector(max_age if max_age is not None else max(60.0, 6 * interval))
        self.errors = Counter(
            "mention_router_lag_scrape_errors",
            "Failed attempts to read consumer-group offsets from the broker.",
            registry=registry,
        )
        registry.register(self.collector)
        self._known = stage_input_topics(settings)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._admin: Any = None
        self._held: dict[TopicPartitionKey, Held] = {}

    def start(self) -> LagExporter:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lag-exporter", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self.refresh()
                self._stop.wait(self.interval)
        finally:
            self._close_admin()

    def refresh(self) -> LagSnapshot | None:
        """Read offsets once; on failure count an error, keep the last snapshot (until it is too old)."""
        try:
            snapshot = self.read()
        except Exception as exc:  # any broker or network failure; the next refresh retries
            self.errors.inc()
            logger.warning("reading consumer-group lag failed: %s: %s", type(exc).__name__, exc)
            self._close_admin()  # reconnect next time
            return None
        self.collector.update(snapshot)
        return snapshot

    def read(self) -> LagSnapshot:
        from kafka import TopicPartition
        from kafka.admin import KafkaAdminClient, OffsetSpec
        from kafka.protocol.consumer.offsets import IsolationLevel

        if self._admin is None:
            self._admin = KafkaAdminClient(
                client_id=f"{self.settings.app_id}-lag-exporter", **self.settings.kafka_client_kwargs()
            )
        admin = self._admin
        app_id = self.settings.app_id
        groups = set(self._known)
        groups.update(g["group_id"] for g in admin.list_groups() if is_router_group(g["group_id"], app_id))
        offsets = admin.list_group_offsets(dict.fromkeys(sorted(groups))) if groups else {}
        committed: dict[str, dict[TopicPartitionKey, int]] = {}
        group_topics: dict[str, frozenset[str]] = {}
        for group in groups:
            found = offsets.get(group) or {}
            by_tp = {(tp.topic, tp.partition): meta.offset for tp, meta in found.items() if meta.offset >= 0}
            committed[group] = by_tp
            group_topics[group] = self._known.get(group, frozenset()) | {topic for topic, _ in by_tp}
        topics = sorted(set().union(*group_topics.values())) if group_topics else []
        partitions: list[TopicPartitionKey] = []
        for described in admin.describe_topics(topics) if topics else []:
            if described["error_code"] == 0:  # a topic not created yet has nothing to lag behind
                partitions.extend((described["name"], p["partition_index"]) for p in described["partitions"])
        tps = [TopicPartition(topic, partition) for topic, partition in partitions]
        ends: dict[TopicPartitionKey, int] = {}
        highs: dict[TopicPartitionKey, int] = {}
        starts: dict[TopicPartitionKey, int] = {}
        if tps:
            # The last stable offset: a read_committed stage cannot read past an open transaction.
            latest = dict.fromkeys(tps, OffsetSpec.LATEST)
            for tp, found in admin.list_partition_offsets(latest, IsolationLevel.READ_COMMITTED).items():
                ends[(tp.topic, tp.partition)] = found.offset
            for tp, found in admin.list_partition_offsets(latest, IsolationLevel.READ_UNCOMMITTED).items():
                highs[(tp.topic, tp.partition)] = found.offset  # read after the LSO: never below it
            for tp, found in admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.EARLIEST)).items():
                starts[(tp.topic, tp.partition)] = found.offset
        now = time.time()
        self._held = held_partitions(self._held, ends, highs, now)
        return LagSnapshot(group_topics, committed, ends, starts, taken_at=now, held=self._held)

    def _close_admin(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            try:
                admin.close()
            except Exception:  # closing a broken client must not kill the thread
                logger.debug("closing the lag exporter's admin client failed", exc_info=True)


class LagExporterService(Service):
    """Runs a LagExporter for the lifetime of the faust app (a dependency, started with the stages)."""

    def __init__(self, settings: Settings, registry: CollectorRegistry, **kwargs: Any) -> None:
        self.exporter = LagExporter(settings, registry)
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        self.exporter.start()

    async def on_stop(self) -> None:
        self.exporter.stop(timeout=0)  # a daemon thread; it ends at its next wake-up
