"""Changelog plumbing shared by DedupeIndex and WaveTracker (pure: no Kafka import).

State lives in insertion-ordered dicts keyed by 64-bit ints; ``Dirty`` remembers which keys changed
since the last drain, in the order of their last change, so that replaying the drained entries with
``move_to_end`` semantics rebuilds each dict in the same order (expiry and eviction depend on it).
A changelog key is one namespace byte and the 8-byte big-endian state key; a value of ``None`` is a
tombstone (the key expired or was evicted).
"""

from __future__ import annotations

import struct
from typing import TypeVar

V = TypeVar("V")

WATERMARK_KEY = b"W" + bytes(8)
DOUBLE = struct.Struct("<d")


def changelog_key(namespace: bytes, key: int) -> bytes:
    return namespace + key.to_bytes(8, "big")


def split_key(key: bytes) -> tuple[bytes, int]:
    if len(key) != 9:
        raise ValueError(f"not a dedupe state key: {key!r}")
    return key[:1], int.from_bytes(key[1:], "big")


def touch(dirty: dict[int, None], key: int) -> None:
    """Mark ``key`` changed, as its most recent change."""
    dirty.pop(key, None)
    dirty[key] = None


def put_last(state: dict[int, V], key: int, value: V) -> None:
    """Set ``state[key]`` as the newest entry (what the live state does on every update)."""
    state.pop(key, None)
    state[key] = value
