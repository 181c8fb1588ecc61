"""mentions.assignments + mentions.responses → response times, SLA breaches, escalations, backlog.

Both inputs are keyed by mention id and co-partitioned, so partition p's tracker sees every
assignment and response of its mentions. A response that another producer put in a different
partition is moved to the stage's repartition topic first. State lives in one PartitionTracker per
owned partition, restored from the changelog on assignment and dropped on revocation, so the
backlog gauges summed over workers count every open mention exactly once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice

from schemas import Assignment, DeadLetterReason, Response, RoutedMention
from streams.event_time import EventTimeBounds
from streams.metrics import OTHER_BRAND, LabelledChildren, Metrics
from streams.partitioning import kafka_partition, response_key
from streams.routing import RuleSet
from streams.routing.router import conversation_key
from streams.routing.ruleset import PRIORITY_BANDS, priority_band
from streams.runtime.dead_letters import dead_letter, dead_letter_output
from streams.runtime.records import InputRecord, Output, Record
from streams.runtime.stage import PartitionStores, Stage
from streams.state_bounds import UnknownReferenceError
from streams.topics import TopicNames
from streams.tracking.forecast import HORIZONS, SlaClocks, merge_rates
from streams.tracking.tracker import (
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
    rerouted,
)

logger = logging.getLogger(__name__)

# The forecast is one pass over the open mentions: every few seconds is fresh enough for 15- and 60-minute horizons.
FORECAST_EVERY_SECONDS = 5.0
# Open mentions the forecast's pass reads per timer round (~1 µs each): a backlog of 200,000 read in one go held
# the event loop, and every stage of the worker, ~300 ms every 5 s.
FORECAST_STEP_MENTIONS = 5_000
OTHER_TEAM = "other"  # the label of any team the rules do not name: records cannot create metric series


class TrackAgent(Stage):
    name = "track"
    has_timers = True

    def __init__(
        self,
        topics: TopicNames,
        metrics: Metrics,
        teams: Iterable[str] = (),
        brands: Iterable[str] = (),
        wall: Callable[[], float] = time.monotonic,
        bounds: EventTimeBounds | None = None,
        first_response_grace: timedelta = timedelta(0),
        limits: TrackerLimits | None = None,
        forecast_every: float = FORECAST_EVERY_SECONDS,
        forecast_step: int = FORECAST_STEP_MENTIONS,
    ) -> None:
        limits = limits or TrackerLimits()
        self._bounds = bounds or EventTimeBounds()
        self._assignments_topic = topics.assignments
        self._responses_topic = topics.responses
        self._repartition_topic = topics.repartition("track")
        self.input_topics = (topics.assignments, topics.responses, self._repartition_topic)
        self.external_topics = (topics.responses,)
        self.changelog_topic = topics.changelog("track")
        self._topics = topics
        self._metrics = metrics
        # Children looked up per record, cached (label order as in streams.metrics).
        self._responses = LabelledChildren(metrics.responses)  # team, kind
        self._first_response = LabelledChildren(metrics.first_response)  # team, priority, brand
        self._escalations = LabelledChildren(metrics.escalations)  # team, brand
        self._breaches = LabelledChildren(metrics.sla_breaches)  # team, priority, brand
        self._routed = LabelledChildren(metrics.routed)  # team, priority, brand
        self._wall = wall
        self._trackers = PartitionStores(
            self.changelog_topic,
            lambda: PartitionTracker(limits=limits, first_response_grace=first_response_grace),
            metrics,
            self.name,
        )
        self._clocks: dict[int, StreamClock] = {}
        self._partition_count = 0
        self._teams = frozenset(teams)  # the rules' teams and `brands`: bounded labels, anything else is "other"
        self._brands = frozenset(brands)
        unknown = DeadLetterReason.UNKNOWN_REFERENCE.value
        self._dead_letters = metrics.dead_letters.labels(stage=self.name, reason=unknown)
        self._reported: set[tuple[str, str]] = set()
        self._reported_teams: set[str] = set()
        self._forecast_every = forecast_every
        self._forecast_at: float | None = None
        self._forecast_step = forecast_step
        self._forecast_pass: _ForecastPass | None = None  # the pass under way, read a step per timer round
        self._forecast_reported: set[tuple[str, str, str]] = set()

    # ------------------------------------------------------------------------------------------ records

    def handle(self, record: InputRecord, out: list[Output]) -> None:
        assert record.value is not None
        partition = record.partition
        if record.topic == self._assignments_topic:
            assignment = Assignment.model_validate_json(record.value)
            self._bounds.check(assignment.created_at, "created_at")
            if assignment.team not in self._teams:  # its label, backlog and escalation plan would be unknown
                raise UnknownReferenceError("the assignment names a team the rules do not have")
            tracker, clock = self._state(partition)
            clock.observe(assignment.created_at)
            self._emit(partition, tracker.on_assignment(assignment, record.value), out)
            return
        response = Response.model_validate_json(record.value)
        self._bounds.check(response.responded_at, "responded_at")
        key = response_key(response.mention_id)
        if record.topic == self._responses_topic and self._partition_count:
            expected = kafka_partition(key, self._partition_count)
            if expected != partition:  # written with another partitioner: move it where its assignment is
                out.append(Output(self._repartition_topic, key, record.value, record.timestamp, expected))
                return
        self.updates.add(partition, self._responses(self._team(response.team), response.kind.value).inc)
        tracker, clock = self._state(partition)
        clock.observe(response.responded_at)
        source = Source(record.topic, record.partition, record.offset, record.timestamp, len(record.value))
        self._emit(partition, tracker.on_response(response, source), out)

    def end_batch(self, partition: int, out: list[Output]) -> None:
        self._trackers.drain(partition, out)

    def tick(self, partition: int, out: list[Output], limit: int | None = None) -> bool:
        """Fire the partition's due escalations, breaches and expiries on its stream clock."""
        clock = self._clocks.get(partition)
        now = clock.now() if clock is not None else None
        if now is None:
            return False
        tracker = self._trackers[partition]
        self._emit(partition, tracker.due(now, limit), out)
        return tracker.has_due(now)

    def after_ticks(self) -> None:
        self._refresh_gauges()

    # ------------------------------------------------------------------------------------- partitions

    def restore(self, partition: int, key: bytes, value: bytes | None) -> None:
        self._trackers.restore(partition, key, value)

    def partitions_assigned(self, partitions: set[int], partition_count: int) -> None:
        self._partition_count = partition_count
        self._trackers.assigned(partitions, partition_count)
        for partition in partitions:
            tracker, clock = self._state(partition)
            if tracker.watermark is not None and self._bounds.accepts(tracker.watermark):  # not a poisoned one
                clock.observe(tracker.watermark)

    def partitions_revoked(self, partitions: set[int]) -> None:
        self._trackers.revoked(partitions)
        for partition in partitions:
            self._clocks.pop(partition, None)
        self._forecast_pass = None  # it read partitions that are no longer this worker's
        self._refresh_gauges()

    def partitions_parked(self, partitions: set[int]) -> None:
        self._trackers.park(partitions)
        for partition in partitions:
            self._clocks.pop(partition, None)  # set again from the tracker's watermark when it comes back
        self._forecast_pass = None
        self._refresh_gauges()

    def partitions_unparked(self, partitions: set[int]) -> set[int]:
        return self._trackers.unpark(partitions)

    # -------------------------------------------------------------------------------------- internals

    def _state(self, partition: int) -> tuple[PartitionTracker, StreamClock]:
        clock = self._clocks.get(partition)
        if clock is None:
            clock = self._clocks[partition] = StreamClock(self._wall)
        return self._trackers[partition], clock

    def _emit(self, partition: int, outputs: list[TrackerOutput], out: list[Output]) -> None:
        for item in outputs:
            if isinstance(item, FirstResponseOutput):
                record = item.record
                key = response_key(record.mention_id)
                value = record.model_dump_json().encode()
                out.append(Output(self._topics.response_times, key, value, schema="first_response"))
                brand = self._brand(record.brand_account)
                histogram = self._first_response(self._team(record.team), record.priority_band, brand)
                self.updates.add(partition, histogram.observe, max(0.0, record.seconds_since_created))
            elif isinstance(item, EscalationOutput):
                escalation = item.record
                out.append(
                    Output(self._topics.escalations, response_key(escalation.mention_id),
                           escalation.model_dump_json().encode(), schema="escalation")
                )  # fmt: skip
                escalated = self._escalations(self._team(escalation.from_team), self._brand(escalation.brand_account))
                self.updates.add(partition, escalated.inc)
            elif isinstance(item, RerouteOutput):
                self._reroute(item, out)
            elif isinstance(item, BreachOutput):
                brand = self._brand(item.brand_account)
                self.updates.add(partition, self._breaches(self._team(item.team), item.priority_band, brand).inc)
            elif isinstance(item, UnmatchedOutput):
                out.append(self._unmatched(item))
                self.updates.add(partition, self._dead_letters.inc)
            elif isinstance(item, ExpiredOutput):
                logger.info(
                    "mention unanswered after the tracking horizon; no longer in the backlog (team=%s)", item.team
                )

    def _unmatched(self, item: UnmatchedOutput) -> Output:
        """A response given up: one dead letter naming where it came from (the record as held, re-encoded)."""
        key = response_key(item.response.mention_id)
        value = item.response.model_dump_json().encode()
        source = item.source or Source(self._responses_topic, -1, -1, None, len(value))
        record = Record(source.topic, source.partition, source.offset, source.timestamp_ms or 0, key, value)
        logger.warning("dead letter: stage=%s topic=%s partition=%d offset=%d reason=unknown_reference",
                       self.name, source.topic, source.partition, source.offset)  # fmt: skip
        letter = dead_letter(record, self.name, UnknownReferenceError(item.why))
        return dead_letter_output(self._topics.dlq, letter, key)

    def _reroute(self, item: RerouteOutput, out: list[Output]) -> None:
        if item.routed_record is None:
            logger.warning("escalation level %d wants a re-route to %s but the assignment has no record", item.level,
                           item.to_team)  # fmt: skip
            return
        moved = rerouted(
            RoutedMention.model_validate_json(item.routed_record),
            item.to_team,
            at=datetime.now(UTC),  # when it was put in front of the next team
            level=item.level,
            from_team=item.from_team,
        )
        value = moved.model_dump_json().encode()
        out.append(
            Output(self._topics.routed(item.to_team), conversation_key(moved.mention), value, schema="routed_mention")
        )
        brand = self._brand(moved.mention.brand_account)
        self._routed(self._team(item.to_team), priority_band(moved.route.priority), brand).inc()

    def set_rules(self, rules: RuleSet) -> None:
        """A reloaded rules file: its teams and brands are the label values from now on."""
        self._teams = frozenset(rules.team_names)
        self._brands = frozenset(rules.brands)

    def _team(self, team: str) -> str:
        return team if team in self._teams else OTHER_TEAM

    def _brand(self, brand_account: str) -> str:
        return brand_account if brand_account in self._brands else OTHER_BRAND

    def _refresh_gauges(self) -> None:
        backlog: dict[tuple[str, str], int] = {}
        oldest: dict[str, float] = {}
        for partition, tracker in self._trackers:
            for (team, band), count in tracker.backlog().items():
                key = (self._team(team), band)
                backlog[key] = backlog.get(key, 0) + count
            clock = self._clocks.get(partition)
            now = clock.now() if clock is not None else None
            if now is None:
                continue
            for team in tracker.teams():
                created = tracker.oldest_unanswered(team)
                if created is not None:
                    label = self._team(team)
                    oldest[label] = max(oldest.get(label, 0.0), (now - created).total_seconds())
        metrics = self._metrics
        for team, band in self._reported - set(backlog):
            metrics.backlog.labels(team=team, priority=band).set(0)
        for (team, band), count in backlog.items():
            metrics.backlog.labels(team=team, priority=band).set(count)
        for team in self._reported_teams - set(oldest):
            metrics.oldest_unanswered.labels(team=team).set(0)
        for team, seconds in oldest.items():
            metrics.oldest_unanswered.labels(team=team).set(max(0.0, seconds))
        self._reported = set(backlog)
        self._reported_teams = set(oldest)
        wall = self._wall()
        if self._forecast_pass is None and (
            self._forecast_at is None or wall - self._forecast_at >= self._forecast_every
        ):
            self._forecast_at = wall
            self._forecast_pass = self._start_forecast()
        if self._forecast_pass is not None and self._step_forecast(self._forecast_pass):
            self._forecast_pass = None
        metrics.state_keys.labels(stage=self.name).set(self._trackers.size())

    def _start_forecast(self) -> _ForecastPass:
        sources = [(clock, tracker.sla_due()) for partition, tracker in self._trackers
                   if (clock := self._clocks.get(partition)) is not None and clock.now() is not None]  # fmt: skip
        return _ForecastPass(SlaClocks(HORIZONS), sources)

    def _step_forecast(self, run: _ForecastPass) -> bool:
        """Read up to ``forecast_step`` more open mentions; once all are read, publish. True when the pass is over."""
        budget = self._forecast_step
        while run.sources and budget > 0:
            clock, due_times = run.sources[0]
            now, at = clock.now(), self._wall()
            assert now is not None  # a clock never goes back to unset
            read = run.clocks.add_due(islice(due_times, budget), now.timestamp(), at)
            if read < budget:
                run.sources.pop(0)  # that partition is read
            budget -= read
        if run.sources:
            return False
        self._publish_forecast(run.clocks)
        return True

    def _publish_forecast(self, clocks: SlaClocks) -> None:
        """mention_router_sla_breach_forecast: every team, band and horizon once this worker knows an answer rate."""
        rates: list[dict[str, float]] = []
        for partition, tracker in self._trackers:
            clock = self._clocks.get(partition)
            now = clock.now() if clock is not None else None
            if now is not None:
                rates.append(tracker.answer_rates(now, self._teams))
        known = merge_rates(rates)
        if not known:
            return  # nothing observed for a minute yet: no forecast, rather than "every mention breaches"
        gauge = self._metrics.sla_breach_forecast
        labelled: dict[tuple[str, str, str], int] = {
            (team, band, horizon): 0 for team in known for band in PRIORITY_BANDS for horizon in HORIZONS
        }
        for (team, band, horizon), count in clocks.forecast(known, at=self._wall()).items():
            key = (self._team(team), band, horizon)
            labelled[key] = labelled.get(key, 0) + count
        for team, band, horizon in self._forecast_reported - set(labelled):
            gauge.labels(team=team, priority=band, horizon=horizon).set(0)
        for (team, band, horizon), count in labelled.items():
            gauge.labels(team=team, priority=band, horizon=horizon).set(count)
        self._forecast_reported = set(labelled)


@dataclass(slots=True)
class _ForecastPass:
    clocks: SlaClocks
    sources: list[tuple[StreamClock, Iterator[tuple[str, str, float]]]]  # per partition, its clock and its rest
