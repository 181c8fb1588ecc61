"""A topic that takes smaller record batches than the router's producers build still gets every record.

The producers pack up to 256 KiB of a partition's records into one batch, and the broker refuses a batch over the
topic's max.message.bytes whole. Before the router capped its batches at each topic's limit, a burst to a topic
an operator had set to a smaller limit (every record well under it) rolled back until the worker exited."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from kafka import KafkaProducer

from schemas import DeadLetter, DeadLetterReason, RoutedMention
from streams.topics import TopicNames
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics, set_topic_config
from tests.integration.test_pipeline import routed_topics

pytestmark = pytest.mark.integration

LIMIT = 12_000  # a few routed mentions (~2-3 KB each) per batch


def _send(producer: KafkaProducer, topic: str, first: int, count: int) -> set[str]:
    ids = set()
    for n in range(first, first + count):
        mention = make_mention(f"@AcmeAir order {n} never arrived and nobody answers", handle=f"limits_{n}")
        producer.send(topic, mention.model_dump_json().encode(), key=mention.id.encode())
        ids.add(mention.id)
    producer.flush(30)
    return ids


def _routed_ids(records: list[Any]) -> list[str]:
    return [RoutedMention.model_validate_json(r.value).mention.id for r in records]


def test_a_burst_to_topics_with_a_lowered_message_limit_is_routed_exactly_once(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    worker = make_worker(MENTION_ROUTER_TASK_TIMEOUT_MS="20000")
    worker.start()
    names = TopicNames(prefix=worker.prefix, app_id=f"{worker.prefix}router")
    teams = routed_topics(worker)
    # The worker reads the topics' limits at their first write, while they are the broker's default ...
    wanted = _send(producer, worker.topic("raw"), 0, 20)
    read_topics(worker.bootstrap, teams, lambda recs: set(_routed_ids(recs)) >= wanted, timeout=60)
    # ... and an operator lowers them while it runs: its next burst is refused once, then sent within the limits.
    set_topic_config(worker.bootstrap, [names.unique, *teams], {"max.message.bytes": str(LIMIT)})
    wanted |= _send(producer, worker.topic("raw"), 20, 3000)

    records = read_topics(worker.bootstrap, teams, lambda recs: set(_routed_ids(recs)) >= wanted, timeout=120)
    routed = Counter(_routed_ids(records))
    assert set(routed) == wanted, f"{len(wanted - set(routed))} mentions not routed\n{worker.log_tail()}"
    assert max(routed.values()) == 1, "each routed once"
    assert max(len(r.value) for r in records) < LIMIT / 3, "every record fits the topic several times over"
    per_partition = Counter((r.topic, r.partition) for r in records)
    assert max(per_partition.values()) > 40, "enough records per partition to fill batches over the limit"
    assert worker.process is not None
    assert worker.process.poll() is None, "the worker is still running"
    assert worker.metrics().total("mention_router_dead_letters_total") == 0


@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
def test_a_mention_whose_record_a_topic_cannot_take_is_dead_lettered_and_the_rest_routed(
    make_worker: Callable[..., Worker], producer: KafkaProducer, guarantee: str
) -> None:
    worker = make_worker(MENTION_ROUTER_PROCESSING_GUARANTEE=guarantee, MENTION_ROUTER_TASK_TIMEOUT_MS="20000")
    worker.start()
    names = TopicNames(prefix=worker.prefix, app_id=f"{worker.prefix}router")
    teams = routed_topics(worker)
    # An operator's limit below what the router may write: a long post (well within the input payload limit)
    # makes an enriched and a routed record larger than the topics take, so it can never be written there; the
    # dead-letter topic at the same limit cannot take the whole post either.
    set_topic_config(worker.bootstrap, [names.enriched, names.dlq, *teams], {"max.message.bytes": str(LIMIT)})
    wanted = _send(producer, worker.topic("raw"), 0, 20)
    long_post = make_mention("@AcmeAir my order never arrived. " + "Still waiting for it. " * 500, handle="long_1")
    assert len(long_post.model_dump_json()) < LIMIT < 2 * len(long_post.text)
    producer.send(worker.topic("raw"), long_post.model_dump_json().encode(), key=long_post.id.encode())
    wanted |= _send(producer, worker.topic("raw"), 20, 20)

    def done(records: list[Any]) -> bool:
        letters = [r for r in records if r.topic == names.dlq]
        return bool(letters) and set(_routed_ids([r for r in records if r.topic != names.dlq])) >= wanted

    records = read_topics(worker.bootstrap, [names.dlq, *teams], done, timeout=120)
    letters = [DeadLetter.model_validate_json(r.value) for r in records if r.topic == names.dlq]
    routed = Counter(_routed_ids([r for r in records if r.topic != names.dlq]))
    assert set(routed) == wanted, f"{len(wanted - set(routed))} mentions not routed\n{worker.log_tail()}"
    assert max(routed.values()) == 1, "each routed once"
    assert [(letter.stage, letter.reason) for letter in letters] == [("enrich", DeadLetterReason.OUTPUT_TOO_LARGE)]
    original = long_post.model_dump_json().encode()
    assert letters[0].original_sha256 == hashlib.sha256(original).hexdigest()
    assert letters[0].original_size_bytes == len(original)
    assert letters[0].original_truncated, "the letter keeps less of the post, so it fits its topic"
    assert original.startswith(letters[0].original_value())
    assert worker.process is not None
    assert worker.process.poll() is None, "the worker is still running"
    total = worker.metrics().total
    assert total("mention_router_dead_letters_total", reason="output_too_large") == 1
