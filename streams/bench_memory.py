"""Resident memory of a worker's stages holding N dedupe keys (a phase of `make bench`).

Builds the same stages a worker runs (the enricher's models, the compiled rules, the dedupe
agent) and feeds distinct mentions (distinct authors and texts) through the dedupe stage itself,
draining its changelog changes per batch as the worker does, until its index holds N state keys
(each mention adds about two: its exact key and its author's entry). Prints one JSON line with the
resident set size before and after, and the peak. Run in its own process so nothing else counts.

    python -m streams.bench_memory --keys 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from prometheus_client import CollectorRegistry

from streams.agents.dedupe import DedupeAgent
from streams.app import build_stages
from streams.metrics import Metrics
from streams.routing import load_rules
from streams.runtime import heap
from streams.runtime.records import Output, Record
from streams.settings import Settings

BATCH = 2000


def peak_rss_mb() -> float:
    """This process's own high-water mark (VmHWM). Not ``getrusage``'s ru_maxrss: Linux carries that across
    exec, so it would report the parent's size at the fork (the bench's, holding its generated streams)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no procfs: the best there is


def rss_mb() -> float:
    """Resident now (the peak can be a transient, e.g. parsing the taxonomy YAML at start)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def _record(n: int, created_at: datetime) -> Record:
    value = orjson.dumps(
        {
            "id": f"twitter:{10**12 + n}",
            "channel": "twitter",
            "native_id": str(10**12 + n),
            "author": {"handle": f"customer_{n}"},
            "text": f"@AcmeAir order {n} has not arrived and nobody answers my messages",
            "created_at": created_at,
            "brand_account": "AcmeAir",
        }
    )
    return Record("mentions.raw", 0, n, 0, None, value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=1_000_000)
    args = parser.parse_args()
    settings = Settings(metrics_port=0, dedupe_max_keys=max(args.keys, 1))
    stages = build_stages(settings, Metrics(CollectorRegistry()), load_rules(settings.rules_path))
    heap.settle()  # the collector as the worker runs it
    baseline = rss_mb()
    [dedupe] = [s for s in stages if isinstance(s, DedupeAgent)]
    dedupe.partitions_assigned({0}, 1)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    mentions = 0
    while dedupe.state_size() < args.keys:
        out: list[Output] = []
        for _ in range(BATCH):
            dedupe.handle(_record(mentions, start + timedelta(seconds=mentions * 0.01)), out)
            mentions += 1
        dedupe.end_batch(0, out)  # the worker sends these to the changelog; here they are dropped
    result = {
        "stages": [s.name for s in stages],
        "keys": dedupe.state_size(),
        "mentions": mentions,
        "baseline_mb": round(baseline, 1),
    }
    print(json.dumps(result | {"rss_mb": round(rss_mb(), 1), "peak_rss_mb": round(peak_rss_mb(), 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
