"""The keys that decide partitions on topics other programs write to (raw mentions, responses).

Everything the router and its tools produce goes through the xxh3 partitioner
(``streams.runtime.partitioner``). A connector that writes ``mentions.raw`` should key each
mention with ``raw_partition_key`` and use the same partitioner (or set the partition to
``partition_for(key, n)`` itself); a record found in another partition still works, at the cost
of one extra hop through the stage's repartition topic.
"""

from __future__ import annotations

import xxhash

from schemas import Mention
from streams.dedupe.identity import identity_key

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
    """The partition the xxh3 partitioner gives ``key``."""
    return xxhash.xxh3_64_intdigest(key) % partitions
