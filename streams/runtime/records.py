"""The shapes a stage sees and emits; plain values so stage logic is testable without Kafka."""

from __future__ import annotations

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
    schema: str | None = None  # a schemas.versions name: the record's `schema` header (None: internal topics)
