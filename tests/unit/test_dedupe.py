from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from schemas import Channel, DuplicateRecord, Mention
from streams.agents.dedupe import DedupeAgent
from streams.dedupe import exact_key, wave_key
from streams.metrics import Metrics
from streams.partitioning import kafka_partition, raw_partition_key
from streams.runtime.records import Output, Record
from streams.topics import TopicNames
from tests.factories import make_mention


def test_exact_key_depends_on_channel_and_native_id_only() -> None:
    assert exact_key("twitter", "1") == exact_key("twitter", "1")
    assert exact_key("twitter", "1") != exact_key("facebook", "1")
    assert exact_key("twitter", "1") != exact_key("twitter", "2")
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert exact_key("ab", "c") != exact_key("a", "bc")


def _agent() -> tuple[DedupeAgent, Metrics]:
    metrics = Metrics(CollectorRegistry())
    return DedupeAgent(TopicNames(), metrics, window_seconds=3600, max_keys=1000), metrics


def _record(mention: Mention, offset: int = 0, partition: int = 0) -> Record:
    return Record(
        "mentions.raw", partition, offset, 1_700_000_000_000, mention.id.encode(), mention.model_dump_json().encode()
    )


def test_agent_forwards_first_copy_bytes_unchanged_and_records_the_second() -> None:
    agent, metrics = _agent()
    mention = make_mention()
    out: list[Output] = []
    agent.handle(_record(mention), out)
    agent.handle(_record(mention, offset=1), out)
    first, second = out
    assert first.topic == "mentions.unique"
    assert first.value == mention.model_dump_json().encode()
    assert first.timestamp_ms == 1_700_000_000_000, "the ingest time travels with the record"
    assert second.topic == "mentions.duplicates"
    record = DuplicateRecord.model_validate_json(second.value)
    assert (record.kind, record.mention_id, record.canonical_id) == ("exact", mention.id, mention.id)
    assert metrics.registry.get_sample_value("mention_router_duplicates_total", {"kind": "exact"}) == 1
    assert metrics.registry.get_sample_value("mention_router_mentions_ingested_total", {"channel": "twitter"}) == 2


def test_agent_does_not_merge_the_same_short_text_from_different_people() -> None:
    agent, _ = _agent()
    out: list[Output] = []
    now = datetime.now(UTC)
    for i, channel in enumerate([Channel.TWITTER, Channel.TWITTER, Channel.FACEBOOK]):
        mention = make_mention("thanks!", native_id=f"p{i}", channel=channel, created_at=now, handle=f"fan_{i}")
        agent.handle(_record(mention), out)
    assert [o.topic for o in out] == ["mentions.unique"] * 3


def test_agent_merges_a_cross_post_and_keys_unique_mentions_by_wave() -> None:
    agent, metrics = _agent()
    out: list[Output] = []
    now = datetime.now(UTC)
    text = "@AcmeAir my card was charged twice for order 7731, please refund one of them"
    on_x = make_mention(text, channel=Channel.TWITTER, created_at=now, handle="lee_k")
    on_facebook = make_mention(text, channel=Channel.FACEBOOK, created_at=now + timedelta(minutes=2), handle="lee_k")
    agent.handle(_record(on_x), out)
    agent.handle(_record(on_facebook, offset=1), out)
    unique, merged = out
    assert unique.key == wave_key(text).to_bytes(8, "big"), "near-identical texts meet in one enrich partition"
    assert merged.value is not None
    record = DuplicateRecord.model_validate_json(merged.value)
    assert (record.kind, record.canonical_id, merged.key) == ("cross_post", on_x.id, on_x.id.encode())
    assert metrics.registry.get_sample_value("mention_router_duplicates_total", {"kind": "cross_post"}) == 1


def test_a_record_in_the_wrong_partition_is_moved_and_counted_once() -> None:
    agent, metrics = _agent()
    agent.partitions_assigned({0, 1, 2}, 3)
    mention = make_mention(handle="mo_r")
    right = kafka_partition(raw_partition_key(mention), 3)
    wrong = (right + 1) % 3
    out: list[Output] = []
    agent.handle(_record(mention, partition=wrong), out)
    [moved] = out
    assert (moved.topic, moved.partition, moved.key) == ("mention-router.dedupe.repartition", right, b"mo_r")
    agent.handle(Record(moved.topic, right, 0, 1, moved.key, moved.value), out)
    assert out[-1].topic == "mentions.unique"
    assert metrics.registry.get_sample_value("mention_router_mentions_ingested_total", {"channel": "twitter"}) == 1


def test_state_changes_go_to_the_changelog_and_restore_the_index() -> None:
    agent, _ = _agent()
    mention = make_mention()
    home = kafka_partition(raw_partition_key(mention), 3)
    out: list[Output] = []
    agent.handle(_record(mention, partition=home), out)
    agent.end_batch(home, out)
    changes = [o for o in out if o.topic == "mention-router.dedupe.changelog"]
    assert changes
    assert {o.partition for o in changes} == {home}
    restored, _ = _agent()
    for change in changes:
        restored.restore(home, change.key or b"", change.value)
    restored.partitions_assigned({home}, 3)
    again: list[Output] = []
    restored.handle(_record(mention, partition=home), again)
    assert [o.topic for o in again] == ["mentions.duplicates"], "a restart forwards nothing twice"


def test_revoked_partitions_drop_their_state() -> None:
    agent, metrics = _agent()
    mention = make_mention(created_at=datetime.now(UTC) - timedelta(minutes=1))
    out: list[Output] = []
    agent.handle(_record(mention, partition=2), out)
    keys = metrics.registry.get_sample_value("mention_router_dedupe_state_keys")
    assert keys is not None
    assert keys > 0
    agent.partitions_revoked({2})
    assert metrics.registry.get_sample_value("mention_router_dedupe_state_keys") == 0


def test_a_parked_partition_keeps_its_state_out_of_sight_until_it_comes_back() -> None:
    agent, metrics = _agent()
    first = make_mention(handle="first")
    home = kafka_partition(raw_partition_key(first), 3)
    others = (make_mention(handle=f"second_{n}") for n in range(100))
    second = next(m for m in others if kafka_partition(raw_partition_key(m), 3) == home)  # the same partition
    agent.partitions_assigned({0, 1, 2}, 3)
    out: list[Output] = []
    agent.handle(_record(first, partition=home), out)
    agent.end_batch(home, out)
    agent.partitions_parked({home})
    assert metrics.registry.get_sample_value("mention_router_dedupe_state_keys") == 0, "not this worker's now"
    assert agent.partitions_unparked({home, (home + 1) % 3}) == {home}, "only a parked partition comes back"

    # Another worker's change while it was away, replayed from the changelog after the kept state.
    elsewhere, _ = _agent()
    changes: list[Output] = []
    elsewhere.handle(_record(second, partition=home), changes)
    elsewhere.end_batch(home, changes)
    for change in changes:
        if change.topic.endswith("changelog"):
            agent.restore(home, change.key or b"", change.value)
    agent.partitions_assigned({0, 1, 2}, 3)
    for mention in (first, second):
        again: list[Output] = []
        agent.handle(_record(mention, partition=home), again)
        assert [o.topic for o in again] == ["mentions.duplicates"]


def test_a_revoked_partition_forgets_its_parked_state() -> None:
    agent, _ = _agent()
    mention = make_mention()
    home = kafka_partition(raw_partition_key(mention), 3)
    agent.handle(_record(mention, partition=home), [])
    agent.partitions_parked({home})
    agent.partitions_revoked({home})
    assert agent.partitions_unparked({home}) == set()


def test_a_partition_with_changes_not_yet_written_is_not_parked() -> None:
    """Its state is no longer the changelog's: it comes back restored in full, not from the kept offset."""
    agent, _ = _agent()
    mention = make_mention()
    home = kafka_partition(raw_partition_key(mention), 3)
    agent.handle(_record(mention, partition=home), [])  # no end_batch: its changes are not drained
    agent.partitions_parked({home})
    assert agent.partitions_unparked({home}) == set()
