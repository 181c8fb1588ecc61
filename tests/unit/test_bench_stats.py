"""The bench's latency summary: warm-up apart, steady quantiles, and the tail that shows a growing backlog."""

from __future__ import annotations

from streams.bench_latency import summarise_latencies


def test_the_warm_up_is_reported_apart_from_the_steady_quantiles() -> None:
    latencies = [900.0] * 10 + [10.0] * 89 + [50.0]  # a slow start, then a steady 10 ms
    summary = summarise_latencies(latencies)
    assert (summary.warmup_count, summary.warmup_p50) == (10, 900.0)
    assert summary.count == 90
    assert summary.p50 == 10.0
    assert summary.max == 50.0
    assert summary.last_p50 == 10.0


def test_a_growing_backlog_shows_in_the_last_tenth() -> None:
    latencies = [float(n) for n in range(1000)]  # each record waits longer than the one before
    summary = summarise_latencies(latencies)
    assert summary.last_p50 > 1.5 * summary.p50
