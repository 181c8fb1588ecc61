"""Hostile input on every topic the router reads: one bad record costs one dead letter, and nothing else.

A seeded fuzz run writes over ten thousand bad records (random bytes, truncated and deeply nested JSON, wrong
types, huge strings and keys, values just under and over the size limit, event times at the extremes, unknown
teams and mention ids) across every input topic, interleaved with good mentions, to one real worker. The worker
must stay up, every bad record must be exactly one dead letter with a reason, every good mention must be routed
exactly once, no escalation may fire, and no record may create metric series.
"""

from __future__ import annotations

import base64
import json
import random
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from schemas import Assignment, Channel, Customer, DeadLetter, Response, RoutedMention
from streams.runtime.dead_letters import MAX_ORIGINAL_BYTES
from streams.topics import TopicNames
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics, write_rules
from tests.integration.test_exactly_once import RULES as ONE_TEAM_WITH_ESCALATION
from tests.integration.test_pipeline import routed_topics

pytestmark = pytest.mark.integration

RULES = ONE_TEAM_WITH_ESCALATION.replace("30m", "2h").replace("eos-test.1", "storm.1")
MAX_PAYLOAD = 262_144
BAD_RECORDS = 10_500
MAX_LARGE = 60
GOOD_MENTIONS = 300


@dataclass
class Sent:
    topic: str
    key: bytes
    value: bytes | None
    fate: str  # "dead": one dead letter; "routed": good


def _base_values(now: datetime) -> dict[str, dict[str, Any]]:
    mention = make_mention("@AcmeAir base record for the fuzzer", handle="fuzz_base", created_at=now)
    assignment = Assignment(
        mention_id=mention.id, team="care", priority=50, priority_band="normal", channel=Channel.TWITTER,
        brand_account="AcmeAir", created_at=now, routed_at=now, conversation_key="k", rules_version="storm.1",
    )  # fmt: skip
    response = Response(mention_id=mention.id, team="care", responder="x", responded_at=now)
    customer = Customer(channel=Channel.TWITTER, handle="fuzz_base", tier="vip", updated_at=now)
    return {
        "mention": json.loads(mention.model_dump_json()),
        "assignment": json.loads(assignment.model_dump_json()),
        "response": json.loads(response.model_dump_json()),
        "customer": json.loads(customer.model_dump_json()),
    }


# Required fields and values of a type the schema can never accept.
WRONG = {
    "mention": [("created_at", {"x": 1}), ("author", "nobody"), ("channel", "myspace"), ("text", 42), ("id", ""),
                ("author", {"handle": "x", "followers": 2**70}), ("created_at", "yesterday"), ("brand_account", None)],
    "assignment": [("priority", 101), ("priority_band", "whenever"), ("created_at", None), ("team", {"a": 1}),
                   ("channel", 7), ("escalations", "now")],
    "response": [("responded_at", "soon"), ("mention_id", None), ("kind", "shout"), ("team", [])],
    "customer": [("channel", "fax"), ("handle", ""), ("handle", "x" * 600), ("tier", 5)],
}  # fmt: skip


class Fuzzer:
    def __init__(self, names: TopicNames, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC)
        self.base = _base_values(self.now)
        self.names = names
        # topic → the schema its records follow: every topic a stage reads (mentions.enriched is only written)
        self.topics = {
            names.raw: "mention",
            names.repartition("dedupe"): "mention",
            names.unique: "mention",
            names.assignments: "assignment",
            names.responses: "response",
            names.repartition("track"): "response",
            names.customers: "customer",
        }
        self.n = 0
        self.large = 0  # records of tens or hundreds of KB: a few dozen make the point without slowing the run

    def _key(self) -> bytes:
        self.n += 1
        return b"fuzz-%d" % self.n

    def bad(self) -> Sent:
        topic = self.rng.choice(list(self.topics))
        schema = self.topics[topic]
        kind = self.rng.randrange(14)
        if kind in (8, 9, 10, 13):
            self.large += 1
            if self.large > MAX_LARGE:
                kind = 3
        key, rng = self._key(), self.rng
        base = json.loads(json.dumps(self.base[schema]))
        value: bytes | None
        if kind == 0:
            value = rng.randbytes(rng.randrange(1, 2000))
        elif kind == 1:
            text = json.dumps(base).encode()
            value = text[: rng.randrange(1, len(text) - 1)]
        elif kind == 2:
            depth = rng.choice((100, 1000, 20_000))
            value = (b"[" * depth + b"]" * depth) if rng.random() < 0.5 else (b'{"a":' * depth + b"1" + b"}" * depth)
        elif kind in (3, 4, 5):
            field, wrong = rng.choice(WRONG[schema])
            base[field] = wrong
            value = json.dumps(base).encode()
        elif kind == 6:
            value = rng.choice([b"null", b"[]", b'"a string"', b"3.14", b"true", b"{}", b"", b'{"a": NaN}'])
        elif kind == 7:
            value = b'{"text": "\xff\xfe broken utf-8"}'
        elif kind == 8:  # just under the size limit, still not a record of the schema
            value = json.dumps({"padding": "x" * (MAX_PAYLOAD - 20)}).encode()
        elif kind == 9:  # just over it
            value = b"x" * (MAX_PAYLOAD + rng.choice((1, 2, 1000, 600_000)))
        elif kind == 10:  # a huge key
            key = key + b"-" + b"k" * rng.randrange(MAX_ORIGINAL_BYTES, 300_000)
            value = rng.randbytes(100)
        elif kind == 11 and schema != "customer":  # no value at all
            value = None
        elif kind == 12:  # an event time far in the future
            field = {"mention": "created_at", "assignment": "created_at", "response": "responded_at"}.get(schema)
            if field is None:
                return self.bad()
            base[field] = rng.choice(["9999-12-31T23:59:59Z", "9000-01-01T00:00:00Z", "2200-06-01T00:00:00Z"])
            if schema == "mention":
                base["id"] = base["native_id"] = key.decode()
            value = json.dumps(base).encode()
        elif schema in ("mention", "customer"):  # a huge string where the schema bounds its length
            base["text" if schema == "mention" else "handle"] = "y" * 45_000
            value = json.dumps(base).encode()
        else:
            field, wrong = rng.choice(WRONG[schema])
            base[field] = wrong
            value = json.dumps(base).encode()
        return Sent(topic, key, value, "dead")

    def unknown(self) -> Sent:
        """Valid records naming what nobody knows: an assignment to a team the rules lack (a dead letter at
        once), a response to a mention that never comes (held, then a dead letter)."""
        key = self._key()
        if self.rng.random() < 0.5:
            base = dict(self.base["assignment"], mention_id=key.decode(), team=f"fuzz-team-{self.n}")
            return Sent(self.names.assignments, key, json.dumps(base).encode(), "dead")
        base = dict(self.base["response"], mention_id=key.decode(), team=f"fuzz-team-{self.n}")
        return Sent(self.names.responses, key, json.dumps(base).encode(), "dead")


def test_ten_thousand_bad_records_cost_one_dead_letter_each(
    make_worker: Callable[..., Worker], producer: KafkaProducer, tmp_path: Path
) -> None:
    worker = make_worker(
        MENTION_ROUTER_RULES_PATH=write_rules(tmp_path, RULES), MENTION_ROUTER_UNMATCHED_RESPONSE_SECONDS="5"
    )
    worker.start()
    names = TopicNames(prefix=worker.prefix, app_id=f"{worker.prefix}router")
    fuzzer = Fuzzer(names, seed=20261207)
    big = KafkaProducer(bootstrap_servers=worker.bootstrap, acks="all", linger_ms=5, max_request_size=2_000_000)
    sent: list[Sent] = []
    good = []
    for n in range(BAD_RECORDS + GOOD_MENTIONS):
        if n % 36 == 0 and len(good) < GOOD_MENTIONS:
            mention = make_mention(f"@AcmeAir order {n} is late, ticket {n * 7}", handle=f"fuzz_good_{n}")
            good.append(mention)
            producer.send(names.raw, mention.model_dump_json().encode(), key=mention.id.encode())
            continue
        record = fuzzer.unknown() if n % 50 == 1 else fuzzer.bad()
        sent.append(record)
        (big if record.value is not None and len(record.value) > 500_000 else producer).send(
            record.topic, record.value, key=record.key
        )
    producer.flush(60)
    big.flush(60)
    big.close()
    dead = [s for s in sent if s.fate == "dead"]
    assert len(dead) >= 10_000
    good_ids = {m.id for m in good}

    routed: Counter[str] = Counter()
    letters: Counter[bytes] = Counter()
    reasons: Counter[str] = Counter()
    escalations: list[Any] = []

    def tally(records: list[Any]) -> bool:
        routed.clear(), letters.clear(), reasons.clear(), escalations.clear()
        for record in records:
            if record.topic == names.dlq:
                letter = DeadLetter.model_validate_json(record.value)
                letters[base64.b64decode(letter.original_key_b64 or "")] += 1
                reasons[letter.reason.value] += 1
            elif record.topic == names.escalations:
                escalations.append(record)
            else:
                routed[RoutedMention.model_validate_json(record.value).mention.id] += 1
        return sum(letters.values()) >= len(dead) and set(routed) >= good_ids

    topics = [names.dlq, names.escalations, names.routed("care"), names.routed("vip")]
    read_topics(worker.bootstrap, topics, tally, timeout=150)

    assert worker.process is not None
    assert worker.process.poll() is None, f"the worker stopped:\n{worker.log_tail()}"
    assert {i: n for i, n in routed.items() if i in good_ids and n != 1} == {}, "each good mention routed once"
    assert set(routed) == good_ids, "no bad record was routed"
    expected = Counter(s.key[:MAX_ORIGINAL_BYTES] for s in dead)
    assert letters == expected, "every bad record is exactly one dead letter, and nothing else is"
    known = {"undecodable", "schema_violation", "oversize", "time_out_of_range", "unknown_reference"}
    assert set(reasons) <= known, reasons
    assert reasons["time_out_of_range"] > 0
    assert reasons["oversize"] > 0
    assert reasons["unknown_reference"] == sum(1 for n in range(BAD_RECORDS + GOOD_MENTIONS) if n % 50 == 1)
    assert escalations == [], "no escalation fires that should not"

    snapshot = worker.metrics()
    series = [(name, labels) for name, samples in snapshot.samples.items() for labels, _ in samples]
    assert not [s for s in series if any("fuzz" in value for value in s[1].values())], "no series from a record"
    assert len(series) < 5000
    assert snapshot.total("mention_router_backlog", team="other") == 0, "no mention tracked for an unknown team"
    assert snapshot.total("mention_router_state_size", stage="track", store="pending") == 0, "all given up"
    assert "Crashed" not in worker.log_tail(2000)
    for probe in ("healthz", "readyz"):  # live and ready after the storm
        with urllib.request.urlopen(worker.metrics_url.replace("metrics", probe), timeout=5) as response:
            assert response.status == 200, probe


def test_a_changelog_record_that_does_not_restore_costs_only_itself(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    worker = make_worker()
    names = TopicNames(prefix=worker.prefix, app_id=f"{worker.prefix}router")
    worker.start()  # creates the topics
    for partition in range(3):  # written before any real state change: it comes first on restore
        producer.send(names.changelog("dedupe"), b"\xff not a state value", key=b"garbage", partition=partition)
    mention = make_mention("@AcmeAir my suitcase went to Oslo without me", handle="restore_r")
    producer.send(names.raw, mention.model_dump_json().encode(), key=mention.id.encode()).get(30)
    read_topics(worker.bootstrap, [names.unique], lambda recs: len(recs) >= 1, timeout=60)  # dedupe committed it
    assert worker.stop() == 0

    restarted = make_worker(prefix=worker.prefix)
    restarted.start()
    assert restarted.metrics().total("mention_router_state_restore_errors_total", stage="dedupe") == 3
    producer.send(names.raw, mention.model_dump_json().encode(), key=mention.id.encode()).get(30)
    duplicates = read_topics(restarted.bootstrap, [names.duplicates], lambda recs: len(recs) >= 1, timeout=60)
    assert len(duplicates) == 1, "the state after the bad record was restored: the replay is a duplicate"


LIMITS = {  # small per-worker bounds, so that a burst of a few thousand records reaches every one of them
    "MENTION_ROUTER_DEDUPE_MAX_KEYS": "3000",
    "MENTION_ROUTER_WAVE_MAX_KEYS": "600",
    "MENTION_ROUTER_TRACKER_MAX_OPEN": "600",
    "MENTION_ROUTER_TRACKER_MAX_PENDING": "600",
    "MENTION_ROUTER_TRACKER_MAX_BYTES": str(4 * 1024 * 1024),
}


def _quiet(worker: Worker, seconds: float = 4.0, timeout: float = 180.0) -> None:
    """Wait until no stage has handled a record for ``seconds``."""
    deadline = time.monotonic() + timeout
    last, since = -1.0, time.monotonic()
    while time.monotonic() < deadline:
        handled = worker.metrics().total("mention_router_batch_records_sum")
        if handled != last:
            last, since = handled, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
        time.sleep(0.5)
    raise AssertionError(f"the worker never went quiet:\n{worker.log_tail()}")


def _state_growing_burst(fuzzer: Fuzzer, producer: KafkaProducer, big: KafkaProducer, n: int, tag: str) -> None:
    """Valid records that each try to grow state: distinct mentions (dedupe keys, wave groups), assignments for
    mentions nobody routed (open mentions, some of them large), responses to mentions that never come."""
    names = fuzzer.names
    for i in range(n):
        kind = i % 3
        if kind == 0:
            mention = make_mention(f"@AcmeAir {tag} burst {i} nothing {i * 31} here", handle=f"{tag}_{i}")
            producer.send(names.raw, mention.model_dump_json().encode(), key=mention.id.encode())
        elif kind == 1:
            routed = "z" * (150_000 if i % 60 == 1 else 0) or None  # 100 large ones a burst: 15 MB
            base = dict(fuzzer.base["assignment"], mention_id=f"{tag}-a-{i}", routed_record=routed)
            value = json.dumps(base).encode()
            (big if len(value) > 500_000 else producer).send(names.assignments, value, key=f"{tag}-a-{i}".encode())
        else:
            base = dict(fuzzer.base["response"], mention_id=f"{tag}-r-{i}")
            producer.send(names.responses, json.dumps(base).encode(), key=f"{tag}-r-{i}".encode())
    producer.flush(60)
    big.flush(60)


def test_memory_stays_flat_under_bursts_of_state_growing_input(
    make_worker: Callable[..., Worker], producer: KafkaProducer
) -> None:
    worker = make_worker(**LIMITS)
    worker.start()
    names = TopicNames(prefix=worker.prefix, app_id=f"{worker.prefix}router")
    fuzzer = Fuzzer(names, seed=7)
    big = KafkaProducer(bootstrap_servers=worker.bootstrap, acks="all", max_request_size=2_000_000)
    rss = []
    for burst in range(3):  # the first reaches the bounds; the next two must not grow the worker
        _state_growing_burst(fuzzer, producer, big, 6_000, f"b{burst}")
        _quiet(worker)
        snapshot = worker.metrics()
        rss.append(snapshot.total("process_resident_memory_bytes") / 2**20)
        for (stage, store), limit in {
            ("dedupe", "keys"): 3000, ("enrich", "keys"): 600, ("track", "open"): 600,
            ("track", "pending"): 600, ("track", "held_bytes"): 4 * 1024 * 1024,
        }.items():  # fmt: skip
            assert snapshot.total("mention_router_state_size", stage=stage, store=store) <= limit, (stage, store)
    big.close()
    snapshot = worker.metrics()
    assert snapshot.total("mention_router_state_evictions_total", stage="track", store="open") > 0
    assert snapshot.total("mention_router_state_evictions_total", stage="dedupe", store="keys") > 0
    assert snapshot.total("mention_router_dead_letters_total", reason="state_full") > 0
    assert snapshot.total("mention_router_dead_letters_total", reason="unknown_reference") > 0
    print(f"worker RSS after each burst: {', '.join(f'{r:.0f} MB' for r in rss)}")
    assert rss[2] - rss[1] < 20, f"memory keeps growing with input: {rss}"  # unbounded: ~30 MB a burst
    assert worker.process is not None
    assert worker.process.poll() is None


def test_a_valid_mention_at_a_raised_payload_limit_is_routed(make_worker: Callable[..., Worker]) -> None:
    """With MENTION_ROUTER_MAX_PAYLOAD_BYTES at 1 MiB, a valid mention just under it makes a routed record over
    the broker's default 1 MiB message size: the topics the router creates take what it may send, so the record
    is routed instead of rolling its batch back until the worker exits."""
    worker = make_worker(MENTION_ROUTER_MAX_PAYLOAD_BYTES=str(1024 * 1024))
    worker.start()
    mention = make_mention("@AcmeAir my booking vanished, see the attached itinerary", handle="big_attachment")
    padding = 1024 * 1024 - len(mention.model_dump_json()) - 300
    value = mention.model_copy(update={"metadata": {"itinerary": "x" * padding}}).model_dump_json().encode()
    assert 1_048_000 < len(value) < 1024 * 1024
    big = KafkaProducer(bootstrap_servers=worker.bootstrap, acks="all", max_request_size=4 * 1024 * 1024)
    big.send(worker.topic("raw"), value, key=b"big_attachment")
    big.flush(60)
    big.close()
    routed = read_topics(worker.bootstrap, routed_topics(worker), lambda recs: len(recs) >= 1, timeout=90)
    assert [RoutedMention.model_validate_json(r.value).mention.id for r in routed] == [mention.id]
    assert len(routed[0].value) > 1_048_588, "more than the broker's default message size"
    assert worker.process is not None
    assert worker.process.poll() is None, "the worker is still running"
