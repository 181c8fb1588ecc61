"""The dedupe stage on the real broker: the five kinds end to end, state that survives a restart, and two
workers giving the same answers as one."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kafka import KafkaProducer

from schemas import Author, Channel, DuplicateRecord, Mention, RoutedMention
from streams.partitioning import RESHARE_AUTHOR, raw_partition_key
from streams.replay import keyed_for_dedupe, produce
from streams.settings import Settings
from streams.sources.generator import generate
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics
from tests.integration.test_pipeline import routed_topics

pytestmark = pytest.mark.integration

OUTAGE = "@AcmeBank is the app down? cannot log in to pay my rent"


def _send(producer: KafkaProducer, worker: Worker, mentions: list[Mention]) -> None:
    # Keyed by mention id with kafka-python's murmur2: the stage must move them to their author's partition.
    for mention in mentions:
        producer.send(worker.topic("raw"), mention.model_dump_json().encode(), key=mention.id.encode())
    producer.flush(30)


def _send_keyed(worker: Worker, mentions: list[Mention]) -> None:
    """As a connector should: keyed by author identity with the xxh3 partitioner, so each person's mentions
    keep their order (which one is first decides the canonical mention)."""
    settings = Settings(bootstrap_servers=worker.bootstrap, topic_prefix=worker.prefix)
    produce(settings, [(raw_partition_key(m), m.model_dump_json().encode()) for m in mentions], show_progress=False)


def _outcome(
    worker: Worker, expected: int, timeout: float = 90
) -> tuple[dict[str, RoutedMention], list[DuplicateRecord]]:
    """Every routed mention by id and every duplicates record, once ``expected`` records have arrived."""
    topics = [*routed_topics(worker), worker.topic("duplicates")]
    records = read_topics(worker.bootstrap, topics, lambda recs: len(recs) >= expected, timeout=timeout)
    routed: dict[str, RoutedMention] = {}
    duplicates: list[DuplicateRecord] = []
    for record in records:
        if record.topic == worker.topic("duplicates"):
            duplicates.append(DuplicateRecord.model_validate_json(record.value))
        else:
            mention = RoutedMention.model_validate_json(record.value)
            assert mention.mention.id not in routed, f"{mention.mention.id} routed twice"
            routed[mention.mention.id] = mention
    return routed, duplicates


def test_the_five_kinds_end_to_end(make_worker: Callable[..., Worker], producer: KafkaProducer) -> None:
    worker = make_worker(MENTION_ROUTER_WAVE_MIN_AUTHORS="3")
    worker.start()
    now = datetime.now(UTC)
    text = "@AcmeAir my card was charged twice for order 7731 and nobody answers, please refund one"
    original = make_mention(text, handle="lee_k", followers=300, created_at=now)
    cross_post = make_mention(text, handle="lee_k", channel=Channel.FACEBOOK, created_at=now + timedelta(minutes=1))
    draft = make_mention("@AcmeAir the seat I paid extra for was givn to someone else on flight 88", handle="mia_s")
    edited = make_mention(  # typo fixed, an emoji and a link added
        "@AcmeAir the seat I paid extra for was given to someone else on flight 88 😡 https://t.co/x1",
        handle="mia_s",
        created_at=now + timedelta(minutes=3),
    )
    reshare = make_mention(
        f"RT @lee_k: {text}",
        author=Author(handle="ned_o", followers=5_000),
        reshare_of_id=original.native_id,
        metadata={RESHARE_AUTHOR: "lee_k"},
        created_at=now + timedelta(minutes=4),
    )
    thanks = [make_mention("thanks!", handle=f"fan_{n}", created_at=now) for n in range(2)]
    wave = [make_mention(OUTAGE, handle=f"bank_customer_{n}", created_at=now + timedelta(seconds=n)) for n in range(4)]
    stream = [original, original, cross_post, draft, edited, reshare, *thanks, *wave]
    _send_keyed(worker, stream)

    routed, duplicates = _outcome(worker, expected=len(stream))
    assert set(routed) == {original.id, draft.id, *(m.id for m in thanks), *(m.id for m in wave)}
    kinds = {(d.mention_id, d.kind.value, d.canonical_id) for d in duplicates}
    assert kinds == {
        (original.id, "exact", original.id),
        (cross_post.id, "cross_post", original.id),
        (edited.id, "near_duplicate", draft.id),
        (reshare.id, "reshare", original.id),
    }
    [echo] = [d for d in duplicates if d.kind == "reshare"]
    assert echo.evidence["echo_count"] == 1
    assert echo.evidence["combined_reach"] == 5_000
    [near] = [d for d in duplicates if d.kind == "near_duplicate"]
    assert isinstance(near.evidence.get("similarity"), float)
    # Waves are not merges: every member is routed; from the third author on (in arrival order, which
    # across authors is not the posting order) they share a wave id and its size.
    members = [routed[m.id].enrichment for m in wave]
    in_wave = [e for e in members if e.wave is not None]
    assert sorted(e.wave.size for e in in_wave if e.wave) == [3, 4]
    assert len({e.wave.id for e in in_wave if e.wave}) == 1
    assert all("wave" in e.urgency for e in in_wave)
    snapshot = worker.metrics()
    assert snapshot.total("mention_router_duplicates_total") == 4
    assert snapshot.total("mention_router_waves_total") == 1


def test_replaying_after_a_restart_forwards_nothing_again(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    worker = make_worker()
    worker.start()
    mentions = [make_mention(f"@AcmeAir flight {300 + n} delayed, any news?", handle=f"p_{n}") for n in range(40)]
    _send(producer, worker, mentions)
    routed, _ = _outcome(worker, expected=40)
    assert set(routed) == {m.id for m in mentions}
    assert worker.stop(signal.SIGTERM) == 0

    restarted = make_worker(prefix=worker.prefix)
    restarted.start()
    _send(producer, restarted, mentions)  # a connector replaying after its own restart
    routed_after, duplicates = _outcome(restarted, expected=80)
    assert set(routed_after) == set(routed), "nothing was routed a second time"
    assert sorted(d.mention_id for d in duplicates) == sorted(m.id for m in mentions)
    assert {d.kind.value for d in duplicates} == {"exact"}


def _generated_stream() -> list[tuple[bytes, bytes]]:
    start = datetime.now(UTC) - timedelta(hours=1)
    records = generate(1200, seed=21, start=start, bad_fraction=0.0, duplicate_fraction=0.05, cross_post_fraction=0.05)
    return [(r.key, r.value) for r in records]


def _run(worker: Worker, stream: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    # Keyed as a connector should key them (author identity, xxh3): each author's mentions keep their
    # order in one partition, so the answers cannot depend on how partitions are spread over workers.
    settings = Settings(bootstrap_servers=worker.bootstrap, topic_prefix=worker.prefix)
    produce(settings, keyed_for_dedupe(stream), show_progress=False)
    routed, duplicates = _outcome(worker, expected=len(stream), timeout=180)
    return {
        "routed": set(routed),
        "duplicates": {(d.mention_id, d.kind.value, d.canonical_id) for d in duplicates},
        "wave_members": sum(1 for m in routed.values() if m.enrichment.wave),
    }


def test_two_workers_give_the_same_answers_as_one(make_worker: Callable[..., Worker]) -> None:
    stream = _generated_stream()
    alone = make_worker()
    alone.start()
    one = _run(alone, stream)

    first = make_worker()
    second = make_worker(prefix=first.prefix)
    first.start()
    second.start()
    two = _run(first, stream)

    assert one["duplicates"], "the generated stream has duplicates of several kinds"
    assert {kind for _, kind, _ in one["duplicates"]} >= {"exact", "cross_post", "reshare"}
    # Merges depend only on each author's own order, which Kafka keeps: identical.
    assert (two["routed"], two["duplicates"]) == (one["routed"], one["duplicates"])
    # Waves gather different authors' mentions from different dedupe partitions, so how they interleave
    # (and so which late member still falls in the 30-minute window) can differ by a few members: over
    # repeated runs of this stream, one or two workers gave 303 to 310 members.
    assert one["wave_members"] > 100, "the generated stream has waves"
    assert abs(two["wave_members"] - one["wave_members"]) <= 0.03 * one["wave_members"]
    assert first.metrics().total("mention_router_routed_total") > 0
    assert second.metrics().total("mention_router_routed_total") > 0, "both workers took a share"


def test_partitions_that_come_back_keep_their_state_and_learn_what_changed_meanwhile(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    first = make_worker()
    first.start()
    second = make_worker(prefix=first.prefix)
    second.start()  # the first worker parks the partitions it hands over
    mentions = [make_mention(f"@AcmeAir flight {500 + n} delayed, any news?", handle=f"k_{n}") for n in range(60)]
    _send(producer, first, mentions)
    routed, _ = _outcome(first, expected=60)
    assert second.metrics().total("mention_router_mentions_ingested_total") > 0, "the second worker kept a share"

    assert second.stop(signal.SIGTERM) == 0  # its partitions come back to the first with the state it left
    deadline = time.monotonic() + 60
    while not first.metrics().total("mention_router_state_resumed_partitions_total", stage="dedupe"):
        assert time.monotonic() < deadline, first.log_tail()
        time.sleep(0.3)
    _send(producer, first, mentions)  # a connector replaying: every one was seen, by one worker or the other
    routed_after, duplicates = _outcome(first, expected=120)
    assert set(routed_after) == set(routed), "nothing was routed a second time"
    assert sorted(d.mention_id for d in duplicates) == sorted(m.id for m in mentions)
