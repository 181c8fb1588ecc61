"""LabelledChildren: the cached ``metric.labels(...)`` the per-record stages use."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from streams.metrics import LabelledChildren, Metrics


def test_a_cached_child_is_the_metrics_own_child_and_counts_there() -> None:
    metrics = Metrics(CollectorRegistry())
    routed = LabelledChildren(metrics.routed)
    routed("care", "urgent", "acme").inc()
    routed("care", "urgent", "acme").inc(2)
    routed("vip", "low", "other").inc()
    assert routed("care", "urgent", "acme") is metrics.routed.labels(team="care", priority="urgent", brand="acme")
    sample = metrics.registry.get_sample_value
    assert sample("mention_router_routed_total", {"team": "care", "priority": "urgent", "brand": "acme"}) == 3
    assert sample("mention_router_routed_total", {"team": "vip", "priority": "low", "brand": "other"}) == 1


def test_past_its_bound_it_stops_remembering_but_still_counts() -> None:
    metrics = Metrics(CollectorRegistry())
    responses = LabelledChildren(metrics.responses, max_size=2)
    for team in ("a", "b", "c", "c"):
        responses(team, "reply").inc()
    assert len(responses._children) == 2
    assert metrics.registry.get_sample_value("mention_router_responses_total", {"team": "c", "kind": "reply"}) == 2
