"""Outputs grouped by the partition they go to, so the producer appends them to record batches directly.

aiokafka's ``send()`` costs ~11-13 µs per record (a coroutine, metadata wait, partitioner and an
accumulator lookup each time); appending to a ``BatchBuilder`` costs ~1.2 µs. A mention produces
~8 records on its way through the stages, so the producer hands whole per-partition groups over. A
batch handed over waits until the partition's previous batch left for the broker, so small groups (a
quiet stream, where that wait would be latency) still go through ``send()``.
The partition is Kafka's murmur2 one for the topics others write (``streams.partitioning``), else xxh3.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

from streams.partitioning import kafka_partition, partition_for
from streams.runtime.records import Output


def group_by_partition(
    outputs: Iterable[Output],
    partition_counts: Mapping[str, int],
    available: Mapping[str, Sequence[int]],
    kafka_partitioned: frozenset[str] = frozenset(),
) -> dict[tuple[str, int], list[Output]]:
    """``{(topic, partition): outputs in their original order}``.

    An output's own ``partition`` wins; else its key's partition (murmur2 for ``kafka_partitioned`` topics,
    xxh3 for the rest); a record with neither goes to a random partition with a leader (``available``, else
    any: Kafka's rule for unkeyed records). ``partition_counts`` holds every output topic's count.
    """
    groups: dict[tuple[str, int], list[Output]] = {}
    for output in outputs:
        partition = output.partition
        if partition is None:
            count = partition_counts[output.topic]
            if output.key is None:
                partition = random.choice(available.get(output.topic) or range(count))
            elif output.topic in kafka_partitioned:
                partition = kafka_partition(output.key, count)
            else:
                partition = partition_for(output.key, count)
        group = groups.get((output.topic, partition))
        if group is None:
            groups[(output.topic, partition)] = [output]
        else:
            group.append(output)
    return groups
