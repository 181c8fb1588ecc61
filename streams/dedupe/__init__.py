"""Pure dedupe logic: keys and the windowed state they live in (no Kafka import)."""

from streams.dedupe.keys import exact_key
from streams.dedupe.records import exact_duplicate
from streams.dedupe.window import SeenWindow

__all__ = ["SeenWindow", "exact_duplicate", "exact_key"]
