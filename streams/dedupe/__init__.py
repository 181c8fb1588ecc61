"""Pure dedupe logic: keys, the windowed state they live in, and the merge rules (no Kafka import)."""

from streams.dedupe.identity import identity_key
from streams.dedupe.index import DedupeIndex, Verdict
from streams.dedupe.keys import exact_key
from streams.dedupe.records import exact_duplicate
from streams.dedupe.waves import WaveTracker, wave_key

__all__ = [
    "DedupeIndex",
    "Verdict",
    "WaveTracker",
    "exact_duplicate",
    "exact_key",
    "identity_key",
    "wave_key",
]
