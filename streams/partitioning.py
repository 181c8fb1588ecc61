"""The keys and partitions of the router's topics.

Topics other programs write (``mentions.raw``, ``mentions.responses``) are partitioned as Kafka's own
producers partition keyed records: murmur2 (``kafka_partition``), the default of the Java producer, Kafka
Connect, Kafka Streams, kafka-python and aiokafka, and librdkafka's ``partitioner=murmur2_random``. A
connector keys each mention with ``raw_partition_key`` and each response with ``response_key`` and needs no
custom partitioner (docs/contract.md); a record found in another partition still works, at the cost of one
extra hop through the stage's repartition topic. ``mentions.assignments`` is partitioned the same way, since the
track stage reads it co-partitioned with the responses. Every other topic only the router writes, and there
any stable hash keeps "same key, same partition": xxh3 (``partition_for``) costs well under a microsecond.
"""

from __future__ import annotations

import xxhash

from schemas import Mention
from streams.dedupe.identity import identity_key

__all__ = ["RESHARE_AUTHOR", "kafka_partition", "murmur2", "partition_for", "raw_partition_key", "response_key"]

RESHARE_AUTHOR = "reshare_of_author"  # metadata: the original's author handle, when a connector knows it


def raw_partition_key(mention: Mention, identity: str | None = None) -> bytes:
    """One person's mentions meet in one dedupe partition (cross-posts, near duplicates, replays).

    A reshare goes to its original's author when the connector says who that is, so echoes are
    counted where the original is remembered. ``identity``: ``identity_key(mention)`` when the caller
    already has it.
    """
    original_author = mention.metadata.get(RESHARE_AUTHOR) if mention.reshare_of_id else None
    if isinstance(original_author, str) and original_author:
        return original_author.strip().lstrip("@").lower().encode()
    return (identity if identity is not None else identity_key(mention)).encode()


def response_key(mention_id: str) -> bytes:
    """Responses and assignments meet in one track partition."""
    return mention_id.encode()


def partition_for(key: bytes, partitions: int) -> int:
    """The partition the xxh3 partitioner gives ``key`` (topics only the router writes)."""
    return xxhash.xxh3_64_intdigest(key) % partitions


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (``Utils.murmur2`` in the Java client), as an unsigned 32-bit value."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    whole = length - length % 4
    for i in range(0, whole, 4):
        k = (data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24) * m & mask
        k = (k ^ k >> 24) * m & mask
        h = (h * m & mask) ^ k
    rest = length % 4
    if rest == 3:
        h ^= data[whole + 2] << 16
    if rest >= 2:
        h ^= data[whole + 1] << 8
    if rest >= 1:
        h = (h ^ data[whole]) * m & mask
    h = (h ^ h >> 13) * m & mask
    return h ^ h >> 15


def _kafka_partition(key: bytes, partitions: int) -> int:
    """Java's ``toPositive(murmur2(key)) % partitions`` (``streams/_murmur2.c`` does the same ~70x faster)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


try:
    from streams._murmur2 import kafka_partition
except ImportError:  # pragma: no cover - the optional C extension was not built: the same results, slower
    kafka_partition = _kafka_partition
