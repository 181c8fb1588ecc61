"""An author's recent mentions, packed in one bytes value, and the cross-post / near-duplicate rules.

Each record: time, normalised-text hash, numbers hash, own exact key, 128-bit word sketch, word count,
then the canonical mention id (UTF-8). Records are scanned with ``struct.unpack_from``; only a match
decodes its id, only a near-duplicate candidate turns its sketch into an integer.
"""

from __future__ import annotations

import struct

from pydantic import JsonValue

from schemas.duplicate import DuplicateKind
from streams.dedupe.text import jaccard

NEAR_THRESHOLD = 0.7  # estimated word-set Jaccard; see docs/dedupe.md for the measurement
MIN_NEAR_WORDS = 5  # shorter texts are never near duplicates, only identical (cross-post) ...
SHORT_WINDOW_SECONDS = 900.0  # ... and then only within 15 minutes of each other

REC = struct.Struct("<dQQQ16sHH")  # time, text hash, numbers hash, own exact key, sketch, word count, id length
Fields = tuple[float, int, int, int, bytes, int, int]  # REC's fields, as unpacked
Entry = tuple[int, int, Fields]  # start and end offsets of a record in its blob, and its fields
Match = tuple[DuplicateKind, str, dict[str, JsonValue]]  # kind, canonical id, evidence


def scan(blob: bytes, horizon: float) -> tuple[list[Entry], int]:
    """The author's records not older than ``horizon`` (after the 8-byte header), and how many there were."""
    kept, offset, total = [], 8, 0
    while offset < len(blob):
        fields: Fields = REC.unpack_from(blob, offset)
        end = offset + REC.size + fields[6]
        if fields[0] >= horizon:
            kept.append((offset, end, fields))
        offset, total = end, total + 1
    return kept, total


def canonical(blob: bytes, entry: Entry) -> str:
    return blob[entry[0] + REC.size : entry[1]].decode()


def pack(time: float, text: int, numbers: int, own: int, sketch_bits: int, count: int, canonical_id: str) -> bytes:
    cid = canonical_id.encode()
    return REC.pack(time, text, numbers, own, sketch_bits.to_bytes(16, "little"), count, len(cid)) + cid


def find_match(
    blob: bytes,
    earlier: list[Entry],
    this: tuple[float, int, int, int, int],
    parent: int | None,
    near_threshold: float,
    short_window_seconds: float,
) -> Match | None:
    """The earlier record this mention (time, text hash, numbers hash, sketch, word count) copies.

    ``parent`` is the exact key of the post this one replies to: never a match.
    """
    now, text, numbers, bits, count = this
    near_ok = count >= MIN_NEAR_WORDS
    best: Entry | None = None
    best_score = 0.0
    for entry in earlier:
        time, their_text, their_numbers, their_own, their_bits, their_count, _ = entry[2]
        if their_own == parent:
            continue  # a reply is never a duplicate of the post it answers
        if their_text == text:
            if count == 0:
                continue  # nothing but links, handles or emoji: no words to call the same (twcs has such pairs)
            if count < MIN_NEAR_WORDS and abs(now - time) > short_window_seconds:
                continue
            evidence: dict[str, JsonValue] = {
                "matched_fields": ["author_identity", "normalised_text"],
                "similarity": 1.0,
                "first_seen": time,
            }
            return DuplicateKind.CROSS_POST, canonical(blob, entry), evidence
        if near_ok and their_count >= MIN_NEAR_WORDS and their_numbers == numbers:
            score = jaccard(bits, int.from_bytes(their_bits, "little"))
            if score > best_score:
                best, best_score = entry, score
    if best is None or best_score < near_threshold:
        return None
    evidence = {
        "matched_fields": ["author_identity", "similar_text"],
        "similarity": round(best_score, 3),
        "threshold": near_threshold,
        "first_seen": best[2][0],
    }
    return DuplicateKind.NEAR_DUPLICATE, canonical(blob, best), evidence
