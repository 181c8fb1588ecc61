"""streams.runtime.heap: the worker's collector settings and its pause histogram."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from streams.metrics import Metrics
from streams.runtime import heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_settle_freezes_what_is_loaded_and_collects_less_often() -> None:
    loaded = [{"weights": list(range(10))} for _ in range(1000)]  # a model loaded at start-up
    heap.settle()
    assert gc.get_freeze_count() >= len(loaded)
    assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, *heap.OLDER_THRESHOLDS)
    assert heap.YOUNG_THRESHOLD > 700  # CPython's default


def test_every_collection_is_timed_by_generation() -> None:
    metrics = Metrics(CollectorRegistry())
    callback = heap.observe_pauses(metrics.gc_pauses)
    try:
        gc.collect(0)
        gc.collect(2)
        gc.collect(2)
    finally:
        gc.callbacks.remove(callback)
    registry = metrics.registry
    count = registry.get_sample_value
    assert count("mention_router_gc_pause_seconds_count", {"generation": "2"}) == 2
    assert count("mention_router_gc_pause_seconds_count", {"generation": "0"}) >= 1
    assert count("mention_router_gc_pause_seconds_sum", {"generation": "2"}) > 0
