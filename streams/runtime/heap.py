"""The worker's garbage collector: out of the way of the stream, and its pauses measured.

A worker loads ~140,000 long-lived objects before it reads a record (sentiment models, the topic taxonomy,
rules), then allocates many short-lived ones per record, nearly all freed by reference counting. With
CPython's default thresholds it ran ~1,800 young collections and a dozen full ones in a 30 s stream at 1,000
mentions/s, and every full collection walked the models and the state again: 110-230 ms pauses every few
seconds, the largest part of the ingest→routed p99. ``settle`` moves what start-up loaded into the permanent
generation (``gc.freeze``: never scanned, never collected) and collects the young generation every 10,000
net allocations instead of 700: in paired runs at 1,000 mentions/s, 85 young collections and one full one,
GC time 2.0 → 0.4 s, p99 306-408 → 164-198 ms. Cycles are still collected, just less often.

The C allocator (glibc) is told two things, no-ops on other C libraries. Loading leaves tens of MB freed but
still held (the sentiment file's parsed JSON alone is ~50 MB of short-lived objects): ``malloc_trim`` hands
it back. And freeing those large blocks had raised glibc's dynamic mmap threshold to tens of MB, so every
large block after it (a state dict's table as it doubles) came from the heap and left a hole there when
freed: the threshold is fixed at glibc's default, 128 KiB. A worker with a million dedupe keys: 286 → 268 MB.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import Histogram

logger = logging.getLogger(__name__)

YOUNG_THRESHOLD = 10_000  # net allocations between young collections (CPython's default: 700)
OLDER_THRESHOLDS = (10, 10)  # CPython's defaults: each older generation every 10 collections of the one below


def settle() -> None:
    """Once start-up has loaded what lives as long as the worker: freeze it and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
    tune_allocator()


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 128 * 1024  # glibc's initial value, here fixed: large blocks are mapped and unmapped whole


def tune_allocator() -> bool:
    """Fix the C allocator's mmap threshold and return its free memory to the system; False where the C
    library has no such calls (not glibc)."""
    try:
        libc = ctypes.CDLL(None)
        mallopt, trim = libc.mallopt, libc.malloc_trim
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    if not mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD):
        logger.warning("could not fix the C allocator's mmap threshold")
    trim(0)
    return True


def observe_pauses(histogram: Histogram) -> Callable[[str, dict[str, Any]], None]:
    """Time every collection into ``histogram`` (labelled by generation: 0, 1 or 2); returns the callback
    installed in ``gc.callbacks``."""
    children = {generation: histogram.labels(generation=str(generation)) for generation in range(3)}
    started = 0.0

    def callback(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
        elif (child := children.get(info.get("generation", -1))) is not None:
            child.observe(time.perf_counter() - started)

    gc.callbacks.append(callback)
    return callback
