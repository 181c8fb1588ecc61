"""streams.runtime.heap: the worker's collector settings and its pause histogram."""

from __future__ import annotations

import gc
import platform
import resource
from collections.abc import Iterator
from pathlib import Path

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


def _resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim and mallopt are glibc's")
def test_freed_heap_memory_goes_back_to_the_system() -> None:
    # 100 MiB of heap blocks, each followed by a small one that stays: freeing the large ones leaves holes
    # below the heap's top, which glibc keeps until it is told to trim.
    blocks, pins = [], []
    for _ in range(1_600):
        blocks.append(bytearray(64 * 1024))
        pins.append(bytearray(600))  # above pymalloc's 512 bytes: from the same heap
    held = _resident_mb()
    del blocks
    freed = _resident_mb()
    assert heap.tune_allocator()
    trimmed = _resident_mb()
    assert freed > held - 50, "the holes stay resident until trimmed"
    assert trimmed < freed - 80
    assert len(pins) == 1_600
