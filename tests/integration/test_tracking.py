"""First responses, SLA breaches, escalation and backlog on the real broker, with a real worker."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from schemas import Escalation, FirstResponse, Mention, Response, ResponseKind, RoutedMention
from tests.factories import make_mention
from tests.integration.conftest import Worker, read_topics, write_rules
from tests.integration.test_customers import wait_for

pytestmark = pytest.mark.integration

SLA_SECONDS = 4
RULES = f"""
version: "track-test.1"
triage_team: care
teams:
  - name: care
    sla: {{urgent: {SLA_SECONDS}s, high: {SLA_SECONDS}s, normal: {SLA_SECONDS}s, low: {SLA_SECONDS}s}}
    escalation:
      - {{after: sla, to: vip, notify: duty-manager}}
  - name: vip
rules: []
"""


def _send(producer: KafkaProducer, topic: str, key: str, value: bytes) -> None:
    # kafka-python's default (murmur2) partitioner: not the router's, so records may need moving.
    producer.send(topic, value, key=key.encode()).get(30)


def _mention(producer: KafkaProducer, worker: Worker, text: str, handle: str) -> Mention:
    mention = make_mention(text, handle=handle)
    _send(producer, worker.topic("raw"), mention.id, mention.model_dump_json().encode())
    return mention


def _respond(producer: KafkaProducer, worker: Worker, mention: Mention, after: timedelta) -> None:
    response = Response(
        mention_id=mention.id,
        team="care",
        responder="agent-7",
        responded_at=mention.created_at + after,
        kind=ResponseKind.FIRST_REPLY,
    )
    _send(producer, worker.topic("responses"), mention.id, response.model_dump_json().encode())


def _records(worker: Worker, topic: str, stop: Callable[[list[Any]], bool], timeout: float = 60) -> list[Any]:
    return read_topics(worker.bootstrap, [worker.topic(topic)], stop, timeout=timeout)


def _first_responses(worker: Worker, ids: set[str]) -> dict[str, FirstResponse]:
    def parsed(records: list[Any]) -> dict[str, FirstResponse]:
        found = (FirstResponse.model_validate_json(r.value) for r in records)
        return {f.mention_id: f for f in found if f.mention_id in ids}

    return parsed(_records(worker, "response_times", lambda recs: set(parsed(recs)) == ids))


def _escalations(worker: Worker, mention_id: str, settle: float = 0.0) -> list[Escalation]:
    records = _records(worker, "escalations", lambda recs: False, timeout=settle) if settle else []
    if not settle:
        records = _records(worker, "escalations", lambda recs: any(mention_id.encode() in r.value for r in recs))
    return [e for r in records if (e := Escalation.model_validate_json(r.value)).mention_id == mention_id]


def test_responses_escalation_and_backlog(
    make_worker: Callable[..., Worker], producer: KafkaProducer, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    worker = make_worker(MENTION_ROUTER_RULES_PATH=str(rules))
    worker.start()

    answered = _mention(producer, worker, "@AcmeAir my parcel never arrived, order 1182", "ana_r")
    late = _mention(producer, worker, "@AcmeAir the app logs me out every five minutes", "ben_t")
    _respond(producer, worker, answered, timedelta(seconds=1))

    first = _first_responses(worker, {answered.id})[answered.id]
    assert first.seconds_since_created == pytest.approx(1.0)
    assert first.team == "care"
    assert not first.breached

    # Nobody answers `late`: at its SLA one escalation fires and the chain moves it to vip.
    [escalation] = _escalations(worker, late.id)
    assert (escalation.level, escalation.from_team, escalation.to_team) == (1, "care", "vip")
    assert escalation.notify == "duty-manager"
    assert escalation.fired_at == escalation.sla_due_at == late.created_at + timedelta(seconds=SLA_SECONDS)
    vip = _records(worker, "routed.vip", lambda recs: any(late.id.encode() in r.value for r in recs))
    [moved] = [m for r in vip if (m := RoutedMention.model_validate_json(r.value)).mention.id == late.id]
    assert moved.route.rerouted
    assert (moved.route.escalation_level, moved.route.previous_teams) == (1, ("care",))

    def settled() -> bool:
        snapshot = worker.metrics()
        return snapshot.total("mention_router_backlog", team="vip") == 1

    wait_for(settled, timeout=15)
    snapshot = worker.metrics()
    assert snapshot.total("mention_router_backlog", team="care") == 0
    assert snapshot.total("mention_router_sla_breaches_total", team="care") == 1
    assert snapshot.total("mention_router_escalations_total", team="care") == 1
    assert snapshot.total("mention_router_first_response_seconds_count", team="care") == 1
    assert snapshot.total("mention_router_oldest_unanswered_seconds", team="vip") >= SLA_SECONDS

    # A restart restores the state from the changelog: the level does not fire again.
    assert worker.stop(signal.SIGTERM) == 0
    worker.start()
    wait_for(lambda: worker.metrics().total("mention_router_backlog", team="vip") == 1, timeout=30)
    assert len(_escalations(worker, late.id, settle=3.0)) == 1

    _respond(producer, worker, late, timedelta(seconds=SLA_SECONDS + 30))
    second = _first_responses(worker, {late.id})[late.id]
    assert second.breached
    assert second.team == "vip"
    wait_for(lambda: worker.metrics().total("mention_router_backlog") == 0, timeout=15)


def test_a_response_before_the_sla_cancels_the_escalation(
    make_worker: Callable[..., Worker], producer: KafkaProducer, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    worker = make_worker(MENTION_ROUTER_RULES_PATH=str(rules))
    worker.start()
    mention = _mention(producer, worker, "@AcmeAir where is my refund for order 5521?", "cleo_m")
    _respond(producer, worker, mention, timedelta(seconds=2))
    assert not _first_responses(worker, {mention.id})[mention.id].breached
    assert _escalations(worker, mention.id, settle=SLA_SECONDS + 4.0) == []
    snapshot = worker.metrics()
    assert snapshot.total("mention_router_escalations_total") == 0
    assert snapshot.total("mention_router_sla_breaches_total") == 0
    assert snapshot.total("mention_router_backlog") == 0


def test_backlog_is_exact_across_two_workers_and_a_rebalance(
    make_worker: Callable[..., Worker], producer: KafkaProducer, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.replace(f"{SLA_SECONDS}s", "2h"))  # no escalation during the test
    first = make_worker(MENTION_ROUTER_RULES_PATH=str(rules))
    first.start()
    mentions = [
        _mention(producer, first, f"@AcmeAir order {1000 + n} arrived broken, box {n} crushed", f"cust_{n}")
        for n in range(24)
    ]

    def backlog(*workers: Worker) -> float:
        return sum(w.metrics().total("mention_router_backlog") for w in workers)

    wait_for(lambda: backlog(first) == 24, timeout=60)
    second = make_worker(prefix=first.prefix, MENTION_ROUTER_RULES_PATH=str(rules))
    second.start()
    # Each worker reports only the partitions it owns: the sum stays exact through the rebalance.
    wait_for(lambda: backlog(second) > 0 and backlog(first, second) == 24, timeout=60)
    assert backlog(first) < 24

    for mention in mentions[:10]:
        _respond(producer, first, mention, timedelta(minutes=3))
    wait_for(lambda: backlog(first, second) == 14, timeout=60)

    assert second.stop(signal.SIGTERM) == 0
    wait_for(lambda: backlog(first) == 14, timeout=60)  # its partitions came back, restored from the changelog


def test_replies_delivered_latest_first_still_give_the_true_first_response(
    make_worker: Callable[..., Worker], producer: KafkaProducer, tmp_path: Path
) -> None:
    worker = make_worker(MENTION_ROUTER_RULES_PATH=write_rules(tmp_path, RULES.replace(f"{SLA_SECONDS}s", "2h")))
    worker.start()
    mentions = [
        _mention(producer, worker, f"@AcmeAir order {n} never arrived, please check", f"ooo_{n}") for n in range(6)
    ]
    for mention in mentions:  # the reply sent second is delivered first
        _respond(producer, worker, mention, timedelta(minutes=9))
        _respond(producer, worker, mention, timedelta(minutes=4))
    firsts = _first_responses(worker, {m.id for m in mentions})
    assert {f.seconds_since_created for f in firsts.values()} == {240.0}
    records = _records(worker, "response_times", lambda recs: False, timeout=4)
    assert len(records) == len(mentions), "one first response per mention"
