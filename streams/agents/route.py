"""mentions.enriched → mentions.routed.<team>: routing records read back from ``mentions.enriched``.

The worker routes inside the enrich stage (``streams.agents.enrich``); this stage serves
``mention-router reroute``, which decides history again with changed rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from streams.event_time import EventTimeBounds
from streams.metrics import Metrics, RoutedCounter
from streams.routing import RuleSet
from streams.routing.router import Router, utc_now
from streams.runtime.records import InputRecord, Output
from streams.runtime.stage import Stage
from streams.topics import TopicNames


class RoutingStage(Stage):
    """A stage that routes: its ``Router``, the counter of what it routed, and rules swaps that register a
    new version's teams with the metrics before the next record is decided by it."""

    router: Router
    _routed: RoutedCounter
    _metrics: Metrics

    def _start_routing(self, metrics: Metrics, router: Router) -> None:
        self._metrics = metrics
        self.router = router
        self._routed = RoutedCounter(metrics, lambda: self.router.rules)
        metrics.register_teams(router.rules.team_names, router.rules.brands)

    @property
    def rules(self) -> RuleSet:
        return self.router.rules

    def set_rules(self, rules: RuleSet) -> None:
        """Swap in a new rules version; the next record is decided by it (called between batches)."""
        self._metrics.register_teams(rules.team_names, rules.brands)
        self.router.set_rules(rules)


class RouteAgent(RoutingStage):
    name = "route"

    def __init__(
        self,
        topics: TopicNames,
        metrics: Metrics,
        rules: RuleSet,
        redact_text: bool = True,
        rerouting: bool = False,
        now: Callable[[], datetime] = utc_now,
        bounds: EventTimeBounds | None = None,
    ) -> None:
        self.input_topics = (topics.enriched,)
        router = Router(topics, rules, redact_text=redact_text, rerouting=rerouting, now=now, bounds=bounds)
        self._start_routing(metrics, router)

    def handle(self, record: InputRecord, out: list[Output]) -> None:
        assert record.value is not None
        routed = self.router.route_json(record.value, record.timestamp, out)
        self.updates.add(record.partition, self._routed.count, *routed, record.timestamp)
