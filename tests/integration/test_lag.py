"""The lag exporter on the real broker: exported lag equals end offset minus committed offset."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry

from streams.observability.lag import LagExporter
from streams.settings import Settings
from tests.integration.conftest import Worker, create_topics

pytestmark = pytest.mark.integration


def test_exported_lag_is_end_minus_committed(bootstrap: str, producer: KafkaProducer) -> None:
    prefix = f"lag{uuid.uuid4().hex[:8]}."
    settings = Settings(bootstrap_servers=bootstrap, app_id=f"{prefix}router", topic_prefix=prefix)
    raw = f"{prefix}mentions.raw"
    create_topics(bootstrap, [raw], 3)
    sent = {0: 7, 1: 4, 2: 0}
    for partition, count in sent.items():
        for i in range(count):
            producer.send(raw, f"m{i}".encode(), partition=partition)
    producer.flush(30)

    group = f"{prefix}router.dedupe"
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        consumer.commit({TopicPartition(raw, 0): OffsetAndMetadata(5, "", -1)})  # partitions 1, 2 never committed
    finally:
        consumer.close()

    registry = CollectorRegistry()
    exporter = LagExporter(settings, registry)
    try:
        assert exporter.refresh() is not None
    finally:
        exporter.stop()
    value = registry.get_sample_value
    labels = {"consumergroup": group, "topic": raw}
    assert value("kafka_consumergroup_lag", labels | {"partition": "0"}) == 7 - 5
    assert value("kafka_consumergroup_current_offset", labels | {"partition": "0"}) == 5
    assert value("kafka_consumergroup_lag", labels | {"partition": "1"}) == 4  # from the log start
    assert value("kafka_consumergroup_lag", labels | {"partition": "2"}) == 0
    assert value("kafka_topic_partition_current_offset", {"topic": raw, "partition": "0"}) == 7
    assert value("mention_router_consumergroup_lag", labels) == 2 + 4
    assert value("mention_router_lag_scrape_errors_total") == 0


def test_a_worker_exports_its_stages_lag_going_to_zero(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    worker = make_worker()
    worker.start()
    raw = worker.topic("raw")
    count = 40
    for i in range(count):
        producer.send(raw, b"not a mention %d" % i, key=b"k%d" % i)  # dead-lettered, but consumed and committed
    producer.flush(30)
    group = f"{worker.prefix}router.dedupe"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        snapshot = worker.metrics()
        end = snapshot.total("kafka_topic_partition_current_offset", topic=raw)
        committed = snapshot.total("kafka_consumergroup_current_offset", consumergroup=group, topic=raw)
        lag = snapshot.total("mention_router_consumergroup_lag", consumergroup=group, topic=raw)
        if end == count and committed == count and lag == 0:
            break
        time.sleep(1)
    else:
        pytest.fail(f"lag not exported as drained: end={end} committed={committed} lag={lag}\n{worker.log_tail()}")
    assert snapshot.total("mention_router_lag_scrape_errors_total") == 0
    assert snapshot.total("mention_router_last_commit_timestamp_seconds", stage="dedupe") > time.time() - 120
    assert snapshot.total("mention_router_rebalances_total", stage="dedupe") >= 1


def test_a_transaction_left_open_on_an_input_shows_as_held(bootstrap: str, producer: KafkaProducer) -> None:
    """Lag reads 0 while a producer's open transaction holds a partition; the held gauges show it, and how long
    its readable end has stood still."""
    prefix = f"held{uuid.uuid4().hex[:8]}."
    settings = Settings(bootstrap_servers=bootstrap, app_id=f"{prefix}router", topic_prefix=prefix)
    raw = f"{prefix}mentions.raw"
    create_topics(bootstrap, [raw], 2)
    producer.send(raw, b"before", partition=0)
    producer.flush(30)
    hanging = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"{prefix}hostile")
    registry = CollectorRegistry()
    exporter = LagExporter(settings, registry)
    value = registry.get_sample_value
    p0, p1 = {"topic": raw, "partition": "0"}, {"topic": raw, "partition": "1"}
    try:
        hanging.init_transactions()
        hanging.begin_transaction()
        for i in range(3):
            hanging.send(raw, b"held %d" % i, partition=0)
        hanging.flush(30)
        assert exporter.refresh() is not None
        assert value("mention_router_partition_held_records", p0) == 3
        assert value("mention_router_partition_held_seconds", p0) == 0  # first seen now
        assert value("kafka_topic_partition_current_offset", p0) == 1  # the readable end stops before them
        assert value("mention_router_partition_held_records", p1) == 0
        time.sleep(1.5)
        assert exporter.refresh() is not None
        assert value("mention_router_partition_held_seconds", p0) >= 1.4
        assert value("mention_router_partition_held_seconds", p1) == 0
        hanging.abort_transaction()
        deadline = time.monotonic() + 30  # the abort marker lands after the abort returns
        while time.monotonic() < deadline:
            assert exporter.refresh() is not None
            if value("mention_router_partition_held_records", p0) == 0:
                break
            time.sleep(0.2)
        assert value("mention_router_partition_held_records", p0) == 0
        assert value("mention_router_partition_held_seconds", p0) == 0
    finally:
        exporter.stop()
        hanging.close(timeout=5)
