"""Read a worker's /metrics page (for the demo's live table, reports and tests)."""

from __future__ import annotations

import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families


@dataclass
class Snapshot:
    """Samples by name, each a list of (labels, value)."""

    samples: dict[str, list[tuple[dict[str, str], float]]] = field(default_factory=lambda: defaultdict(list))

    def total(self, name: str, **labels: str) -> float:
        return sum(
            value
            for sample_labels, value in self.samples.get(name, [])
            if all(sample_labels.get(k) == v for k, v in labels.items())
        )

    def by_label(self, name: str, label: str) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for sample_labels, value in self.samples.get(name, []):
            totals[sample_labels.get(label, "")] += value
        return dict(totals)

    def histogram_quantile(self, name: str, quantile: float, **labels: str) -> float | None:
        """Quantile from cumulative buckets: the upper bound of the bucket it falls in (no interpolation)."""
        buckets: dict[float, float] = defaultdict(float)
        for sample_labels, value in self.samples.get(f"{name}_bucket", []):
            if all(sample_labels.get(k) == v for k, v in labels.items()):
                buckets[float(sample_labels["le"])] += value
        if not buckets:
            return None
        ordered = sorted(buckets.items())
        count = ordered[-1][1]
        if count == 0:
            return None
        for bound, cumulative in ordered:
            if cumulative >= quantile * count:
                return bound
        return ordered[-1][0]


def consuming(snapshot: Snapshot, stages: int = 3) -> bool:
    """True once every stage of a worker owns input partitions (its consumer groups have settled)."""
    owned = snapshot.by_label("mention_router_assigned_partitions", "stage")
    return len(owned) >= stages and all(owned.values())


def parse(text: str) -> Snapshot:
    snapshot = Snapshot()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            snapshot.samples[sample.name].append((dict(sample.labels), float(sample.value)))
    return snapshot


def scrape(url: str, timeout: float = 2.0) -> Snapshot:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return parse(response.read().decode())


def accounted(snap: Snapshot) -> float:
    """Raw records that reached their one final place: a team topic, the duplicates record or the DLQ.

    Every record the enrich stage handled ended there (enriched and routed, or dead-lettered by it); add the
    duplicates and what the dedupe stage dead-lettered. Not ``mention_router_routed_total``: it also
    counts escalation re-routes (the same mentions published again to the next team by the track
    stage), and the track stage's dead letters are assignments of mentions already routed.
    """
    return (
        snap.total("mention_router_stage_seconds_count", stage="enrich")
        + snap.total("mention_router_duplicates_total")
        + snap.total("mention_router_dead_letters_total", stage="dedupe")
    )
