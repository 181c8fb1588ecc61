"""Exactly-once on the real broker: SIGKILLed workers, a zombie worker, a broker restart.

Every input id must end in exactly one place (a team topic as a first route, ``mentions.duplicates``, or the
dead-letter topic), no mention may be a duplicate of itself, no escalation may fire twice, and the final
worker's metrics must agree with the topics. Readers use ``read_committed``, as the contract tells
downstream consumers to.
"""

from __future__ import annotations

import base64
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from schemas import (
    DeadLetter,
    DuplicateRecord,
    Escalation,
    FirstResponse,
    Mention,
    Response,
    ResponseKind,
    RoutedMention,
)
from streams.broker import local
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics, write_rules
from tests.integration.test_customers import wait_for

pytestmark = pytest.mark.integration

SLA = timedelta(minutes=30)
RULES = """
version: "eos-test.1"
triage_team: care
teams:
  - name: care
    sla: {urgent: 30m, high: 30m, normal: 30m, low: 30m}
    escalation:
      - {after: sla, to: vip, notify: duty-manager}
  - name: vip
rules: []
"""
TEAMS = ("care", "vip")


@dataclass
class Stream:
    """Distinct mentions spanning hours of event time (so escalations fire), every third answered in time."""

    mentions: list[Mention]
    answered: set[str]
    bad_keys: list[bytes]

    @classmethod
    def build(cls, count: int, hours: float, seed: int) -> Stream:
        rng = random.Random(seed)
        # Ends ten minutes ago: replies (five minutes after their mention) are then never dated in the future.
        start = datetime.now(UTC) - timedelta(hours=hours, minutes=10)
        step = timedelta(hours=hours) / count
        mentions = [
            make_mention(
                f"@AcmeAir order {10_000 + n} {rng.choice(('arrived broken', 'never came', 'was charged twice'))}, "
                f"ticket {rng.randrange(10**6)} {rng.choice(('please help', 'any update?', 'so annoyed'))}",
                handle=f"eos_{seed}_{n}",
                created_at=start + step * n,
            )
            for n in range(count)
        ]
        answered = {m.id for n, m in enumerate(mentions) if n % 3 == 0}
        return cls(mentions, answered, [b"bad-%d" % n for n in range(count // 200)])

    def produce(self, producer: KafkaProducer, worker: Worker, first: int, last: int) -> None:
        for n, mention in enumerate(self.mentions[first:last], start=first):
            producer.send(worker.topic("raw"), mention.model_dump_json().encode(), key=mention.id.encode())
            if mention.id in self.answered:
                response = Response(
                    mention_id=mention.id,
                    team="care",
                    responder="agent",
                    responded_at=mention.created_at + timedelta(minutes=5),
                    kind=ResponseKind.FIRST_REPLY,
                )
                producer.send(worker.topic("responses"), response.model_dump_json().encode(), key=mention.id.encode())
            if n % 200 == 199:
                producer.send(worker.topic("raw"), b"{not json", key=self.bad_keys[n // 200])
        producer.flush(30)

    def must_escalate(self) -> set[str]:
        """Unanswered mentions whose SLA passed well before the last event time (every partition's clock is
        past it, whatever the order the partitions were read in)."""
        horizon = self.mentions[-1].created_at - timedelta(minutes=10)
        return {m.id for m in self.mentions if m.id not in self.answered and m.created_at + SLA < horizon}


@dataclass
class Accounting:
    first_routes: Counter[str]
    duplicates: list[DuplicateRecord]
    dead_letters: list[DeadLetter]
    escalations: Counter[tuple[str, int]]
    first_responses: Counter[str]


def account(worker: Worker, ids: set[str], stop: Callable[[Accounting], bool], timeout: float) -> Accounting:
    topics = [worker.topic(f"routed.{team}") for team in TEAMS]
    topics += [worker.topic(t) for t in ("duplicates", "dlq", "escalations", "response_times")]
    latest: list[Accounting] = []

    def parse(records: list[Any]) -> Accounting:
        first: Counter[str] = Counter()
        duplicates, letters, escalations = [], [], Counter[tuple[str, int]]()
        responses: Counter[str] = Counter()
        for record in records:
            if record.topic.endswith("mentions.duplicates"):
                duplicates.append(DuplicateRecord.model_validate_json(record.value))
            elif record.topic.endswith("mentions.dlq"):
                letters.append(DeadLetter.model_validate_json(record.value))
            elif record.topic.endswith("mentions.escalations"):
                escalation = Escalation.model_validate_json(record.value)
                escalations[(escalation.mention_id, escalation.level)] += 1
            elif record.topic.endswith("mentions.response_times"):
                responses[FirstResponse.model_validate_json(record.value).mention_id] += 1
            else:
                routed = RoutedMention.model_validate_json(record.value)
                assert routed.route.dropped_reason is None
                if not routed.route.rerouted:
                    first[routed.mention.id] += 1
        return Accounting(first, duplicates, letters, escalations, responses)

    def done(records: list[Any]) -> bool:
        latest[:] = [parse(records)]
        return stop(latest[0])

    read_topics(worker.bootstrap, topics, done, timeout=timeout)
    return latest[0]


def assert_exactly_once(result: Accounting, stream: Stream) -> None:
    ids = {m.id for m in stream.mentions}
    assert [i for i, n in result.first_routes.items() if n > 1] == [], "no mention is routed twice"
    assert set(result.first_routes) == ids, "every mention reaches a team"
    assert [d for d in result.duplicates if d.mention_id in ids] == [], "no mention is a duplicate (of itself)"
    letters = sorted(base64.b64decode(letter.original_key_b64 or "") for letter in result.dead_letters)
    assert letters == sorted(stream.bad_keys), "each bad record is one dead letter"
    assert [e for e, n in result.escalations.items() if n > 1] == [], "no escalation fires twice"
    escalated = {mention_id for mention_id, _ in result.escalations}
    assert stream.must_escalate() <= escalated, "every overdue unanswered mention escalates"
    # (An answered mention may escalate too: a reply that needs the repartition hop can reach the tracker after
    # later replies moved its partition's event-time clock past the SLA. That is event time, not a fault.)
    assert [i for i, n in result.first_responses.items() if n > 1] == [], "one first response per mention"
    assert set(result.first_responses) == stream.answered, "every answered mention has its first response"


def settled(stream: Stream) -> Callable[[Accounting], bool]:
    ids = {m.id for m in stream.mentions}
    overdue = stream.must_escalate()

    def check(result: Accounting) -> bool:
        escalated = {mention_id for mention_id, _ in result.escalations}
        return (
            set(result.first_routes) >= ids
            and overdue <= escalated
            and set(result.first_responses) >= stream.answered  # published after their grace period
            and len(result.dead_letters) >= len(stream.bad_keys)
        )

    return check


def wait_for_backlog(stream: Stream, *workers: Worker, timeout: float = 60) -> None:
    """The live workers' backlog gauges add up to exactly the unanswered mentions the topics show."""
    unanswered = len(stream.mentions) - len(stream.answered)

    def backlog() -> float:
        live = [w for w in workers if w.process is not None and w.process.poll() is None]
        return sum(w.metrics().total("mention_router_backlog") for w in live)

    wait_for(lambda: backlog() == unanswered, timeout=timeout)


def test_sigkilled_workers_change_no_count(
    make_worker: Callable[..., Worker], producer: KafkaProducer, tmp_path: Path
) -> None:
    rng = random.Random(13)
    stream = Stream.build(count=6000, hours=10, seed=13)
    rules = write_rules(tmp_path, RULES)
    env = {"MENTION_ROUTER_RULES_PATH": rules, "MENTION_ROUTER_SESSION_TIMEOUT_MS": "6000"}
    worker = make_worker(**env)
    stream.produce(producer, worker, 0, len(stream.mentions))  # a backlog: every worker dies while draining it
    for _ in range(5):
        worker.start()
        time.sleep(rng.uniform(0.5, 2.5))
        assert worker.stop(signal.SIGKILL) == -signal.SIGKILL
        worker = make_worker(prefix=worker.prefix, **env)
    worker.start()
    result = account(worker, {m.id for m in stream.mentions}, settled(stream), timeout=120)
    assert_exactly_once(result, stream)
    wait_for_backlog(stream, worker)


def test_a_zombie_worker_writes_nothing_visible(
    make_worker: Callable[..., Worker], producer: KafkaProducer, tmp_path: Path
) -> None:
    stream = Stream.build(count=4000, hours=6, seed=29)
    env = {"MENTION_ROUTER_RULES_PATH": write_rules(tmp_path, RULES), "MENTION_ROUTER_SESSION_TIMEOUT_MS": "6000"}
    zombie = make_worker(**env)
    stream.produce(producer, zombie, 0, len(stream.mentions))
    zombie.start()
    time.sleep(1.5)
    assert zombie.process is not None
    zombie.process.send_signal(signal.SIGSTOP)  # a long GC pause, a network partition: stopped mid-batch
    try:
        heir = make_worker(prefix=zombie.prefix, **env)
        heir.start()  # joins once the zombie's session has timed out: every partition moves to the heir
        owned = "mention_router_assigned_partitions"  # every stage of the heir owns all three partitions
        wait_for(lambda: set(heir.metrics().by_label(owned, "stage").values()) == {3}, timeout=60)
        account(heir, set(), settled(stream), timeout=90)  # the heir has done all the work
    finally:
        zombie.process.send_signal(signal.SIGCONT)
    # The zombie wakes up believing it owns every partition and finishes the batches it was handling.
    time.sleep(5.0)
    assert_exactly_once(account(heir, set(), lambda _: False, timeout=5), stream)
    wait_for_backlog(stream, heir, zombie)


def test_a_broker_restart_loses_nothing_and_doubles_nothing(make_worker: Callable[..., Worker], tmp_path: Path) -> None:
    home = tmp_path / "kafka"
    config = local.BrokerConfig(home=home, port=local.free_port(), controller_port=local.free_port())
    local.start(config)
    try:
        producer = KafkaProducer(bootstrap_servers=config.bootstrap, acks="all", linger_ms=2, retries=10)
        stream = Stream.build(count=1200, hours=6, seed=41)
        rules = write_rules(tmp_path, RULES)
        worker = make_worker(MENTION_ROUTER_RULES_PATH=rules)
        worker.bootstrap = config.bootstrap
        worker.start()
        stream.produce(producer, worker, 0, 600)
        time.sleep(1.0)
        local.stop(config)
        time.sleep(20)  # the workers keep running without a broker
        local.start(config)
        producer.close()
        producer = KafkaProducer(bootstrap_servers=config.bootstrap, acks="all", linger_ms=2, retries=10)
        stream.produce(producer, worker, 600, 1200)
        producer.close()
        assert worker.process is not None
        assert worker.process.poll() is None, "the worker recovered on its own"
        result = account(worker, {m.id for m in stream.mentions}, settled(stream), timeout=120)
        assert_exactly_once(result, stream)
        wait_for_backlog(stream, worker)
    finally:
        local.stop(config)
