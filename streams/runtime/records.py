"""The shapes a stage sees and emits; plain values so stage logic is testable without Kafka."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class InputRecord(Protocol):
    """What a stage reads; aiokafka's ConsumerRecord satisfies it, and so does a test double."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Record:
    """A concrete InputRecord, for tests and tools."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class Output:
    topic: str
    key: bytes | None
    value: bytes | None  # None: a tombstone (changelogs)
    timestamp_ms: int | None = None  # carries the ingest time along the pipeline
    partition: int | None = None  # set for changelogs and repartitioning; else the key decides


class Stage(Protocol):
    """One processing step: reads one topic, appends zero or more outputs per record.

    ``handle`` may raise; the runner turns any exception into a dead letter and discards the
    outputs this record had appended, so a record ends in exactly one place.
    """

    name: str
    input_topic: str

    def handle(self, record: InputRecord, out: list[Output]) -> None: ...

    def partitions_revoked(self, partitions: set[int]) -> None: ...


class BatchAwareStage(Stage, Protocol):
    """A stage that does part of its work for a whole fetched batch at once (the enrich stage runs each
    enricher over the batch: the CPU caches stay warm). ``begin_batch`` sees every record of the batch before
    the first ``handle``; it must not emit outputs or fail records (``handle`` still does both, in order),
    and an exception from it only means ``handle`` does all the work.
    """

    def begin_batch(self, records: Sequence[InputRecord]) -> None: ...


class StatefulStage(Stage, Protocol):
    """A stage whose per-partition state is kept in a compacted changelog topic.

    The runner restores a partition's state from its changelog partition (same number as the input
    partition) before the first record of that partition is handled, and drops it on revocation.
    The stage writes its state changes as outputs to the changelog in the same batch as the records
    that caused them, so they are acknowledged before the input offsets are committed.
    """

    changelog_topic: str

    def restore(self, partition: int, key: bytes, value: bytes | None) -> None: ...

    def partitions_assigned(self, partitions: set[int], partition_count: int) -> None: ...

    def end_batch(self, out: list[Output]) -> None: ...
