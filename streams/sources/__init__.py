"""Input-side sources that turn data into mentions (no Kafka imports): the demo generator and file readers."""

from streams.sources.generator import (
    DEAD_LETTER_KINDS,
    DEFAULT_START,
    VALID_KINDS,
    GeneratedRecord,
    RecordKind,
    generate,
)
from streams.sources.jsonl import read_jsonl
from streams.sources.twcs import (
    TwcsFormatError,
    TwcsSkip,
    TwcsTweet,
    first_response_minutes_by_brand,
    read_twcs,
    twcs_mentions,
    twcs_responses,
)

__all__ = [
    "DEAD_LETTER_KINDS",
    "DEFAULT_START",
    "VALID_KINDS",
    "GeneratedRecord",
    "RecordKind",
    "TwcsFormatError",
    "TwcsSkip",
    "TwcsTweet",
    "first_response_minutes_by_brand",
    "generate",
    "read_jsonl",
    "read_twcs",
    "twcs_mentions",
    "twcs_responses",
]
