"""Anything a stage could not process, with its original bytes (``mentions.dlq``)."""

from __future__ import annotations

import base64
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class DeadLetterReason(StrEnum):
    UNDECODABLE = "undecodable"  # not UTF-8 JSON
    SCHEMA_VIOLATION = "schema_violation"  # JSON, but not a valid record for the stage
    OVERSIZE = "oversize"  # larger than the configured maximum payload
    TIME_OUT_OF_RANGE = "time_out_of_range"  # an event time too far ahead of the clock (streams.event_time)
    UNKNOWN_REFERENCE = "unknown_reference"  # names a team the rules lack, or a mention whose assignment never came
    STATE_FULL = "state_full"  # would grow state that is at its configured bound (streams.state_bounds)
    PROCESSING_ERROR = "processing_error"  # any exception inside the stage's logic
    OUTPUT_TOO_LARGE = "output_too_large"  # a record it would write is larger than the topic takes (max.message.bytes)


class DeadLetter(BaseModel):
    model_config = ConfigDict(frozen=True)

    stage: str
    reason: DeadLetterReason
    error_type: str
    error_message: str = Field(max_length=2000)
    source_topic: str
    source_partition: int
    source_offset: int
    source_timestamp_ms: int | None = None
    original_key_b64: str | None = None
    original_value_b64: str = Field(
        description="The record's value as received, base64; only its first bytes when original_truncated."
    )
    original_truncated: bool = Field(
        default=False, description="True when the value was too large to copy whole: read it from the source topic."
    )
    original_size_bytes: int | None = Field(default=None, description="Length of the whole original value.")
    original_sha256: str | None = Field(default=None, description="SHA-256 (hex) of the whole original value.")
    failed_at: AwareDatetime

    def original_value(self) -> bytes:
        """The value as received (its first bytes only when ``original_truncated``)."""
        return base64.b64decode(self.original_value_b64)
