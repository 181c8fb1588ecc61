"""mentions.raw → mentions.unique (first sighting) or mentions.duplicates (merged)."""

from __future__ import annotations

from schemas import Channel, DuplicateKind, Mention
from streams.dedupe import SeenWindow, exact_duplicate, exact_key
from streams.metrics import Metrics
from streams.runtime.records import InputRecord, Output
from streams.topics import TopicNames


class DedupeAgent:
    name = "dedupe"

    def __init__(self, topics: TopicNames, metrics: Metrics, window_seconds: float, max_keys: int) -> None:
        self.input_topic = topics.raw
        self._unique_topic = topics.unique
        self._duplicates_topic = topics.duplicates
        self._window_seconds = window_seconds
        self._max_keys = max_keys
        # One window per input partition: state follows its partition when a rebalance moves it.
        self._windows: dict[int, SeenWindow] = {}
        # Read at scrape time: no per-event cost.
        metrics.dedupe_keys.set_function(lambda: sum(len(w) for w in self._windows.values()))
        self._exact = metrics.duplicates.labels(kind=DuplicateKind.EXACT.value)
        self._ingested = {channel: metrics.ingested.labels(channel=channel.value) for channel in Channel}

    def handle(self, record: InputRecord, out: list[Output]) -> None:
        assert record.value is not None
        mention = Mention.model_validate_json(record.value)
        self._ingested[mention.channel].inc()
        window = self._windows.get(record.partition)
        if window is None:
            window = self._windows[record.partition] = SeenWindow(self._window_seconds, self._max_keys)
        first_seen = window.check_and_add(exact_key(mention.channel, mention.native_id), mention.created_at.timestamp())
        if first_seen is None:
            # Forward the bytes as received: no re-encoding on the hot path, unknown fields preserved.
            out.append(Output(self._unique_topic, mention.id.encode(), record.value, record.timestamp))
            return
        duplicate = exact_duplicate(mention, first_seen)
        out.append(
            Output(
                self._duplicates_topic,
                duplicate.canonical_id.encode(),
                duplicate.model_dump_json().encode(),
                record.timestamp,
            )
        )
        self._exact.inc()

    def partitions_revoked(self, partitions: set[int]) -> None:
        for partition in partitions:
            self._windows.pop(partition, None)
