"""End to end on the real broker: raw → dedupe → enrich → route, dead letters, duplicates, metrics."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from kafka import KafkaProducer

from schemas import DeadLetter, DuplicateRecord, RoutedMention
from streams.routing import load_rules
from streams.runtime.dead_letters import MAX_ORIGINAL_BYTES
from streams.settings import DEFAULT_RULES
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics

pytestmark = pytest.mark.integration

TEAMS = load_rules(DEFAULT_RULES).team_names


def routed_topics(worker: Worker) -> list[str]:
    return [worker.topic(f"routed.{team}") for team in TEAMS]


def values_with_id(records: list[Any], mention_id: str) -> list[dict[str, Any]]:
    found = []
    for record in records:
        payload = json.loads(record.value)
        if payload.get("mention", {}).get("id") == mention_id:
            found.append(payload)
    return found


def test_a_complaint_is_enriched_and_routed_to_care(worker: Worker, producer: KafkaProducer) -> None:
    mention = make_mention("@AcmeAir my flight was cancelled and nobody answers, worst service ever")
    producer.send(worker.topic("raw"), mention.model_dump_json().encode(), key=mention.id.encode()).get(30)

    records = read_topics(
        worker.bootstrap, routed_topics(worker), lambda recs: bool(values_with_id(recs, mention.id)), timeout=60
    )
    [payload] = values_with_id(records, mention.id)
    [record] = [r for r in records if json.loads(r.value)["mention"]["id"] == mention.id]
    routed = RoutedMention.model_validate(payload)
    assert record.topic == worker.topic("routed.care")
    assert routed.route.team == "care"
    assert routed.route.rules_version == load_rules(DEFAULT_RULES).version
    assert routed.route.rule_id != "triage"
    assert routed.route.matched, "the deciding rule's conditions are explained"
    assert routed.enrichment.language == "en"
    assert routed.enrichment.sentiment.label == "negative"
    assert routed.enrichment.intent == "complaint"
    assert routed.enrichment.priority_reasons
    assert routed.mention == mention
    assert routed.ingested_at <= routed.route.routed_at
    assert ("schema", b"urn:mention-router:schema:routed_mention:1.0") in record.headers, "docs/contract.md"


def test_malformed_invalid_and_oversize_records_reach_the_dlq_with_reasons(
    worker: Worker, producer: KafkaProducer
) -> None:
    raw = worker.topic("raw")
    malformed = b"\xff\xfe{not json"
    invalid = json.dumps({"id": "twitter:1", "channel": "twitter", "text": "no author, no date"}).encode()
    naive_date = make_mention().model_dump(mode="json") | {"created_at": "2026-11-23T10:00:00"}
    naive = json.dumps(naive_date).encode()
    oversize = json.dumps({"padding": "x" * 300_000}).encode()
    for key, value in [(b"m", malformed), (b"i", invalid), (b"n", naive), (b"o", oversize)]:
        producer.send(raw, value, key=key)
    producer.flush(30)

    records = read_topics(worker.bootstrap, [worker.topic("dlq")], lambda recs: len(recs) >= 4, timeout=60)
    letters = {base64.b64decode(DeadLetter.model_validate_json(r.value).original_key_b64 or ""): r for r in records}
    assert set(letters) == {b"m", b"i", b"n", b"o"}
    parsed = {k: DeadLetter.model_validate_json(r.value) for k, r in letters.items()}
    assert parsed[b"m"].reason == "undecodable"
    assert parsed[b"i"].reason == "schema_violation"
    assert "author" in parsed[b"i"].error_message
    assert parsed[b"n"].reason == "schema_violation"
    assert parsed[b"o"].reason == "oversize"
    for key, value in [(b"m", malformed), (b"i", invalid), (b"n", naive), (b"o", oversize)]:
        letter = parsed[key]
        assert (letter.original_size_bytes, letter.original_sha256) == (len(value), hashlib.sha256(value).hexdigest())
        if key == b"o":  # too large to copy whole: a bounded prefix, so the dead letter itself always fits
            assert letter.original_truncated
            assert letter.original_value() == value[:MAX_ORIGINAL_BYTES]
        else:
            assert not letter.original_truncated
            assert letter.original_value() == value, "the DLQ keeps the original bytes"
        assert letter.stage == "dedupe"
        assert letter.source_topic == raw
        assert letter.source_offset >= 0
    # ...and the worker kept going: a valid mention after the bad ones is still routed.
    mention = make_mention("Thanks @AcmeAir, the crew was wonderful today!")
    producer.send(raw, mention.model_dump_json().encode(), key=mention.id.encode()).get(30)
    routed = read_topics(worker.bootstrap, routed_topics(worker), lambda recs: bool(values_with_id(recs, mention.id)))
    assert values_with_id(routed, mention.id)
    snapshot = worker.metrics()
    assert snapshot.total("mention_router_dead_letters_total", stage="dedupe", reason="undecodable") == 1
    assert snapshot.total("mention_router_dead_letters_total", stage="dedupe", reason="schema_violation") == 2
    assert snapshot.total("mention_router_dead_letters_total", stage="dedupe", reason="oversize") == 1


def test_the_same_mention_twice_is_routed_once_and_recorded_as_duplicate(
    worker: Worker, producer: KafkaProducer
) -> None:
    mention = make_mention("@AcmeAir where is my refund? It has been three weeks")
    value = mention.model_dump_json().encode()
    producer.send(worker.topic("raw"), value, key=mention.id.encode())
    producer.send(worker.topic("raw"), value, key=mention.id.encode())
    producer.flush(30)

    duplicates = read_topics(worker.bootstrap, [worker.topic("duplicates")], lambda recs: len(recs) >= 1)
    [duplicate] = [DuplicateRecord.model_validate_json(r.value) for r in duplicates]
    assert duplicate.kind == "exact"
    assert duplicate.mention_id == mention.id
    assert duplicate.canonical_id == mention.id
    # Both copies were processed (the duplicate record proves the second was read); give the
    # router time to have routed anything it was going to, then count.
    routed = read_topics(worker.bootstrap, routed_topics(worker), lambda recs: bool(values_with_id(recs, mention.id)))
    time.sleep(1.0)
    routed = read_topics(worker.bootstrap, routed_topics(worker), lambda recs: False, timeout=3)
    assert len(values_with_id(routed, mention.id)) == 1
    assert worker.metrics().total("mention_router_duplicates_total", kind="exact") == 1


def test_metrics_move_and_the_page_passes_promtool(worker: Worker, producer: KafkaProducer) -> None:
    before = worker.metrics()
    assert before.total("mention_router_mentions_ingested_total") == 0
    mentions = [make_mention(f"@AcmeAir question {i}: can I change my seat online?") for i in range(20)]
    for m in mentions:
        producer.send(worker.topic("raw"), m.model_dump_json().encode(), key=m.id.encode())
    producer.flush(30)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        after = worker.metrics()
        if after.total("mention_router_routed_total") >= 20:
            break
        time.sleep(0.3)
    assert after.total("mention_router_mentions_ingested_total", channel="twitter") == 20
    assert after.total("mention_router_routed_total") == 20
    assert after.total("mention_router_pipeline_latency_seconds_count") == 20
    assert after.total("mention_router_stage_seconds_count", stage="enrich") == 20
    assert after.total("mention_router_offset_commits_total", stage="enrich") >= 1

    promtool = shutil.which("promtool")
    assert promtool, "promtool is installed by `make test` (Debian's prometheus package)"
    page = subprocess.run(["curl", "-sf", worker.metrics_url], capture_output=True, check=True).stdout
    lint = subprocess.run([promtool, "check", "metrics"], input=page, capture_output=True, check=False)
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()


def test_a_crashed_worker_loses_nothing_after_restart(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    first = make_worker()
    first.start()
    mentions = [make_mention(f"@AcmeAir my bag {i} is lost, please help") for i in range(1500)]
    for m in mentions:
        producer.send(first.topic("raw"), m.model_dump_json().encode(), key=m.id.encode())
    producer.flush(30)
    # Kill it hard once some (not all) have been routed: no graceful commit, no flush.
    deadline = time.monotonic() + 60
    while first.metrics().total("mention_router_routed_total") < 100 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.stop(signal.SIGKILL)

    second = make_worker(prefix=first.prefix)
    second.start()
    wanted = {m.id for m in mentions}

    def all_routed(records: list[Any]) -> bool:
        return wanted <= {json.loads(r.value)["mention"]["id"] for r in records}

    records = read_topics(second.bootstrap, routed_topics(second), all_routed, timeout=90)
    seen = {json.loads(r.value)["mention"]["id"] for r in records}
    assert wanted <= seen, f"{len(wanted - seen)} mentions were lost"


def test_a_second_worker_joining_mid_stream_routes_everything_exactly_once(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    """A rebalance hands partitions over cleanly: in-flight batches are written and committed first."""
    first = make_worker()
    first.start()
    # Texts that differ in letters: near-identical texts share a wave key, and so one enrich partition.
    mentions = [
        make_mention(f"@AcmeAir is the lounge at gate {_letters(i)} open?", handle=f"flyer_{i}") for i in range(3000)
    ]
    for m in mentions[:1500]:
        producer.send(first.topic("raw"), m.model_dump_json().encode(), key=m.id.encode())
    producer.flush(30)
    second = make_worker(prefix=first.prefix)
    second.start()
    for m in mentions[1500:]:
        producer.send(first.topic("raw"), m.model_dump_json().encode(), key=m.id.encode())
    producer.flush(30)

    wanted = {m.id for m in mentions}

    def all_routed(records: list[Any]) -> bool:
        return wanted <= {json.loads(r.value)["mention"]["id"] for r in records}

    records = read_topics(first.bootstrap, routed_topics(first), all_routed, timeout=120)
    ids = [json.loads(r.value)["mention"]["id"] for r in records]
    assert set(ids) >= wanted
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} mentions were routed twice"
    both = first.metrics().total("mention_router_routed_total") + second.metrics().total("mention_router_routed_total")
    assert both == len(wanted), "the workers' counters add up to the stream"
    assert second.metrics().total("mention_router_routed_total") > 0, "the second worker took a share"


def _letters(n: int) -> str:
    """``n`` in base 26 as letters: a, b, ... z, ba, bb ..."""
    word = ""
    while True:
        n, digit = divmod(n, 26)
        word = chr(ord("a") + digit) + word
        if n == 0:
            return word


def test_a_static_member_restarted_within_its_session_gets_its_partitions_back_without_a_rebalance(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    """Static group membership: the other worker sees no rebalance, and nothing is lost or routed twice."""
    first = make_worker(MENTION_ROUTER_GROUP_INSTANCE_ID="worker-a", MENTION_ROUTER_SESSION_TIMEOUT_MS="30000")
    first.start()
    second = make_worker(
        prefix=first.prefix, MENTION_ROUTER_GROUP_INSTANCE_ID="worker-b", MENTION_ROUTER_SESSION_TIMEOUT_MS="30000"
    )
    second.start()
    mentions = [
        make_mention(f"@AcmeAir bag {_letters(i)} missing at the carousel", handle=f"bag_{i}") for i in range(1200)
    ]
    for m in mentions[:600]:
        producer.send(first.topic("raw"), m.model_dump_json().encode(), key=m.id.encode())
    producer.flush(30)
    time.sleep(3)  # both own partitions now: the rebalances of their start are behind them
    before = first.metrics().by_label("mention_router_rebalances_total", "stage")
    assert before.get("dedupe", 0) >= 1, before
    assert second.stop() == 0
    second.start()  # the same instance id, well within the 30 s session
    for m in mentions[600:]:
        producer.send(first.topic("raw"), m.model_dump_json().encode(), key=m.id.encode())
    producer.flush(30)
    wanted = {m.id for m in mentions}
    records = read_topics(
        first.bootstrap, routed_topics(first), lambda rs: wanted <= {json.loads(r.value)["mention"]["id"] for r in rs},
        timeout=120,
    )  # fmt: skip
    ids = [json.loads(r.value)["mention"]["id"] for r in records]
    assert set(ids) >= wanted
    assert len(ids) == len(set(ids)), "no mention routed twice"
    assert first.metrics().by_label("mention_router_rebalances_total", "stage") == before, "no rebalance"
    assert second.metrics().total("mention_router_routed_total") > 0, "the restarted worker routes its share again"
