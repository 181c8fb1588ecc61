"""mentions.raw → mentions.unique (first of its group) or mentions.duplicates (merged into an earlier one).

The raw topic is keyed by author identity (``streams.partitioning.raw_partition_key``), so one
person's mentions on every channel meet in one partition and one ``DedupeIndex``: exact replays,
cross-posts, reshares and near duplicates are decided there. A record another producer put in a
different partition is first moved to the stage's repartition topic, which the stage also reads.
The index of each owned partition is kept in a compacted changelog and restored on assignment, so
a restart or a rebalance forwards nothing twice. Unique mentions leave keyed by their wave key, so
the enrich stage sees every near-identical text of a wave in one partition.
"""

from __future__ import annotations

from datetime import UTC, datetime

from schemas import Channel, DuplicateKind, DuplicateRecord, Mention
from streams.dedupe import DedupeIndex, identity_key, wave_key
from streams.event_time import EventTimeBounds
from streams.metrics import Metrics
from streams.partitioning import kafka_partition, raw_partition_key
from streams.runtime.records import InputRecord, Output
from streams.runtime.stage import PartitionStores, Stage
from streams.topics import TopicNames


class DedupeAgent(Stage):
    name = "dedupe"

    def __init__(
        self,
        topics: TopicNames,
        metrics: Metrics,
        window_seconds: float,
        max_keys: int,
        bounds: EventTimeBounds | None = None,
    ) -> None:
        self._bounds = bounds or EventTimeBounds()
        self.input_topic = topics.raw
        self._repartition_topic = topics.repartition(self.name)
        self.input_topics = (topics.raw, self._repartition_topic)
        self.external_topics = (topics.raw,)
        self.changelog_topic = topics.changelog(self.name)
        self._unique_topic = topics.unique
        self._duplicates_topic = topics.duplicates
        self._partition_count = 0
        self._indexes = PartitionStores(
            self.changelog_topic, lambda: DedupeIndex(window_seconds, max_keys), metrics, self.name
        )
        # Read at scrape time: no per-event cost.
        metrics.dedupe_keys.set_function(self.state_size)
        metrics.state_keys.labels(stage=self.name).set_function(self.state_size)
        self._duplicates = {kind: metrics.duplicates.labels(kind=kind.value) for kind in DuplicateKind}
        self._ingested = {channel: metrics.ingested.labels(channel=channel.value) for channel in Channel}

    def handle(self, record: InputRecord, out: list[Output]) -> None:
        assert record.value is not None
        mention = Mention.model_validate_json(record.value)
        self._bounds.check(mention.created_at, "created_at")
        identity = identity_key(mention)
        if record.topic == self.input_topic:
            self.updates.add(record.partition, self._ingested[mention.channel].inc)
            if self._partition_count:
                key = raw_partition_key(mention, identity)
                expected = kafka_partition(key, self._partition_count)
                if expected != record.partition:  # another producer's partitioner: move it to its partition
                    out.append(Output(self._repartition_topic, key, record.value, record.timestamp, expected))
                    return
        verdict = self._indexes[record.partition].observe(mention, identity)
        if verdict is None:
            # Forward the bytes as received: no re-encoding on the hot path, unknown fields preserved.
            wave = wave_key(mention.text).to_bytes(8, "big")
            out.append(Output(self._unique_topic, wave, record.value, record.timestamp, schema="mention"))
            return
        duplicate = DuplicateRecord(
            kind=verdict.kind,
            mention_id=mention.id,
            canonical_id=verdict.canonical_id,
            channel=mention.channel,
            brand_account=mention.brand_account,
            evidence=verdict.evidence,
            detected_at=datetime.now(UTC),
        )
        value = duplicate.model_dump_json().encode()
        out.append(
            Output(self._duplicates_topic, verdict.canonical_id.encode(), value, record.timestamp, schema="duplicate")
        )
        self.updates.add(record.partition, self._duplicates[verdict.kind].inc)

    def end_batch(self, partition: int, out: list[Output]) -> None:
        """The partition's state changes go to the changelog in the same transaction as its outputs."""
        self._indexes.drain(partition, out)

    def restore(self, partition: int, key: bytes, value: bytes | None) -> None:
        self._indexes.restore(partition, key, value)

    def partitions_assigned(self, partitions: set[int], partition_count: int) -> None:
        self._partition_count = partition_count
        self._indexes.assigned(partitions, partition_count)

    def partitions_revoked(self, partitions: set[int]) -> None:
        self._indexes.revoked(partitions)

    def partitions_parked(self, partitions: set[int]) -> None:
        self._indexes.park(partitions)

    def partitions_unparked(self, partitions: set[int]) -> set[int]:
        return self._indexes.unpark(partitions)

    def state_size(self) -> int:
        """State keys held for the owned partitions."""
        return self._indexes.size()
