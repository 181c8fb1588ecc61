"""streams.runtime.heap: the worker's collector settings and its pause histogram."""

from __future__ import annotations

import gc
import json
import platform
import subprocess
import sys
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


_HOLES = """
import json, resource
from pathlib import Path
from streams.runtime import heap

def resident_mb():
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20

# 100 MiB of heap blocks, each followed by a small one that stays: freeing the large ones leaves holes below
# the heap's top, which glibc keeps until it is told to trim.
blocks, pins = [], []
for _ in range(1_600):
    blocks.append(bytearray(64 * 1024))
    pins.append(bytearray(600))  # above pymalloc's 512 bytes: from the same heap
held = resident_mb()
del blocks
freed = resident_mb()
tuned = heap.tune_allocator()
print(json.dumps({"held": held, "freed": freed, "trimmed": resident_mb(), "tuned": tuned, "pins": len(pins)}))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim and mallopt are glibc's")
def test_freed_heap_memory_goes_back_to_the_system() -> None:
    # In a fresh interpreter: this one's heap, shaped by the tests before, would hide or fill the holes.
    result = subprocess.run([sys.executable, "-c", _HOLES], capture_output=True, text=True, check=True)
    sizes = json.loads(result.stdout)
    assert sizes["tuned"]
    assert sizes["freed"] > sizes["held"] - 50, "the holes stay resident until trimmed"
    assert sizes["trimmed"] < sizes["freed"] - 80
