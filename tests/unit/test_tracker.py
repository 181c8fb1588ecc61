"""PartitionTracker: first responses, out-of-order arrival, backlog, escalations, SLA breaches, expiry, changelog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas import Assignment, Channel, EscalationLevel, Response, RoutedMention
from streams.state_bounds import StateFullError
from streams.tracking import (
    BreachOutput,
    EscalationOutput,
    ExpiredOutput,
    FirstResponseOutput,
    PartitionTracker,
    RerouteOutput,
    Source,
    StreamClock,
    TrackerLimits,
    TrackerOutput,
    UnmatchedOutput,
    assignment_from_routed,
    rerouted_record,
)
from streams.tracking.tracker import ANSWERS_KEY, WATERMARK_KEY

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def assignment(mention_id: str = "twitter:1", **overrides: Any) -> Assignment:
    fields: dict[str, Any] = {
        "mention_id": mention_id,
        "team": "care",
        "priority": 50,
        "priority_band": "normal",
        "channel": Channel.TWITTER,
        "brand_account": "AcmeAir",
        "created_at": T0,
        "routed_at": T0 + timedelta(seconds=2),
        "conversation_key": "AcmeAir:twitter:casey",
        "rules_version": "v1",
    }
    fields.update(overrides)
    return Assignment(**fields)


def response(mention_id: str = "twitter:1", at: datetime = T0, responder: str = "agent7") -> Response:
    return Response(mention_id=mention_id, team="care", responder=responder, responded_at=at)


def first_responses(outputs: list[TrackerOutput]) -> list[FirstResponseOutput]:
    return [o for o in outputs if isinstance(o, FirstResponseOutput)]


def kinds(outputs: list[TrackerOutput]) -> list[str]:
    return [o.kind for o in outputs]


# ------------------------------------------------------------------------------------ first responses


def test_response_after_assignment_is_the_first_response() -> None:
    tracker = PartitionTracker()
    assert tracker.on_assignment(assignment(sla_due_at=minutes(60))) == []
    assert tracker.backlog() == {("care", "normal"): 1}

    [out] = tracker.on_response(response(at=minutes(12.5)))

    assert isinstance(out, FirstResponseOutput)
    record = out.record
    assert (record.mention_id, record.team, record.priority_band, record.brand_account) == (
        "twitter:1",
        "care",
        "normal",
        "AcmeAir",
    )
    assert record.responder == "agent7"
    assert record.seconds_since_created == 750.0
    assert record.seconds_since_routed == 748.0
    assert record.sla_due_at == minutes(60)
    assert record.breached is False
    assert tracker.backlog() == {}
    assert not tracker.is_open("twitter:1")


def test_response_before_assignment_resolves_when_the_assignment_arrives() -> None:
    tracker = PartitionTracker()
    assert tracker.on_response(response(at=minutes(30), responder="late")) == []
    assert tracker.on_response(response(at=minutes(9), responder="early")) == []  # earlier, arrives later
    assert tracker.on_response(response(at=minutes(20), responder="middle")) == []

    [out] = tracker.on_assignment(assignment())

    assert isinstance(out, FirstResponseOutput)
    assert out.record.responder == "early"
    assert out.record.seconds_since_created == 540.0
    assert tracker.backlog() == {}


def test_only_responses_seen_before_closing_count() -> None:
    """Documented rule: once a FirstResponse is out, an earlier responded_at arriving later is ignored."""
    tracker = PartitionTracker()
    tracker.on_assignment(assignment())
    [out] = tracker.on_response(response(at=minutes(10)))
    assert isinstance(out, FirstResponseOutput)

    assert tracker.on_response(response(at=minutes(5))) == []
    assert tracker.on_response(response(at=minutes(15))) == []


def test_a_late_duplicate_assignment_does_not_reopen_a_closed_mention() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(assignment())
    tracker.on_response(response(at=minutes(3)))

    assert tracker.on_assignment(assignment()) == []
    assert tracker.on_assignment(assignment(rerouted=True, team="billing")) == []
    assert tracker.backlog() == {}


def test_a_duplicate_assignment_of_an_open_mention_changes_nothing() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(assignment())
    assert tracker.on_assignment(assignment(team="billing")) == []  # not rerouted: first assignment wins
    assert tracker.backlog() == {("care", "normal"): 1}


# ----------------------------------------------------------------------------------------------- backlog


def test_backlog_counts_open_mentions_by_team_and_band() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(assignment("m1"))
    tracker.on_assignment(assignment("m2", priority=90, priority_band="urgent"))
    tracker.on_assignment(assignment("m3", priority=90, priority_band="urgent"))
    tracker.on_assignment(assignment("m4", team="billing"))
    tracker.on_response(response("m5", at=minutes(1)))  # pending only: not in the backlog

    assert tracker.backlog() == {("care", "normal"): 1, ("care", "urgent"): 2, ("billing", "normal"): 1}

    tracker.on_response(response("m2", at=minutes(4)))
    tracker.on_response(response("m4", at=minutes(4)))
    assert tracker.backlog() == {("care", "normal"): 1, ("care", "urgent"): 1}
    assert tracker.teams() == {"care"}


def test_oldest_unanswered_follows_responses() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(assignment("m2", created_at=minutes(2)))
    tracker.on_assignment(assignment("m1", created_at=minutes(1)))
    tracker.on_assignment(assignment("m3", created_at=minutes(3)))
    tracker.on_assignment(assignment("b1", team="billing", created_at=minutes(0)))

    assert tracker.oldest_unanswered("care") == minutes(1)
    assert tracker.oldest_unanswered("billing") == minutes(0)
    assert tracker.oldest_unanswered("nobody") is None

    tracker.on_response(response("m1", at=minutes(5)))
    assert tracker.oldest_unanswered("care") == minutes(2)
    tracker.on_response(response("m3", at=minutes(5)))
    assert tracker.oldest_unanswered("care") == minutes(2)
    tracker.on_response(response("m2", at=minutes(5)))
    assert tracker.oldest_unanswered("care") is None


def test_a_rerouted_assignment_moves_the_mention_and_keeps_created_at() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(assignment("m1", created_at=minutes(1)))
    tracker.on_assignment(assignment("m2", created_at=minutes(2)))

    moved = assignment("m1", team="billing", rerouted=True, created_at=minutes(7), routed_at=minutes(8))
    assert tracker.on_assignment(moved) == []

    assert tracker.backlog() == {("care", "normal"): 1, ("billing", "normal"): 1}
    assert tracker.oldest_unanswered("care") == minutes(2)
    assert tracker.oldest_unanswered("billing") == minutes(1)
    [out] = tracker.on_response(response("m1", at=minutes(11)))
    assert isinstance(out, FirstResponseOutput)
    assert out.record.team == "billing"
    assert out.record.created_at == minutes(1)
    assert out.record.seconds_since_created == 600.0


def test_a_rerouted_assignment_without_a_record_keeps_the_one_it_had() -> None:
    tracker = PartitionTracker()
    plan = (EscalationLevel(level=1, due_at=minutes(30), to_team="tier2"),)
    tracker.on_assignment(assignment("m1", routed_record='{"the": "record"}'))
    tracker.on_assignment(assignment("m1", team="billing", rerouted=True, escalations=plan))

    [_, reroute] = tracker.due(minutes(31))

    assert isinstance(reroute, RerouteOutput)
    assert (reroute.from_team, reroute.to_team, reroute.routed_record) == ("billing", "tier2", '{"the": "record"}')


# ------------------------------------------------------------------------------------------- escalations


def escalating(mention_id: str = "m1", **overrides: Any) -> Assignment:
    plan = (
        EscalationLevel(level=1, due_at=minutes(30), notify="#care-leads"),
        EscalationLevel(level=2, due_at=minutes(60), to_team="tier2", notify="oncall"),
        EscalationLevel(level=3, due_at=minutes(120), notify="head-of-care"),
    )
    return assignment(mention_id, escalations=plan, routed_record=None, **overrides)


def test_due_with_a_limit_fires_the_same_timers_in_the_same_order_over_several_calls() -> None:
    def filled() -> PartitionTracker:
        tracker = PartitionTracker(max_age=timedelta(days=3))
        for n in range(250):
            tracker.on_assignment(escalating(f"m{n}", created_at=minutes(n % 7), sla_due_at=minutes(45 + n % 11)))
        return tracker

    at_once = filled().due(minutes(500))
    tracker, in_rounds, calls = filled(), [], 0
    while True:
        outputs = tracker.due(minutes(500), limit=40)
        assert len(outputs) <= 40 + 2  # a timer's outputs are not split (a re-route is two)
        in_rounds += outputs
        calls += 1
        if not tracker.has_due(minutes(500)):
            break
    assert len(at_once) > 1000
    assert in_rounds == at_once
    assert calls >= len(at_once) // 42
    assert tracker.due(minutes(500)) == []


def test_escalation_levels_fire_once_each_in_due_order() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(escalating())

    assert tracker.due(minutes(29)) == []
    [first] = tracker.due(minutes(30))
    assert isinstance(first, EscalationOutput)
    assert first.record.escalation_id == "m1:1"
    assert first.record.fired_at == minutes(30)
    assert (first.record.from_team, first.record.to_team, first.record.notify) == ("care", None, "#care-leads")
    assert tracker.due(minutes(30)) == []
    assert tracker.due(minutes(45)) == []

    outputs = tracker.due(minutes(500))
    assert kinds(outputs) == ["escalation", "reroute", "escalation"]
    second, reroute, third = outputs
    assert isinstance(second, EscalationOutput)
    assert isinstance(reroute, RerouteOutput)
    assert isinstance(third, EscalationOutput)
    assert (second.record.level, second.record.from_team, second.record.to_team) == (2, "care", "tier2")
    assert (reroute.mention_id, reroute.from_team, reroute.to_team, reroute.level, reroute.at) == (
        "m1",
        "care",
        "tier2",
        2,
        minutes(60),
    )
    assert (third.record.level, third.record.from_team, third.record.fired_at) == (3, "tier2", minutes(120))
    assert tracker.backlog() == {("tier2", "normal"): 1}
    assert tracker.oldest_unanswered("tier2") == T0
    assert tracker.oldest_unanswered("care") is None
    assert tracker.due(minutes(1000)) == []


def test_escalations_across_mentions_come_out_in_due_order() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(escalating("late", created_at=minutes(0)))
    plan = (EscalationLevel(level=1, due_at=minutes(45)),)
    tracker.on_assignment(assignment("early", escalations=plan))

    outputs = tracker.due(minutes(50))
    assert [(o.record.mention_id, o.record.level) for o in outputs if isinstance(o, EscalationOutput)] == [
        ("late", 1),
        ("early", 1),
    ]


def test_a_response_cancels_the_remaining_levels() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(escalating())
    assert kinds(tracker.due(minutes(31))) == ["escalation"]

    [out] = tracker.on_response(response("m1", at=minutes(40)))
    assert isinstance(out, FirstResponseOutput)
    assert tracker.due(minutes(1000)) == []


def test_a_mention_answered_before_its_assignment_arrives_never_escalates() -> None:
    tracker = PartitionTracker()
    tracker.on_response(response("m1", at=minutes(90)))
    assert kinds(tracker.on_assignment(escalating())) == ["first_response"]
    assert tracker.due(minutes(1000)) == []


def test_an_escalation_reroute_carries_the_routed_record() -> None:
    routed = RoutedMention.model_validate(
        {
            "mention": {
                "id": "twitter:9",
                "channel": "twitter",
                "native_id": "9",
                "author": {"handle": "casey"},
                "text": "my bag is lost",
                "created_at": T0.isoformat(),
                "brand_account": "AcmeAir",
            },
            "enrichment": {
                "language": "en",
                "language_confidence": 0.9,
                "sentiment": {"label": "negative", "score": -0.6},
                "priority": 85,
            },
            "ingested_at": T0.isoformat(),
            "route": {
                "team": "care",
                "priority": 85,
                "rule_id": "lost-bags",
                "rules_version": "v7",
                "tags": ["baggage"],
                "routed_at": (T0 + timedelta(seconds=1)).isoformat(),
                "sla_due_at": minutes(15).isoformat(),
            },
        }
    )
    plan = (EscalationLevel(level=1, due_at=minutes(20), to_team="baggage-desk"),)
    a = assignment_from_routed(
        routed, conversation_key="AcmeAir:twitter:casey", escalations=plan, routed_record=routed.model_dump_json()
    )
    assert (a.mention_id, a.team, a.priority_band, a.sla_due_at, a.rules_version) == (
        "twitter:9",
        "care",
        "urgent",
        minutes(15),
        "v7",
    )
    tracker = PartitionTracker()
    tracker.on_assignment(a)

    outputs = tracker.due(minutes(25))

    assert kinds(outputs) == ["breach", "escalation", "reroute"]
    reroute = outputs[2]
    assert isinstance(reroute, RerouteOutput)
    assert reroute.routed_record is not None
    moved = RoutedMention.model_validate_json(
        rerouted_record(reroute.routed_record, reroute.to_team, at=reroute.at, level=1, from_team="care")
    )
    assert moved.route.team == "baggage-desk"
    assert moved.route.rerouted is True
    assert moved.route.routed_at == minutes(20)
    assert moved.route.rule_id == "lost-bags"
    assert moved.route.tags == ("baggage", "escalated:1:care")
    assert moved.mention == routed.mention
    assert tracker.backlog() == {("baggage-desk", "urgent"): 1}


# ------------------------------------------------------------------------------------------ SLA breaches


def test_an_unanswered_breach_is_counted_once_and_not_again_by_the_late_response() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(assignment(sla_due_at=minutes(60)))

    assert tracker.due(minutes(60)) == []  # a response at exactly the due time is in time
    [breach] = tracker.due(minutes(61))
    assert isinstance(breach, BreachOutput)
    assert (breach.mention_id, breach.team, breach.sla_due_at, breach.at) == (
        "twitter:1",
        "care",
        minutes(60),
        minutes(60),
    )
    assert tracker.due(minutes(90)) == []

    [out] = tracker.on_response(response(at=minutes(95)))
    assert isinstance(out, FirstResponseOutput)
    assert out.record.breached is True


def test_a_late_response_counts_the_breach_when_due_did_not() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(assignment(sla_due_at=minutes(60)))

    outputs = tracker.on_response(response(at=minutes(61)))

    assert kinds(outputs) == ["first_response", "breach"]
    breach = outputs[1]
    assert isinstance(breach, BreachOutput)
    assert breach.at == minutes(61)
    assert tracker.due(minutes(1000)) == []


def test_a_response_at_the_due_time_is_not_a_breach() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(assignment(sla_due_at=minutes(60)))
    [out] = tracker.on_response(response(at=minutes(60)))
    assert isinstance(out, FirstResponseOutput)
    assert out.record.breached is False


def test_a_late_response_held_before_its_assignment_counts_the_breach() -> None:
    tracker = PartitionTracker()
    tracker.on_response(response(at=minutes(61)))
    assert kinds(tracker.on_assignment(assignment(sla_due_at=minutes(60)))) == ["first_response", "breach"]


def test_no_sla_no_breach() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(assignment())
    [out] = tracker.on_response(response(at=minutes(10_000)))
    assert isinstance(out, FirstResponseOutput)
    assert out.record.breached is False


# ------------------------------------------------------------------------------------- expiry and bounds


def test_an_unanswered_mention_expires_after_max_age() -> None:
    tracker = PartitionTracker(max_age=timedelta(days=2), closed_ttl=timedelta(days=1))
    tracker.on_assignment(assignment("m1", escalations=(EscalationLevel(level=1, due_at=minutes(60 * 24 * 3)),)))
    tracker.on_assignment(assignment("m2", created_at=minutes(60)))

    [expired] = tracker.due(T0 + timedelta(days=2))

    assert isinstance(expired, ExpiredOutput)
    assert (expired.mention_id, expired.team, expired.created_at, expired.at) == (
        "m1",
        "care",
        T0,
        T0 + timedelta(days=2),
    )
    assert tracker.backlog() == {("care", "normal"): 1}
    assert tracker.oldest_unanswered("care") == minutes(60)
    assert tracker.on_response(response("m1", at=T0 + timedelta(days=2, hours=1))) == []  # closed
    assert tracker.due(T0 + timedelta(days=4)) == [ExpiredOutput("m2", "care", "normal", minutes(60), minutes(60 * 49))]
    assert len(tracker) == 1  # m2 closed; m1 closed at day 2, forgotten a day later


def test_an_assignment_already_older_than_max_age_is_not_tracked() -> None:
    tracker = PartitionTracker(max_age=timedelta(days=1))
    tracker.on_response(response("other", at=T0 + timedelta(days=5)))
    assert tracker.on_assignment(assignment("old")) == []
    assert tracker.backlog() == {}


def test_pending_responses_expire_and_are_bounded_and_each_given_up_one_is_reported() -> None:
    wall = [1_000.0]
    limits = TrackerLimits(pending=3, unmatched_after=timedelta(hours=1))
    tracker = PartitionTracker(limits=limits, wall=lambda: wall[0])
    source = Source("responses", 0, 41, 7, 100)
    assert tracker.on_response(response("gone", at=minutes(0)), source) == []
    tracker.on_assignment(assignment("other", created_at=minutes(600)))  # event time alone expires nothing
    wall[0] += 3601  # an hour of processing time without its assignment: given up
    [unmatched] = tracker.on_response(response("x", at=minutes(601)))
    assert isinstance(unmatched, UnmatchedOutput)
    assert (unmatched.response.mention_id, unmatched.source) == ("gone", source)
    assert tracker.on_assignment(assignment("gone")) == []
    assert tracker.is_open("gone")

    given_up = [o for n in range(5) for o in tracker.on_response(response(f"p{n}", at=minutes(62)))]
    assert [o.response.mention_id for o in given_up if isinstance(o, UnmatchedOutput)] == ["x", "p0", "p1"]
    assert len(tracker) == 2 + 3  # open "other" and "gone" + the 3 newest pending
    assert tracker.bounds["pending"].evicted == 3
    assert first_responses(tracker.on_assignment(assignment("p4", created_at=minutes(50))))
    assert tracker.on_assignment(assignment("p0", created_at=minutes(50))) == []  # given up: opened instead


def test_open_mentions_beyond_the_bound_are_refused_and_nothing_changes() -> None:
    tracker = PartitionTracker(limits=TrackerLimits(open=2))
    tracker.on_assignment(assignment("a"))
    tracker.on_assignment(assignment("b"))
    tracker.drain_changes()
    with pytest.raises(StateFullError):
        tracker.on_assignment(assignment("c", created_at=minutes(1)))
    assert not tracker.is_open("c")
    assert [k for k, _ in tracker.drain_changes()] == [WATERMARK_KEY], "only the clock moved"
    assert tracker.bounds["open"].evicted == 1
    first_responses(tracker.on_response(response("a", at=minutes(2))))
    tracker.on_assignment(assignment("c", created_at=minutes(1)))  # room again once one is answered
    assert tracker.is_open("c")


def test_held_responses_give_way_to_open_mentions_within_the_byte_bound() -> None:
    tracker = PartitionTracker(limits=TrackerLimits(bytes=1000))
    for n in range(4):  # 4 x 200 bytes held for assignments that may never come
        tracker.on_response(response(f"held{n}"), Source("responses", 0, n, None, 200))
    assert tracker.sizes()["held_bytes"] == 800
    big = assignment("big", routed_record="x" * 500)
    outputs = tracker.on_assignment(big)
    assert [o.response.mention_id for o in outputs if isinstance(o, UnmatchedOutput)] == ["held0", "held1"]
    assert tracker.is_open("big")
    assert tracker.sizes()["held_bytes"] == 900
    with pytest.raises(StateFullError):  # open mentions are never evicted: a bigger one is refused
        tracker.on_assignment(assignment("bigger", routed_record="x" * 950))
    restored = replay(tracker.drain_changes(), limits=TrackerLimits(bytes=1000))
    assert restored.sizes()["open"] == 1
    assert restored.sizes()["pending"] == 2
    assert restored.sizes()["held_bytes"] >= 900  # the open mention counts its changelog value's size


def test_a_smaller_share_after_a_rebalance_evicts_held_and_closed_entries_only() -> None:
    tracker = PartitionTracker(limits=TrackerLimits(open=10, pending=10, closed=10))
    for n in range(6):
        tracker.on_assignment(assignment(f"open{n}"))
        tracker.on_response(response(f"held{n}"))
        tracker.on_assignment(assignment(f"closed{n}"))
        tracker.on_response(response(f"closed{n}", at=minutes(1)))
    for bound in tracker.bounds.values():
        bound.share(2)  # 5 each
    tracker.enforce_bounds()
    assert tracker.sizes() | {"held_bytes": 0} == {"open": 6, "pending": 5, "closed": 5, "held_bytes": 0}
    assert [o.response.mention_id for o in tracker.due(minutes(2)) if isinstance(o, UnmatchedOutput)] == ["held0"]


def test_responses_far_ahead_of_their_assignments_still_count() -> None:
    """A fast replay: responses reach the stage weeks of event time before their assignments."""
    tracker = PartitionTracker(max_age=timedelta(days=30), limits=TrackerLimits(unmatched_after=timedelta(days=30)))
    early = assignment("early", created_at=minutes(0))
    tracker.on_response(response("early", at=minutes(5)))
    tracker.on_response(response("much-later", at=minutes(60 * 24 * 60)))  # 60 days on
    [out] = first_responses(tracker.on_assignment(early))
    assert out.record.seconds_since_created == 300


def test_a_dropped_mention_is_measured_but_not_owed() -> None:
    tracker = PartitionTracker()
    spam = assignment("spam-1").model_copy(update={"dropped": True})
    assert tracker.on_assignment(spam) == []
    assert tracker.backlog() == {}
    assert tracker.oldest_unanswered(spam.team) is None
    [out] = first_responses(tracker.on_response(response("spam-1", at=minutes(3))))
    assert out.record.seconds_since_created == 180
    assert tracker.backlog() == {}


def test_closed_set_is_bounded() -> None:
    tracker = PartitionTracker(limits=TrackerLimits(closed=10))
    for n in range(100):
        tracker.on_assignment(assignment(f"m{n}"))
        tracker.on_response(response(f"m{n}", at=minutes(1)))
    assert len(tracker) == 10


def test_timer_heap_stays_bounded_when_mentions_close_before_their_timers() -> None:
    tracker = PartitionTracker()
    for n in range(5_000):
        tracker.on_assignment(escalating(f"m{n}", created_at=minutes(n), sla_due_at=minutes(n + 60)))
        tracker.on_response(response(f"m{n}", at=minutes(n + 1)))
    assert len(tracker._timers) < 2_500  # 5 dead entries per mention: 25k without compaction


# -------------------------------------------------------------------------------------------- changelog


def replay(changes: list[tuple[bytes, bytes | None]], **kwargs: Any) -> PartitionTracker:
    rebuilt = PartitionTracker(**kwargs)
    for key, value in changes:
        rebuilt.restore(key, value)
    return rebuilt


def snapshot(tracker: PartitionTracker) -> tuple[object, ...]:
    teams = ("care", "billing", "tier2")
    return (
        tracker.backlog(),
        {team: tracker.oldest_unanswered(team) for team in teams},
        len(tracker),
        tracker.watermark,
    )


def test_a_tracker_rebuilt_from_its_changelog_behaves_identically() -> None:
    kwargs: dict[str, Any] = {"max_age": timedelta(days=3), "closed_ttl": timedelta(days=1)}
    tracker = PartitionTracker(**kwargs)
    changes: list[tuple[bytes, bytes | None]] = []
    tracker.on_assignment(escalating("m1", sla_due_at=minutes(45)))
    plan = (
        EscalationLevel(level=1, due_at=minutes(35)),
        EscalationLevel(level=2, due_at=minutes(65), to_team="tier2"),
        EscalationLevel(level=3, due_at=minutes(125)),
    )
    tracker.on_assignment(assignment("m2", created_at=minutes(5), team="billing", escalations=plan))
    tracker.on_assignment(assignment("m3", created_at=minutes(6), priority_band="urgent", priority=85))
    tracker.on_response(response("m4", at=minutes(7)))  # pending
    changes += tracker.drain_changes()
    assert kinds(tracker.due(minutes(40))) == ["escalation", "escalation"]  # m1 and m2 level 1
    tracker.on_response(response("m3", at=minutes(41)))  # closes m3
    changes += tracker.drain_changes()
    print("DUE", kinds(tracker.due(minutes(61))))
    assert ["breach", "escalation", "reroute"]  # m1 level 2 -> tier2
    tracker.on_assignment(assignment("m5", created_at=minutes(62), rerouted=True, team="billing"))
    changes += tracker.drain_changes()
    assert tracker.drain_changes() == []

    rebuilt = replay(changes, **kwargs)

    assert snapshot(rebuilt) == snapshot(tracker)
    assert snapshot(rebuilt)[0] == {("tier2", "normal"): 1, ("billing", "normal"): 2}
    # Same future: no level fired again, the same levels still to come, the same late arrivals.
    for t in (tracker, rebuilt):
        assert t.on_assignment(assignment("m3")) == []  # closed
        assert kinds(t.on_assignment(assignment("m4", created_at=minutes(3)))) == ["first_response"]
    assert rebuilt.due(minutes(64)) == tracker.due(minutes(64)) == []  # m2's level 2 is due at 65
    future = [tracker.due(minutes(200)), tracker.due(T0 + timedelta(days=4))]
    assert [rebuilt.due(minutes(200)), rebuilt.due(T0 + timedelta(days=4))] == future
    assert [[o.record.escalation_id if isinstance(o, EscalationOutput) else o.kind for o in b] for b in future] == [
        ["m2:2", "reroute", "m1:3", "m2:3"],
        ["expired", "expired", "expired"],
    ]
    assert [o.mention_id for o in future[1] if isinstance(o, ExpiredOutput)] == ["m1", "m2", "m5"]
    assert snapshot(rebuilt) == snapshot(tracker)


def test_a_breach_counted_before_a_restore_is_not_counted_again() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(assignment(sla_due_at=minutes(10)))
    assert kinds(tracker.due(minutes(11))) == ["breach"]

    rebuilt = replay(tracker.drain_changes())

    assert rebuilt.due(minutes(20)) == []
    assert kinds(rebuilt.on_response(response(at=minutes(30)))) == ["first_response"]


def test_changelog_keys_and_tombstones() -> None:
    tracker = PartitionTracker()
    tracker.on_assignment(assignment("m1"))
    tracker.on_response(response("m2", at=minutes(1)))
    first = dict(tracker.drain_changes())
    assert set(first) == {b"open:m1", b"pending:m2", WATERMARK_KEY, ANSWERS_KEY}
    assert first[WATERMARK_KEY] == b'"2024-03-01T09:01:00+00:00"'

    tracker.on_response(response("m1", at=minutes(2)))
    tracker.on_assignment(assignment("m2"))
    second = dict(tracker.drain_changes())
    assert second[b"open:m1"] is None
    assert second[b"pending:m2"] is None
    assert second[b"closed:m1"] is not None
    assert second[b"closed:m2"] is not None


def test_the_changelog_reuses_the_received_assignment_json_until_the_assignment_changes() -> None:
    plan = (EscalationLevel(level=1, due_at=minutes(30), to_team="tier2"),)
    received = assignment("m1", sla_due_at=minutes(60), escalations=plan, routed_record=None)
    raw = b' {"extra": 1, ' + received.model_dump_json().encode()[1:]  # as another producer might write it
    tracker = PartitionTracker()
    tracker.on_assignment(received, raw)
    value = dict(tracker.drain_changes())[b"open:m1"]
    assert value is not None
    assert value.startswith(b'{"assignment": {"extra": 1, ')  # spliced as received, not re-encoded
    rebuilt = replay([(b"open:m1", value)])
    assert rebuilt.backlog() == {("care", "normal"): 1}
    assert rebuilt.due(minutes(31)) != []  # the plan came back with it

    assert kinds(tracker.due(minutes(31))) == ["escalation", "reroute"]  # the assignment now says tier2
    moved = dict(tracker.drain_changes())[b"open:m1"]
    assert moved is not None
    assert b'"extra"' not in moved
    assert replay([(b"open:m1", moved)]).backlog() == {("tier2", "normal"): 1}
    assert kinds(replay([(b"open:m1", moved)]).due(minutes(90))) == ["breach"]  # level 1 fired already


def compacted(changes: list[tuple[bytes, bytes | None]]) -> list[tuple[bytes, bytes | None]]:
    """Each key's last value in the order of those last writes: what a restore applies (streams.runtime.last_values)."""
    last: dict[bytes, bytes | None] = {}
    for key, value in changes:
        last.pop(key, None)
        last[key] = value
    return list(last.items())


def test_status_changes_write_the_status_alone_and_a_compacted_changelog_restores_the_same_tracker() -> None:
    kwargs: dict[str, Any] = {"max_age": timedelta(days=3), "first_response_grace": timedelta(minutes=5)}
    tracker = PartitionTracker(**kwargs)
    changes: list[tuple[bytes, bytes | None]] = []

    def drained() -> dict[bytes, bytes | None]:
        step = tracker.drain_changes()
        changes.extend(step)
        return dict(step)

    tracker.on_assignment(escalating("m1", sla_due_at=minutes(45)))
    tracker.on_assignment(escalating("m2", created_at=minutes(1), sla_due_at=minutes(50)))
    tracker.on_assignment(assignment("m3", created_at=minutes(2), sla_due_at=minutes(40)))
    opened = drained()
    assert {b"open:m1", b"open:m2", b"open:m3"} <= set(opened)
    assert not any(key.startswith(b"status:") for key in opened)

    assert kinds(tracker.due(minutes(31))) == ["escalation", "escalation"]  # level 1 of m1 and m2
    fired = drained()
    assert b"open:m1" not in fired, "the assignment is not written again"
    assert b"open:m2" not in fired
    assert fired[b"status:m1"] == b'{"fired_level":1,"breach_counted":false,"answer":null}'

    tracker.on_response(response("m3", at=minutes(39)))  # answered, published after the grace
    answered = drained()
    assert set(answered) >= {b"status:m3"}
    assert b"open:m3" not in answered
    assert b'"agent7"' in (answered[b"status:m3"] or b"")

    assert kinds(tracker.due(minutes(61))) == [
        "first_response",
        "breach",
        "breach",
        "escalation",
        "reroute",
        "escalation",
        "reroute",
    ]  # fmt: skip; m3 published at 44, m1 and m2 breached at 45 and 50, both re-routed at 60
    moved = drained()
    assert b'"tier2"' in (moved[b"open:m1"] or b""), "re-routed: written whole"
    assert moved[b"status:m1"] is None, "the status it superseded is deleted"
    assert moved[b"open:m3"] is None, "closed: both deleted"
    assert moved[b"status:m3"] is None

    assert kinds(tracker.due(minutes(121))) == ["escalation", "escalation"]  # level 3, after the re-route
    assert set(drained()) >= {b"status:m1", b"status:m2"}

    last = dict(compacted(changes))
    assert last[b"open:m3"] is None
    assert last[b"status:m3"] is None
    full, from_compacted = replay(changes, **kwargs), replay(compacted(changes), **kwargs)
    assert snapshot(full) == snapshot(from_compacted) == snapshot(tracker)
    futures = []
    for t in (full, from_compacted, tracker):  # the same future: no level or breach again, the same answer
        quiet = t.due(minutes(200))
        t.on_response(response("m1", at=minutes(201)))
        published = t.due(minutes(207))
        expired = [o.mention_id for o in t.due(T0 + timedelta(days=4)) if isinstance(o, ExpiredOutput)]
        futures.append((quiet, kinds(published), expired))
    assert futures[0] == futures[1] == futures[2] == ([], ["first_response"], ["m2"])


def test_a_status_without_its_open_mention_is_ignored() -> None:
    rebuilt = replay([(b"status:m9", b'{"fired_level":2,"breach_counted":true,"answer":null}')])
    assert len(rebuilt) == 0
    assert rebuilt.backlog() == {}


def test_restore_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown"):
        PartitionTracker().restore(b"bogus:1", b"{}")


# ------------------------------------------------------------------------------------------ stream clock


def test_stream_clock_runs_on_event_time_and_advances_with_the_wall_clock() -> None:
    wall = [100.0]
    clock = StreamClock(wall=lambda: wall[0])
    assert clock.now() is None

    clock.observe(T0)
    assert clock.now() == T0
    wall[0] = 130.0
    assert clock.now() == T0 + timedelta(seconds=30)

    clock.observe(T0 + timedelta(seconds=10))  # behind the clock: ignored, never goes backwards
    assert clock.now() == T0 + timedelta(seconds=30)
    clock.observe(T0 + timedelta(hours=1))  # replay racing ahead
    assert clock.now() == T0 + timedelta(hours=1)
    wall[0] = 131.5
    assert clock.now() == T0 + timedelta(hours=1, seconds=1.5)


# ---------------------------------------------------------------------- first responses delivered out of order

GRACE = timedelta(minutes=1)


def test_a_reply_sent_earlier_but_delivered_later_is_the_first_response() -> None:
    tracker = PartitionTracker(first_response_grace=GRACE)
    plan = (EscalationLevel(level=1, due_at=minutes(20), notify="lead"),)
    tracker.on_assignment(assignment(sla_due_at=minutes(30), escalations=plan))
    assert tracker.on_response(response(at=minutes(10), responder="late-sent")) == []
    assert tracker.backlog() == {}, "answered at once: out of the backlog"
    assert tracker.oldest_unanswered("care") is None
    assert tracker.due(minutes(10.5)) == [], "held for the grace period"
    tracker.on_response(response(at=minutes(5), responder="sent-first"))  # delivered second
    [published] = first_responses(tracker.due(minutes(10.5)))  # 5 min + grace has passed
    assert (published.record.responder, published.record.seconds_since_created) == ("sent-first", 300.0)
    assert tracker.due(minutes(40)) == [], "no escalation, no breach, no second first response"
    assert tracker.on_response(response(at=minutes(1))) == [], "closed: later replies are ignored"


def test_a_held_first_response_survives_a_restart_and_is_published_once() -> None:
    tracker = PartitionTracker(first_response_grace=GRACE)
    tracker.on_assignment(assignment(sla_due_at=minutes(3)))
    tracker.on_response(response(at=minutes(4)))  # late: a breach, counted when published
    restored = PartitionTracker(first_response_grace=GRACE)
    for key, value in tracker.drain_changes():
        restored.restore(key, value)
    assert restored.backlog() == {}
    out = restored.due(minutes(5))
    [published] = first_responses(out)
    assert published.record.breached
    assert kinds(out).count("breach") == 1
    assert restored.due(minutes(6)) == []


def test_a_response_that_came_before_its_assignment_is_held_the_same_way() -> None:
    tracker = PartitionTracker(first_response_grace=GRACE)
    tracker.on_response(response(at=minutes(8)))
    assert tracker.on_assignment(assignment(sla_due_at=minutes(30))) == []
    tracker.on_response(response(at=minutes(6)))
    [published] = first_responses(tracker.due(minutes(9)))
    assert published.record.responded_at == minutes(6)
    assert len(tracker) == 1, "only the closed id is remembered"


def test_a_tracker_holding_given_up_responses_says_so_until_they_are_returned() -> None:
    """A partition whose store owes outputs is not parked when it moves away (``PartitionStores.park``)."""
    tracker = PartitionTracker(limits=TrackerLimits(open=10, pending=10, closed=10))
    for n in range(6):
        tracker.on_response(response(f"held{n}"))
    assert not tracker.holds_outputs()
    for bound in tracker.bounds.values():
        bound.share(2)
    tracker.enforce_bounds()  # evicts a held response: its dead letter goes out with the next event or timer
    assert tracker.holds_outputs()
    assert [o for o in tracker.due(minutes(2)) if isinstance(o, UnmatchedOutput)]
    assert not tracker.holds_outputs()
