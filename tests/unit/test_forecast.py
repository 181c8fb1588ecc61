"""SLA breach forecast: the model on plain values, and the tracker's answer rate kept in its changelog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from schemas import Response
from streams.agents.track import TrackAgent
from streams.metrics import Metrics
from streams.partitioning import kafka_partition, response_key
from streams.runtime.records import Output, Record
from streams.topics import TopicNames
from streams.tracking import PartitionTracker
from streams.tracking.forecast import AnswerRate, SlaClocks, merge_rates
from tests.unit.test_tracker import assignment

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
MIN = 60.0


def breach_forecast(clocks: list[tuple[str, str, float]], rates: dict[str, float]) -> dict[tuple[str, str, str], int]:
    """The forecast of (team, band, seconds until due) clocks all read now."""
    gathered = SlaClocks()
    gathered.add_due(clocks, now=0.0, at=0.0)
    return gathered.forecast(rates, at=0.0)


def test_no_answers_means_every_mention_due_within_the_horizon_breaches() -> None:
    clocks = [
        ("care", "high", 5 * MIN),
        ("care", "high", 20 * MIN),
        ("care", "low", 50 * MIN),
        ("care", "low", 2 * 3600),
    ]
    assert breach_forecast(clocks, {"care": 0.0}) == {
        ("care", "high", "15m"): 1,
        ("care", "high", "60m"): 2,
        ("care", "low", "60m"): 1,
    }


def test_answers_in_due_order_at_the_recent_rate() -> None:
    # One answer a minute. Due in 0.5, 1.5, 2.5, 2.6 minutes: answered at 1, 2, 3, 4 minutes: all four late.
    # Due in 5, 10: answered at 5 (in time: exactly at the due time), 6 (in time).
    clocks = [("care", "urgent", left * MIN) for left in (2.6, 0.5, 1.5, 2.5, 5, 10)]
    assert breach_forecast(clocks, {"care": 1 / MIN}) == {("care", "urgent", "15m"): 4, ("care", "urgent", "60m"): 4}
    # Overdue mentions are answered first: two overdue push the one due in 1.5 minutes past its due time.
    overdue = [("care", "high", -MIN), ("care", "high", -2 * MIN), ("care", "high", 2.5 * MIN)]
    assert breach_forecast(overdue, {"care": 1 / MIN}) == {("care", "high", "15m"): 1, ("care", "high", "60m"): 1}
    # A fast team answers everything in time.
    assert breach_forecast(clocks, {"care": 10 / MIN}) == {}


def test_teams_are_forecast_apart_and_an_unknown_rate_gives_no_forecast() -> None:
    clocks = [("care", "normal", MIN), ("vip", "normal", MIN), ("billing", "normal", MIN)]
    found = breach_forecast(clocks, {"care": 0.0, "vip": 1.0})
    assert found == {("care", "normal", "15m"): 1, ("care", "normal", "60m"): 1}
    assert merge_rates([{"care": 0.5}, {"care": 0.25, "vip": 1.0}, {}]) == {"care": 0.75, "vip": 1.0}


def test_clocks_read_at_different_moments_forecast_as_if_read_at_once() -> None:
    """A pass over a large backlog reads its open mentions a part at a time: each clock with the wall time it was
    read at. Read 0, 40 and 100 s into the pass, then forecast 100 s in: as the clocks all read at 100 s."""
    clocks = [("care", "urgent", left * MIN) for left in (2.6, 0.5, 1.5, 2.5, 5, 10)] + [("care", "low", -MIN)]
    at_once = breach_forecast([(t, b, left - 100) for t, b, left in clocks], {"care": 1 / MIN})
    gathered = SlaClocks()
    for n, clock in enumerate(clocks):
        at = (0.0, 40.0, 100.0)[n % 3]
        gathered.add_due([clock], now=at, at=at)  # due ``left`` s after T0 on the stream clock, read ``at`` s in
    assert gathered.forecast({"care": 1 / MIN}, at=100.0) == at_once
    assert at_once == {("care", "urgent", "15m"): 3, ("care", "urgent", "60m"): 3}  # 3 overdue first, then 4
    # A mention the pass read as overdue stays overdue; one due after the longest horizon ranks after all others.
    far = SlaClocks()
    assert far.add_due([("care", "low", 3 * 3600), ("care", "high", MIN)], now=0.0, at=0.0) == 2
    assert far.forecast({"care": 0.0}, at=0.0) == {("care", "high", "15m"): 1, ("care", "high", "60m"): 1}


def test_answer_rate_counts_the_last_fifteen_minutes_and_needs_a_minute_of_history() -> None:
    rate = AnswerRate()
    rate.observe(T0)
    assert rate.rates(T0 + timedelta(seconds=30), ["care"]) == {}  # under a minute observed: unknown
    for minute in range(30):
        rate.add("care", T0 + timedelta(minutes=minute, seconds=10))
    now = T0 + timedelta(minutes=29, seconds=30)
    per_second = rate.rates(now, ["care", "vip"])
    assert per_second["vip"] == 0.0
    assert abs(per_second["care"] * MIN - 1.0) < 0.07  # one a minute, over 14.5 minutes of buckets
    assert rate.prune(now)
    restored = AnswerRate.from_json(rate.to_json())
    assert restored.rates(now, ["care"]) == rate.rates(now, ["care"])
    early = AnswerRate()
    early.observe(T0)
    early.add("care", T0 + timedelta(minutes=1))
    early.add("care", T0 + timedelta(minutes=1, seconds=30))
    assert abs(early.rates(T0 + timedelta(minutes=2), ["care"])["care"] * 120 - 2) < 1e-9  # over 2 minutes, not 15


def test_the_tracker_feeds_the_forecast_and_keeps_the_rate_across_a_restore() -> None:
    tracker = PartitionTracker()
    for n in range(10):
        a = assignment(f"m{n}", created_at=T0 + timedelta(minutes=n), sla_due_at=T0 + timedelta(minutes=n + 30))
        tracker.on_assignment(a)
    for n in range(5):  # five answered, one a minute
        response = Response(mention_id=f"m{n}", team="care", responder="a", responded_at=T0 + timedelta(minutes=n + 10))
        tracker.on_response(response)
    now = T0 + timedelta(minutes=15)
    due = tracker.sla_due()
    assert sorted(due_at - now.timestamp() for _, _, due_at in due) == [(n + 15) * MIN for n in range(5, 10)]
    rates = tracker.answer_rates(now, ["care"])
    assert rates["care"] > 0
    rebuilt = PartitionTracker()
    for key, value in tracker.drain_changes():
        rebuilt.restore(key, value)
    assert rebuilt.answer_rates(now, ["care"]) == rates
    assert sorted(rebuilt.sla_due()) == sorted(tracker.sla_due())


def test_the_track_stage_exports_the_forecast_per_team_band_and_horizon() -> None:
    metrics = Metrics(CollectorRegistry())
    topics = TopicNames()
    wall = [0.0]
    agent = TrackAgent(topics, metrics, teams=["care", "vip"], wall=lambda: wall[0])
    agent.partitions_assigned({0}, 1)
    out: list[Output] = []
    for n in range(4):  # due 20, 21, 22, 23 minutes after T0
        a = assignment(f"m{n}", created_at=T0, sla_due_at=T0 + timedelta(minutes=20 + n), priority_band="urgent")
        agent.handle(Record(topics.assignments, 0, n, 0, b"k", a.model_dump_json().encode()), out)
    sample = metrics.registry.get_sample_value
    agent.after_ticks()
    urgent_15m = {"team": "care", "priority": "urgent", "horizon": "15m"}
    assert sample("mention_router_sla_breach_forecast", urgent_15m) is None  # under a minute observed
    late = Response(mention_id="m0", team="care", responder="a", responded_at=T0 + timedelta(minutes=10))
    agent.handle(Record(topics.responses, 0, 9, 0, b"k", late.model_dump_json().encode()), out)
    wall[0] += 10  # past the refresh interval; the stream clock is now T0 + 10 minutes
    agent.after_ticks()
    # One answer in ten minutes: the three open mentions, due in 11-13 minutes, cannot all be answered in time.
    assert sample("mention_router_sla_breach_forecast", urgent_15m) == 2
    assert sample("mention_router_sla_breach_forecast", {"team": "care", "priority": "urgent", "horizon": "60m"}) == 2
    assert sample("mention_router_sla_breach_forecast", {"team": "vip", "priority": "low", "horizon": "60m"}) == 0


def test_a_large_backlog_is_read_a_step_per_timer_round_and_published_when_read() -> None:
    """The pass over the open mentions reads ``forecast_step`` of them per timer round: the event loop is not held
    for a whole backlog at once. The gauge changes only once every open mention was read; a revocation drops the
    pass (it read partitions this worker may no longer own) and the next one starts over."""
    metrics = Metrics(CollectorRegistry())
    topics = TopicNames()
    wall = [0.0]
    agent = TrackAgent(topics, metrics, teams=["care"], wall=lambda: wall[0], forecast_every=5.0, forecast_step=3)
    agent.partitions_assigned({0, 1}, 2)
    out: list[Output] = []
    partition_of = {f"m{n}": kafka_partition(response_key(f"m{n}"), 2) for n in range(8)}
    for n in range(8):  # due 20 minutes after T0, in their key's partition of two
        a = assignment(f"m{n}", created_at=T0, sla_due_at=T0 + timedelta(minutes=20), priority_band="urgent")
        agent.handle(Record(topics.assignments, partition_of[f"m{n}"], n, 0, b"k", a.model_dump_json().encode()), out)
    answered = Response(mention_id="m0", team="care", responder="a", responded_at=T0 + timedelta(minutes=10))
    value = answered.model_dump_json().encode()
    agent.handle(Record(topics.responses, partition_of["m0"], 9, 0, b"k", value), out)
    assert [o.topic for o in out] == [topics.response_times], "the response met its assignment"
    urgent_15m = {"team": "care", "priority": "urgent", "horizon": "15m"}
    urgent_60m = {**urgent_15m, "horizon": "60m"}
    sample = metrics.registry.get_sample_value
    rounds = 0
    while sample("mention_router_sla_breach_forecast", urgent_15m) is None:
        agent.after_ticks()
        rounds += 1
        assert rounds < 10
    # One answer in ten minutes. m0's partition (clock at its answer) has three open, due in 10 minutes: answered at
    # 10, 20 and 30 minutes, two late. The other partition's clock is still at T0: its four, due in 20 minutes, come
    # after them and are all late, within the hour.
    assert sample("mention_router_sla_breach_forecast", urgent_15m) == 2
    assert sample("mention_router_sla_breach_forecast", urgent_60m) == 6
    assert rounds == 3, "7 open mentions, 3 a round"
    wall[0] += 5
    agent.after_ticks()  # a new pass: its first step
    agent.partitions_revoked({1 - partition_of["m0"]})
    for _ in range(3):
        agent.after_ticks()  # no new pass before the interval, and the dropped one publishes nothing
    assert sample("mention_router_sla_breach_forecast", urgent_60m) == 6
    wall[0] += 5
    for _ in range(3):
        agent.after_ticks()
    # Only the partition kept, 10 s later: its three, due in 9:50 at one answer in 10:10, are all late.
    assert sample("mention_router_sla_breach_forecast", urgent_60m) == 3
