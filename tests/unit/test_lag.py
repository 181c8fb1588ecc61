"""The lag exporter's arithmetic and rendering, with plain values (no broker)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from prometheus_client import CollectorRegistry

from streams.observability.held import Held
from streams.observability.lag import LagCollector, LagExporter, LagSnapshot, is_router_group, stage_input_topics
from streams.settings import Settings

GROUP = "mention-router.dedupe"
RAW = "mentions.raw"


def snapshot(taken_at: float | None = None) -> LagSnapshot:
    return LagSnapshot(
        group_topics={GROUP: frozenset({RAW}), "mention-router.enrich": frozenset({"mentions.unique"})},
        committed={GROUP: {(RAW, 0): 7, (RAW, 1): 10}},
        ends={(RAW, 0): 10, (RAW, 1): 10, (RAW, 2): 5, ("mentions.unique", 0): 4},
        starts={(RAW, 2): 2},
        taken_at=time.time() if taken_at is None else taken_at,
    )


def test_lag_is_end_minus_committed_and_uncommitted_partitions_count_from_the_log_start() -> None:
    rows = {(r.group, r.topic, r.partition): r for r in snapshot().partition_lags()}
    assert rows[(GROUP, RAW, 0)].lag == 3
    assert rows[(GROUP, RAW, 1)].lag == 0
    assert rows[(GROUP, RAW, 2)].lag == 3  # never committed: end 5 - start 2
    assert rows[(GROUP, RAW, 2)].committed is None
    assert rows[("mention-router.enrich", "mentions.unique", 0)].lag == 4
    assert (GROUP, "mentions.unique", 0) not in rows  # only the topics a group reads


def test_lag_is_never_negative() -> None:
    odd = LagSnapshot({GROUP: frozenset({RAW})}, {GROUP: {(RAW, 0): 12}}, {(RAW, 0): 10})
    assert [r.lag for r in odd.partition_lags()] == [0]


def test_topic_lag_sums_partitions() -> None:
    assert snapshot().topic_lags() == {(GROUP, RAW): 6, ("mention-router.enrich", "mentions.unique"): 4}


def rendered(taken: LagSnapshot) -> Callable[..., float | None]:
    """The sample lookup of a registry whose lag collector holds ``taken``."""
    registry = CollectorRegistry()
    collector = LagCollector(max_age=60)
    registry.register(collector)
    collector.update(taken)
    return registry.get_sample_value


def test_collector_exports_kafka_exporter_names() -> None:
    value = rendered(snapshot())
    assert value("kafka_consumergroup_lag", {"consumergroup": GROUP, "topic": RAW, "partition": "0"}) == 3
    assert value("kafka_consumergroup_current_offset", {"consumergroup": GROUP, "topic": RAW, "partition": "0"}) == 7
    assert value("kafka_consumergroup_current_offset", {"consumergroup": GROUP, "topic": RAW, "partition": "2"}) is None
    assert value("kafka_topic_partition_current_offset", {"topic": RAW, "partition": "2"}) == 5
    assert value("mention_router_consumergroup_lag", {"consumergroup": GROUP, "topic": RAW}) == 6
    assert value("mention_router_lag_last_refresh_timestamp_seconds") == pytest.approx(time.time(), abs=5)
    assert value("mention_router_partition_held_records", {"topic": RAW, "partition": "0"}) == 0
    assert value("mention_router_partition_held_seconds", {"topic": RAW, "partition": "0"}) == 0


def test_partitions_held_behind_an_open_transaction_are_rendered_with_how_long() -> None:
    taken = snapshot()
    value = rendered(replace(taken, held={(RAW, 1): Held(stable=10, records=4, since=taken.taken_at - 30)}))
    assert value("mention_router_partition_held_records", {"topic": RAW, "partition": "1"}) == 4
    assert value("mention_router_partition_held_seconds", {"topic": RAW, "partition": "1"}) == pytest.approx(30)
    assert value("mention_router_partition_held_records", {"topic": RAW, "partition": "0"}) == 0
    assert value("mention_router_partition_held_seconds", {"topic": RAW, "partition": "2"}) == 0


def test_a_stale_snapshot_is_dropped_not_shown_as_current() -> None:
    value = rendered(snapshot(taken_at=time.time() - 61))
    assert value("mention_router_consumergroup_lag", {"consumergroup": GROUP, "topic": RAW}) is None


def test_router_groups_are_app_id_dot_stage() -> None:
    assert is_router_group("mention-router.track", "mention-router")
    assert not is_router_group("mention-router", "mention-router")
    assert not is_router_group("mention-router.", "mention-router")
    assert not is_router_group("mention-router.demo.dedupe", "mention-router")
    assert not is_router_group("other.dedupe", "mention-router")


def test_configured_stages_are_known_before_they_commit() -> None:
    settings = Settings(app_id="acme", topic_prefix="acme.", stages="dedupe,enrich")  # type: ignore[arg-type]
    assert stage_input_topics(settings) == {
        "acme.dedupe": frozenset({"acme.mentions.raw"}),
        "acme.enrich": frozenset({"acme.mentions.unique"}),
    }


def test_an_unreachable_broker_counts_an_error_and_keeps_nothing() -> None:
    registry = CollectorRegistry()
    settings = Settings(bootstrap_servers="127.0.0.1:1")
    exporter = LagExporter(settings, registry)

    def fail() -> LagSnapshot:
        raise ConnectionError("no broker")

    exporter.read = fail  # type: ignore[method-assign]
    assert exporter.refresh() is None
    assert registry.get_sample_value("mention_router_lag_scrape_errors_total") == 1
    assert registry.get_sample_value("mention_router_lag_last_refresh_timestamp_seconds") is None
