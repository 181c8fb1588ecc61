"""The track stage's glue: records in, records and metrics out (the tracker's rules: test_tracker.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import orjson
from prometheus_client import CollectorRegistry

from schemas import Assignment, Channel, DeadLetter, DeadLetterReason, EscalationLevel, Response
from streams.agents.track import TrackAgent
from streams.metrics import Metrics
from streams.runtime.records import Output, Record
from streams.topics import TopicNames
from streams.tracking import TrackerLimits

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _assignment(mention_id: str, *, team: str = "care", escalations: tuple[EscalationLevel, ...] = ()) -> bytes:
    return (
        Assignment(
            mention_id=mention_id,
            team=team,
            priority=85,
            priority_band="urgent",
            channel=Channel.TWITTER,
            brand_account="acme",
            created_at=T0,
            routed_at=T0 + timedelta(seconds=1),
            sla_due_at=T0 + timedelta(minutes=30),
            escalations=escalations,
            conversation_key=f"acme:twitter:{mention_id}",
            rules_version="v1",
        )
        .model_dump_json()
        .encode()
    )


def test_responses_breaches_and_escalations_are_counted_per_label() -> None:
    metrics = Metrics(CollectorRegistry())
    topics = TopicNames()
    agent = TrackAgent(topics, metrics, teams=["care"], brands=["acme"])
    agent.partitions_assigned({0}, 1)
    out: list[Output] = []
    plan = (EscalationLevel(level=1, due_at=T0 + timedelta(minutes=10), notify="lead"),)
    for n in range(3):
        agent.handle(Record(topics.assignments, 0, n, 0, b"k", _assignment(f"m{n}", escalations=plan)), out)
    for n, minutes in enumerate((5, 45, 50)):  # m0 in time, m1 and m2 late
        response = Response(
            mention_id=f"m{n}", team="care", responder="ana", responded_at=T0 + timedelta(minutes=minutes)
        )
        agent.handle(Record(topics.responses, 0, n, 0, b"k", response.model_dump_json().encode()), out)
    stranger = Response(mention_id="m9", team="nobody-knows", responder="bo", responded_at=T0)
    agent.handle(Record(topics.responses, 0, 9, 0, b"k", stranger.model_dump_json().encode()), out)

    sample = metrics.registry.get_sample_value
    assert sample("mention_router_responses_total", {"team": "care", "kind": "reply"}) == 3
    assert sample("mention_router_responses_total", {"team": "other", "kind": "reply"}) == 1
    labels = {"team": "care", "priority": "urgent", "brand": "acme"}
    assert sample("mention_router_first_response_seconds_count", labels) == 3
    assert sample("mention_router_sla_breaches_total", labels) == 2
    assert [orjson.loads(o.value)["breached"] for o in out if o.topic == topics.response_times and o.value] == [
        False,
        True,
        True,
    ]

    agent.handle(Record(topics.assignments, 0, 5, 0, b"k", _assignment("m5", escalations=plan)), out)
    agent.handle(  # moves the stream clock past m5's escalation level
        Record(topics.responses, 0, 10, 0, b"k", Response(mention_id="m8", team="care", responder="x",
               responded_at=T0 + timedelta(minutes=20)).model_dump_json().encode()),
        out,
    )  # fmt: skip
    agent.tick(0, out)
    agent.after_ticks()
    assert sample("mention_router_escalations_total", {"team": "care", "brand": "acme"}) == 1


def test_a_response_whose_mention_never_comes_is_one_dead_letter_naming_its_record() -> None:
    metrics = Metrics(CollectorRegistry())
    topics = TopicNames()
    limits = TrackerLimits(unmatched_after=timedelta(seconds=0.5))
    agent = TrackAgent(topics, metrics, teams=["care"], brands=["acme"], limits=limits)
    agent.partitions_assigned({0}, 1)
    out: list[Output] = []
    stranger = Response(mention_id="never-routed", team="care", responder="bo", responded_at=T0)
    agent.handle(Record(topics.responses, 0, 17, 1234, b"k", stranger.model_dump_json().encode()), out)
    assert out == []
    time.sleep(0.6)  # the tracker holds responses for processing time, not event time
    agent.tick(0, out)
    [letter_out] = [o for o in out if o.topic == topics.dlq]
    assert letter_out.value is not None
    letter = DeadLetter.model_validate_json(letter_out.value)
    assert letter.reason is DeadLetterReason.UNKNOWN_REFERENCE
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == (topics.responses, 0, 17)
    sample = metrics.registry.get_sample_value
    assert sample("mention_router_dead_letters_total", {"stage": "track", "reason": "unknown_reference"}) == 1
    agent.end_batch(0, out)
    assert sample("mention_router_state_size", {"stage": "track", "store": "pending"}) == 0


def test_state_sizes_limits_and_evictions_are_exported_per_store() -> None:
    metrics = Metrics(CollectorRegistry())
    topics = TopicNames()
    agent = TrackAgent(topics, metrics, teams=["care"], brands=["acme"], limits=TrackerLimits(closed=2))
    agent.partitions_assigned({0}, 1)
    out: list[Output] = []
    for n in range(5):
        agent.handle(Record(topics.assignments, 0, n, 0, b"k", _assignment(f"m{n}")), out)
        reply = Response(mention_id=f"m{n}", team="care", responder="x", responded_at=T0)
        agent.handle(Record(topics.responses, 0, n, 0, b"k", reply.model_dump_json().encode()), out)
    agent.end_batch(0, out)
    sample = metrics.registry.get_sample_value
    labels = {"stage": "track", "store": "closed"}
    assert sample("mention_router_state_size_limit", labels) == 2
    assert sample("mention_router_state_size", labels) == 2
    assert sample("mention_router_state_evictions_total", labels) == 3
