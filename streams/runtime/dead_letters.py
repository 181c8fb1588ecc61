"""Turn a record that a stage could not process into a dead letter with its original bytes."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

from pydantic import ValidationError

from schemas import DeadLetter, DeadLetterReason
from streams.event_time import TimeOutOfRangeError
from streams.runtime.records import InputRecord, Output
from streams.state_bounds import StateFullError, UnknownReferenceError

MAX_ERROR_CHARS = 2000
# A dead letter copies at most this much of the original value, so it always fits in one record whatever came
# in; a larger value keeps its length and hash, and stays readable in the source topic for its retention.
MAX_ORIGINAL_BYTES = 64 * 1024
# A letter's bytes beyond its copies of the original key and value (names, offsets, the error, the hash).
LETTER_OVERHEAD_BYTES = 4096
_UNDECODABLE_TYPES = frozenset({"json_invalid", "json_type"})


class OversizeError(ValueError):
    """The record is larger than the configured maximum payload."""


class EmptyValueError(ValueError):
    """The record has no value (a tombstone)."""


class OutputTooLargeError(ValueError):
    """A record the stage would write for this input is larger than its topic takes."""


def classify(exc: BaseException) -> DeadLetterReason:
    if isinstance(exc, OversizeError):
        return DeadLetterReason.OVERSIZE
    if isinstance(exc, OutputTooLargeError):
        return DeadLetterReason.OUTPUT_TOO_LARGE
    if isinstance(exc, TimeOutOfRangeError):
        return DeadLetterReason.TIME_OUT_OF_RANGE
    if isinstance(exc, UnknownReferenceError):
        return DeadLetterReason.UNKNOWN_REFERENCE
    if isinstance(exc, StateFullError):
        return DeadLetterReason.STATE_FULL
    if isinstance(exc, EmptyValueError | UnicodeDecodeError):
        return DeadLetterReason.UNDECODABLE
    if isinstance(exc, ValidationError):
        types = {err["type"] for err in exc.errors(include_url=False, include_input=False)}
        if types and types <= _UNDECODABLE_TYPES:
            return DeadLetterReason.UNDECODABLE
        return DeadLetterReason.SCHEMA_VIOLATION
    return DeadLetterReason.PROCESSING_ERROR


def describe(exc: BaseException) -> str:
    """An error message without the offending input (inputs can hold personal data)."""
    if isinstance(exc, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        ]
        text = f"{exc.error_count()} validation error(s) for {exc.title}: " + "; ".join(parts)
    else:
        text = str(exc) or type(exc).__name__
    return text[:MAX_ERROR_CHARS]


def original_bytes_within(limit: int) -> int:
    """How much of the original key and value a letter may copy to fit a record batch of ``limit`` bytes (a
    dead-letter topic an operator set below the router's letters): the key is written raw and base64, the
    value base64."""
    return max(0, min(MAX_ORIGINAL_BYTES, (limit - LETTER_OVERHEAD_BYTES) // 4))


def dead_letter(
    record: InputRecord, stage: str, exc: BaseException, now: datetime | None = None, keep: int = MAX_ORIGINAL_BYTES
) -> DeadLetter:
    """``keep``: the most of the original key and value the letter copies (the rest: length and hash)."""
    value = record.value or b""
    key = record.key
    truncated = len(value) > keep or (key is not None and len(key) > keep)
    return DeadLetter(
        stage=stage,
        reason=classify(exc),
        error_type=type(exc).__name__,
        error_message=describe(exc),
        source_topic=record.topic,
        source_partition=record.partition,
        source_offset=record.offset,
        source_timestamp_ms=record.timestamp,
        original_key_b64=base64.b64encode(key[:keep]).decode() if key is not None else None,
        original_value_b64=base64.b64encode(value[:keep]).decode(),
        original_truncated=truncated,
        original_size_bytes=len(value),
        original_sha256=hashlib.sha256(value).hexdigest(),
        failed_at=now or datetime.now(UTC),
    )


def dead_letter_output(dlq_topic: str, letter: DeadLetter, key: bytes | None, keep: int = MAX_ORIGINAL_BYTES) -> Output:
    if key is not None and len(key) > max(keep, 64):
        key = hashlib.sha256(key).hexdigest().encode()  # an oversize key would not fit either
    return Output(topic=dlq_topic, key=key, value=letter.model_dump_json().encode(), schema="dead_letter")
