"""Prometheus metrics on the router's own registry (names and units per field notes §4).

Every label is bounded: channels, duplicate kinds, stages and dead-letter reasons are enums,
teams come from the rules file, and priority is exported as a band, never a raw number or id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

from schemas import Channel, DeadLetterReason, DuplicateKind
from streams import __version__
from streams.routing.ruleset import PRIORITY_BANDS, RuleSet  # one definition, in the pure module
from streams.settings import STAGES

logger = logging.getLogger(__name__)

OTHER_BRAND = "other"  # brand label of accounts the rules file does not list under `brands`
# Per-event processing: microseconds to a tenth of a second.
STAGE_BUCKETS = (1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 0.1)
# First response: ten seconds to a week (brands average 10-24 h; customers expect under an hour).
FIRST_RESPONSE_BUCKETS = (10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800)
# Ingest to routed: a millisecond to a minute.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


_M = TypeVar("_M", Counter, Gauge, Histogram)


class LabelledChildren(Generic[_M]):
    """``metric.labels(*values)``, remembered per label values (values in the metric's label order).

    ``.labels()`` checks its arguments and takes a lock on every call (~1-3 µs); stages that count
    per record look children up here instead. Label values are bounded, and past ``max_size``
    distinct ones it stops remembering (still correct, just not cached). A child removed from the
    metric (``clear()``/``remove()``) would no longer be exported: not for metrics that do that.
    """

    __slots__ = ("_children", "_max_size", "_metric")

    def __init__(self, metric: _M, max_size: int = 10_000) -> None:
        self._metric: _M = metric
        self._children: dict[tuple[str, ...], _M] = {}
        self._max_size = max_size

    def __call__(self, *values: str) -> _M:
        child = self._children.get(values)
        if child is None:
            child = self._metric.labels(*values)
            if len(self._children) < self._max_size:
                self._children[values] = child
        return child


class Metrics:
    """All of the router's metrics, registered on a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        ProcessCollector(registry=r)  # process_resident_memory_bytes, process_cpu_seconds_total, ...
        self.build_info = Gauge("mention_router_build_info", "Build metadata; always 1.", ["version"], registry=r)
        self.build_info.labels(version=__version__).set(1)
        self.ingested = Counter(
            "mention_router_mentions_ingested",
            "Valid mentions read from the raw topic, by channel.",
            ["channel"],
            registry=r,
        )
        self.duplicates = Counter(
            "mention_router_duplicates", "Mentions merged into an earlier one, by kind.", ["kind"], registry=r
        )
        self.routed = Counter(
            "mention_router_routed",
            "Mentions published to a team topic, by team, priority band and brand (rules file `brands`, else other).",
            ["team", "priority", "brand"],
            registry=r,
        )
        self.dead_letters = Counter(
            "mention_router_dead_letters",
            "Records sent to the dead-letter topic, by stage and reason.",
            ["stage", "reason"],
            registry=r,
        )
        self.enricher_failures = Counter(
            "mention_router_enricher_failures",
            "Enrichers that failed on a mention and fell back to 'unknown'.",
            ["enricher"],
            registry=r,
        )
        self.stage_seconds = Histogram(
            "mention_router_stage_seconds",
            "Processing time of one record in a stage (decode, logic, encode).",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.gc_pauses = Histogram(
            "mention_router_gc_pause_seconds",
            "Time the worker stood still in a garbage collection, by generation (2: a full collection).",
            ["generation"],
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=r,
        )
        self.loop_lag = Histogram(
            "mention_router_event_loop_lag_seconds",
            "How much later than asked the worker's event loop woke a 100 ms sleeper: what every stage waited.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=r,
        )
        self.pipeline_latency = Histogram(
            "mention_router_pipeline_latency_seconds",
            "Time from a mention entering the raw topic to its routing decision.",
            ["team"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_records = Histogram(
            "mention_router_batch_records",
            "Records per batch a stage processed.",
            ["stage"],
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 5000),
            registry=r,
        )
        self.commits = Counter(
            "mention_router_offset_commits",
            "Commits of a batch's input offsets: one transaction round (exactly_once), or an offset commit after "
            "the outputs were acknowledged (at_least_once).",
            ["stage"],
            registry=r,
        )
        self.state_restore_errors = Counter(
            "mention_router_state_restore_errors",
            "Changelog records that could not be restored and were skipped (logged with their offset).",
            ["stage"],
            registry=r,
        )
        self.transaction_aborts = Counter(
            "mention_router_transaction_aborts",
            "Input partitions rolled back by an aborted transaction or a failed batch (state restored, input re-read).",
            ["stage"],
            registry=r,
        )
        self.assigned_partitions = Gauge(
            "mention_router_assigned_partitions",
            "Input partitions this worker's stage currently owns (0 while rebalancing).",
            ["stage"],
            registry=r,
        )
        self.rebalances = Counter(
            "mention_router_rebalances",
            "Partition assignments a stage received (one per rebalance).",
            ["stage"],
            registry=r,
        )
        self.last_commit = Gauge(
            "mention_router_last_commit_timestamp_seconds",
            "Unix time of a stage's last successful offset commit on this worker.",
            ["stage"],
            registry=r,
        )
        self.customers = Gauge(
            "mention_router_customers", "Authors in this worker's copy of the customers table.", registry=r
        )
        self.customer_updates = Counter(
            "mention_router_customer_updates", "Customer records applied to the customers table.", registry=r
        )
        self.dedupe_keys = Gauge(
            "mention_router_dedupe_state_keys", "Keys held in the dedupe window on this worker.", registry=r
        )
        self.state_keys = Gauge(
            "mention_router_state_keys", "Keys in a stateful stage's per-partition state on this worker.", ["stage"],
            registry=r,
        )  # fmt: skip
        self.state_size = Gauge(
            "mention_router_state_size",
            "Size of a bounded part of a stage's state on this worker: entries, or bytes for a store named *_bytes.",
            ["stage", "store"],
            registry=r,
        )
        self.state_size_limit = Gauge(
            "mention_router_state_size_limit",
            "The worker's limit for that part of the state (each partition holds limit / partitions).",
            ["stage", "store"],
            registry=r,
        )
        self.state_evictions = Counter(
            "mention_router_state_evictions",
            "Entries evicted, or records refused (dead letter state_full), because a part of the state was full.",
            ["stage", "store"],
            registry=r,
        )
        self.state_restore_seconds = Histogram(
            "mention_router_state_restore_seconds",
            "Time to restore newly assigned partitions' state from the changelog.",
            ["stage"],
            buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0),
            registry=r,
        )
        self.state_resumed_partitions = Counter(
            "mention_router_state_resumed_partitions",
            "Partitions assigned back to a worker that kept their state when they moved away: only the changelog "
            "written since was restored.",
            ["stage"],
            registry=r,
        )
        self.waves_open = Gauge("mention_router_waves_open", "Waves of near-identical mentions open now.", registry=r)
        self.waves = Counter("mention_router_waves", "Waves of near-identical mentions opened.", registry=r)
        self._add_tracking_metrics(r)
        self._create_known_children()

    def _add_tracking_metrics(self, r: CollectorRegistry) -> None:
        self.first_response = Histogram(
            "mention_router_first_response_seconds",
            "Time from a mention being posted (event time) to its first response.",
            ["team", "priority", "brand"],
            buckets=FIRST_RESPONSE_BUCKETS,
            registry=r,
        )
        self.sla_breaches = Counter(
            "mention_router_sla_breaches",
            "Mentions whose first response came after their SLA due time, or never came by it.",
            ["team", "priority", "brand"],
            registry=r,
        )
        self.backlog = Gauge(
            "mention_router_backlog",
            "Routed mentions not yet answered, in the partitions this worker owns.",
            ["team", "priority"],
            registry=r,
        )
        self.oldest_unanswered = Gauge(
            "mention_router_oldest_unanswered_seconds",
            "Age of the oldest unanswered mention per team, in the partitions this worker owns.",
            ["team"],
            registry=r,
        )
        self.sla_breach_forecast = Gauge(
            "mention_router_sla_breach_forecast",
            "Open mentions that will miss their SLA within the horizon if the team keeps its answer rate of the "
            "last 15 minutes (answering in due order), in the partitions this worker owns.",
            ["team", "priority", "horizon"],
            registry=r,
        )
        self.escalations = Counter(
            "mention_router_escalations",
            "Escalations fired, by the team that missed its SLA.",
            ["team", "brand"],
            registry=r,
        )
        self.responses = Counter(
            "mention_router_responses", "Responses read from the responses topic.", ["team", "kind"], registry=r
        )
        self.rules_info = Gauge(
            "mention_router_rules_info", "The rules version deciding routes now; always 1.", ["version"], registry=r
        )
        self.rules_reloads = Counter(
            "mention_router_rules_reloads", "Rules file reloads, by result (ok or error).", ["result"], registry=r
        )
        for result in ("ok", "error"):
            self.rules_reloads.labels(result=result)

    def _create_known_children(self) -> None:
        # Known label values are created up front so series exist (at 0) before the first event.
        for channel in Channel:
            self.ingested.labels(channel=channel.value)
        for kind in DuplicateKind:
            self.duplicates.labels(kind=kind.value)
        for stage in STAGES:
            self.stage_seconds.labels(stage=stage)
            self.batch_records.labels(stage=stage)
            self.commits.labels(stage=stage)
            self.transaction_aborts.labels(stage=stage)
            self.state_restore_errors.labels(stage=stage)
            self.rebalances.labels(stage=stage)
            for reason in DeadLetterReason:
                self.dead_letters.labels(stage=stage, reason=reason.value)

    def register_teams(self, teams: Iterable[str], brands: Iterable[str] = ()) -> None:
        brand_labels = (*brands, OTHER_BRAND)
        for team in teams:
            self.pipeline_latency.labels(team=team)
            for band in PRIORITY_BANDS:
                for brand in brand_labels:
                    self.routed.labels(team=team, priority=band, brand=brand)


class RoutedCounter:
    """``mention_router_routed_total{team,priority,brand}`` and the ingest→routed latency per team.

    In a worker ``count`` is called through the stage's ``updates`` (``streams.runtime.updates``), so a mention
    counts when its routing commits and a batch read again after a rollback is not counted twice.
    """

    def __init__(self, metrics: Metrics, rules: Callable[[], RuleSet]) -> None:
        self._routed = LabelledChildren(metrics.routed)
        self._latency = LabelledChildren(metrics.pipeline_latency)
        self._rules = rules

    def count(self, team: str, band: str, brand_account: str, ingested_ms: int | None) -> None:
        self._routed(team, band, self._rules().brand_label(brand_account)).inc()
        if ingested_ms is not None:
            self._latency(team).observe(max(0.0, time.time() - ingested_ms / 1000))
