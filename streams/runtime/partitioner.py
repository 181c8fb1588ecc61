"""Key → partition for everything the router produces.

aiokafka's default partitioner is Kafka's murmur2 in pure Python, about 18 µs per message here,
more than the rest of producing. The router is the only producer of its output topics, so any
stable hash keeps "same key, same partition"; xxh3 costs well under a microsecond. The tools
(replay, demo) use it for the raw and responses topics too; records another producer put in a
different partition are moved by the stage (see ``streams.partitioning``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import xxhash


def xxh3_partitioner(key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
    if key is None:
        return random.choice(available or all_partitions)
    # Kafka numbers a topic's partitions 0..n-1, so the remainder is the partition itself.
    return xxhash.xxh3_64_intdigest(key) % len(all_partitions)
