"""The topic limits cache (streams.runtime.topic_limits) and the record size bound the capped batches rely on."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest
from aiokafka.producer.message_accumulator import BatchBuilder

from streams.runtime.producing import SCHEMA_HEADERS, _record_bytes, fits_alone
from streams.runtime.records import Output
from streams.runtime.topic_limits import BROKER_DEFAULT_MAX_MESSAGE_BYTES, TopicLimits


class Broker:
    def __init__(self, limits: dict[str, int]) -> None:
        self.limits = limits
        self.asked: list[list[str]] = []
        self.fail = False

    async def describe(self, topics: list[str]) -> dict[str, int]:
        self.asked.append(topics)
        if self.fail:
            raise OSError("connection reset")
        return {t: self.limits[t] for t in topics if t in self.limits}


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def read(limits: TopicLimits, broker: Broker, *topics: str) -> dict[str, int]:
    return asyncio.run(limits.max_message_bytes(topics, broker.describe))


def test_limits_are_read_once_per_ttl_and_again_after_forget() -> None:
    broker, clock = Broker({"a": 10_000, "b": 2_000_000}), Clock()
    limits = TopicLimits(warn_below=1_048_576, ttl_s=60, clock=clock)
    assert read(limits, broker, "a", "b") == {"a": 10_000, "b": 2_000_000}
    assert read(limits, broker, "a") == {"a": 10_000}
    assert broker.asked == [["a", "b"]]
    broker.limits["a"] = 20_000
    clock.now = 59.9
    assert read(limits, broker, "a")["a"] == 10_000, "cached within the ttl"
    clock.now = 60
    assert read(limits, broker, "a")["a"] == 20_000
    broker.limits["a"] = 5_000
    limits.forget()  # a refusal
    assert read(limits, broker, "a")["a"] == 5_000
    assert broker.asked == [["a", "b"], ["a"], ["a"]]


def test_a_topic_without_an_answer_has_the_broker_default_and_a_failed_read_keeps_what_was_known() -> None:
    broker, clock = Broker({"a": 10_000}), Clock()
    limits = TopicLimits(warn_below=1_048_576, ttl_s=60, clock=clock)
    assert read(limits, broker, "a", "unreadable") == {"a": 10_000, "unreadable": BROKER_DEFAULT_MAX_MESSAGE_BYTES}
    broker.fail, clock.now = True, 61
    assert read(limits, broker, "a", "new") == {"a": 10_000, "new": BROKER_DEFAULT_MAX_MESSAGE_BYTES}
    broker.fail, clock.now = False, 62
    assert read(limits, broker, "a") == {"a": 10_000}, "the failed read counts as a read: no request per send"
    assert len(broker.asked) == 2


def test_a_topic_that_cannot_take_the_largest_record_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    broker, clock = Broker({"small": 10_000, "big": 2_000_000}), Clock()
    limits = TopicLimits(warn_below=1_048_576, ttl_s=0, clock=clock)
    with caplog.at_level(logging.WARNING, logger="streams.runtime.topic_limits"):
        for _ in range(3):
            read(limits, broker, "small", "big")
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1
    assert "topic small takes record batches of at most 10000 bytes" in warned[0]


def test_record_bytes_bounds_what_a_record_adds_to_a_batch() -> None:
    rng = random.Random(5)
    for _ in range(300):
        batch = BatchBuilder(10**9, 0, is_transactional=1)
        for _ in range(rng.randrange(1, 6)):
            key = None if rng.random() < 0.2 else rng.randbytes(rng.choice([0, 5, 40, 300]))
            value = rng.randbytes(rng.choice([0, 1, 100, 5000, 70_000]))
            output = Output("t", key, value, rng.choice([None, 0, 2**41]), schema=rng.choice([None, "mention"]))
            headers = SCHEMA_HEADERS.get(output.schema, [])
            before = batch.size()
            appended = batch.append(key=key, value=value, timestamp=output.timestamp_ms, headers=headers)
            assert appended is not None
            assert batch.size() - before <= _record_bytes(output, headers)


def test_small_holds_the_topics_a_record_may_not_fit_through_forget() -> None:
    broker, clock = Broker({"team": 12_000, "big": 2_000_000}), Clock()
    limits = TopicLimits(warn_below=1_048_576, ttl_s=60, clock=clock)
    assert limits.unknown(["team", "big", "team"]) == ["big", "team"]
    read(limits, broker, "team", "big", "other")
    assert limits.small == {"team": 12_000}
    assert limits.unknown(["team", "big", "new"]) == ["new"]
    limits.forget()
    assert limits.small == {"team": 12_000}, "kept until read again"
    assert limits.unknown(["team"]) == ["team"]
    broker.limits["team"] = 2_000_000  # the operator raised it again
    read(limits, broker, "team")
    assert limits.small == {}


def test_fits_alone_is_true_exactly_up_to_a_conservative_bound() -> None:
    output = Output("team", b"k" * 10, b"v" * 5_000, 1, schema="routed_mention")
    alone = BatchBuilder(10**9, 0, is_transactional=1)
    headers = SCHEMA_HEADERS["routed_mention"]
    assert alone.append(key=output.key, value=output.value, timestamp=output.timestamp_ms, headers=headers)
    actual = len(alone._build())  # the bytes the broker compares with max.message.bytes
    assert fits_alone(output, actual + 200)
    assert not fits_alone(output, actual - 1)
    bound = next(limit for limit in range(actual, actual + 200) if fits_alone(output, limit))
    assert bound - actual <= 150, "conservative by a little only"
