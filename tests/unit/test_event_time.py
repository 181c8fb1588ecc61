"""Event-time bounds and bounded labels: one hostile record cannot move a clock, fire escalations or add series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from schemas import DeadLetterReason, EscalationLevel, Response
from streams.agents.dedupe import DedupeAgent
from streams.agents.track import OTHER_TEAM, TrackAgent
from streams.event_time import EventTimeBounds, TimeOutOfRangeError
from streams.metrics import Metrics
from streams.runtime.dead_letters import classify
from streams.runtime.records import Output, Record
from streams.state_bounds import UnknownReferenceError
from streams.topics import TopicNames
from tests.factories import make_mention
from tests.unit.test_track_agent import T0, _assignment

NOW = T0 + timedelta(minutes=5)
FAR_FUTURE = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)


def _bounds(skew: float = 300) -> EventTimeBounds:
    return EventTimeBounds(skew, wall=NOW.timestamp)


def test_bounds_refuse_only_what_is_ahead_of_the_clock_by_more_than_the_skew() -> None:
    bounds = _bounds()
    bounds.check(NOW + timedelta(seconds=300), "t")
    bounds.check(datetime(2001, 1, 1, tzinfo=UTC), "t")  # late records are fine: clocks never go back
    with pytest.raises(TimeOutOfRangeError, match="301s ahead"):
        bounds.check(NOW + timedelta(seconds=301), "t")
    assert classify(TimeOutOfRangeError("x")) is DeadLetterReason.TIME_OUT_OF_RANGE
    assert not bounds.accepts(FAR_FUTURE)


def test_dedupe_refuses_a_far_future_mention_before_its_window_sees_it() -> None:
    agent = DedupeAgent(TopicNames(), Metrics(CollectorRegistry()), 3600, 1000, bounds=_bounds())
    future = make_mention(created_at=datetime(9000, 1, 1, tzinfo=UTC))
    with pytest.raises(TimeOutOfRangeError):
        agent.handle(Record("mentions.raw", 0, 0, 0, b"k", future.model_dump_json().encode()), [])
    assert agent.state_size() == 0


def _track(metrics: Metrics) -> TrackAgent:
    agent = TrackAgent(TopicNames(), metrics, teams=["care"], brands=["acme"], wall=lambda: 0.0, bounds=_bounds())
    agent.partitions_assigned({0}, 1)
    return agent


def test_a_reply_dated_9999_is_refused_and_fires_nothing() -> None:
    metrics = Metrics(CollectorRegistry())
    agent, topics = _track(metrics), TopicNames()
    plan = (EscalationLevel(level=1, due_at=T0 + timedelta(minutes=10), notify="lead"),)
    out: list[Output] = []
    agent.handle(Record(topics.assignments, 0, 0, 0, b"k", _assignment("m1", escalations=plan)), out)
    poison = Response(mention_id="m0", team="care", responder="x", responded_at=FAR_FUTURE)
    with pytest.raises(TimeOutOfRangeError):
        agent.handle(Record(topics.responses, 0, 1, 0, b"k", poison.model_dump_json().encode()), out)
    agent.tick(0, out)  # the timer code runs on an unmoved clock: no overflow, no escalation
    agent.after_ticks()
    assert [o for o in out if o.topic == topics.escalations] == []
    assert metrics.registry.get_sample_value("mention_router_backlog", {"team": "care", "priority": "urgent"}) == 1


def test_team_labels_come_from_the_rules_only() -> None:
    metrics = Metrics(CollectorRegistry())
    agent, topics = _track(metrics), TopicNames()
    out: list[Output] = []
    for n in range(50):  # anyone who can write to mentions.assignments
        with pytest.raises(UnknownReferenceError) as refused:  # a team the rules lack: a dead letter
            agent.handle(Record(topics.assignments, 0, n, 0, b"k", _assignment(f"m{n}", team=f"made-up-{n}")), out)
        assert classify(refused.value) is DeadLetterReason.UNKNOWN_REFERENCE
        reply = Response(mention_id=f"m{n}", team=f"made-up-{n}", responder="x", responded_at=T0)
        agent.handle(Record(topics.responses, 0, n, 0, b"k", reply.model_dump_json().encode()), out)
    teams = {
        sample.labels["team"]
        for family in metrics.registry.collect()
        for sample in family.samples
        if "team" in sample.labels and family.name.startswith("mention_router_")
    }
    assert teams <= {"care", OTHER_TEAM}
    sample = metrics.registry.get_sample_value
    assert sample("mention_router_responses_total", {"team": OTHER_TEAM, "kind": "reply"}) == 50
