from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from schemas import DeadLetter, Mention
from streams.runtime.dead_letters import (
    MAX_ORIGINAL_BYTES,
    EmptyValueError,
    OutputTooLargeError,
    OversizeError,
    classify,
    dead_letter,
    dead_letter_output,
    describe,
    original_bytes_within,
)
from streams.runtime.producing import fits_alone
from streams.runtime.records import Record


def _validation_error(raw: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        Mention.model_validate_json(raw)
    return info.value


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe{not json", "undecodable"),
        (b"{truncated", "undecodable"),
        (b"[1, 2]", "schema_violation"),
        (b'{"id": "x"}', "schema_violation"),
    ],
)
def test_pydantic_errors_are_classified(raw: bytes, reason: str) -> None:
    assert classify(_validation_error(raw)) == reason


def test_other_errors_are_classified() -> None:
    assert classify(OversizeError("big")) == "oversize"
    assert classify(OutputTooLargeError("its record for a topic")) == "output_too_large"
    assert classify(EmptyValueError("none")) == "undecodable"
    assert classify(ZeroDivisionError()) == "processing_error"


def test_messages_name_fields_but_never_echo_the_input() -> None:
    secret = b'{"id": "twitter:1", "channel": "twitter", "text": "my card is 4111 1111 1111 1111"}'
    message = describe(_validation_error(secret))
    assert "author" in message
    assert "4111" not in message


def test_dead_letter_keeps_original_bytes_and_source_position() -> None:
    record = Record("mentions.raw", 3, 42, 1_700_000_000_000, b"k", b"\x00\x01raw")
    letter = dead_letter(record, "dedupe", ValueError("boom"))
    again = DeadLetter.model_validate_json(letter.model_dump_json())
    assert again.original_value() == b"\x00\x01raw"
    assert base64.b64decode(again.original_key_b64 or "") == b"k"
    assert (again.source_topic, again.source_partition, again.source_offset) == ("mentions.raw", 3, 42)
    assert (again.stage, again.reason, again.error_type) == ("dedupe", "processing_error", "ValueError")


def test_a_letter_for_a_small_dead_letter_topic_keeps_less_of_the_original_and_fits() -> None:
    value, key = b"v" * 50_000, b"k" * 9_000
    record = Record("mentions.raw", 0, 7, None, key, value)
    error = ValueError("x" * 5_000)  # the longest message a letter carries (MAX_ERROR_CHARS)
    for limit in (8_000, 12_000, 100_000):
        keep = original_bytes_within(limit)
        letter = dead_letter(record, "enrich", error, keep=keep)
        output = dead_letter_output("mentions.dlq", letter, key, keep)
        assert fits_alone(output, limit), limit
        assert letter.original_truncated
        assert letter.original_size_bytes == len(value)
        assert value.startswith(letter.original_value())
        assert len(letter.original_value()) == keep
    assert original_bytes_within(10**7) == MAX_ORIGINAL_BYTES
    assert original_bytes_within(100) == 0
