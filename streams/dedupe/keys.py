"""Dedupe keys: 64-bit hashes, so a million keys cost integers, not strings."""

from __future__ import annotations

import xxhash


def exact_key(channel: str, native_id: str) -> int:
    """The same post seen again (a replay or a connector retry) has the same channel and native id."""
    return int(xxhash.xxh3_64_intdigest(f"{channel}\x00{native_id}".encode()))
