"""What the demo and the bench count as a raw record that reached its one final place."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from streams.metrics import Metrics
from streams.scrape import accounted, parse


def test_escalation_reroutes_and_track_dead_letters_are_not_counted_twice() -> None:
    metrics = Metrics(CollectorRegistry())
    for _ in range(5):  # the enrich stage handled five records: four enriched and routed, one dead-lettered
        metrics.stage_seconds.labels(stage="enrich").observe(0.0001)
    metrics.routed.labels(team="care", priority="normal", brand="other").inc(4)
    metrics.dead_letters.labels(stage="enrich", reason="schema_violation").inc()
    metrics.duplicates.labels(kind="exact").inc(3)
    metrics.dead_letters.labels(stage="dedupe", reason="undecodable").inc(2)
    # The same mentions again: an escalation re-route to the next team, a bad assignment in the track stage.
    metrics.routed.labels(team="vip", priority="urgent", brand="other").inc(2)
    metrics.dead_letters.labels(stage="track", reason="schema_violation").inc()
    snapshot = parse(generate_latest(metrics.registry).decode())
    assert accounted(snapshot) == 5 + 3 + 2
