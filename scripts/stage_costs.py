"""Per-record CPU of each stage's ``handle``, in process, no Kafka: where a mention's time goes.

    python scripts/stage_costs.py [--count 6000] [--batch 500]

Feeds generated mentions through dedupe → enrich (which routes) → track the way the worker does (each
stage's outputs become the next one's input, in batches; a stage's ``begin_batch`` time is shared out over
its batch's records, as the runner does) and prints the median and mean µs per record, plus
what writing each batch's state changes to the changelog adds. The routing part of enrich is shown
apart, timed by the route stage ``reroute`` uses on the enriched records. Figures only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from streams.agents.route import RouteAgent
from streams.app import build_stages
from streams.metrics import Metrics
from streams.replay import keyed_for_dedupe
from streams.routing import load_rules
from streams.runtime.records import Output, Record
from streams.runtime.stage import Stage
from streams.settings import Settings
from streams.sources.generator import generate
from streams.topics import TopicNames

NEXT = {"dedupe": "unique", "enrich": "assignments"}
MEAN_GAP_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=500, help="records per fetched batch")
    args = parser.parse_args()
    settings = Settings()
    metrics, rules = Metrics(CollectorRegistry()), load_rules(settings.rules_path)
    stages: dict[str, Stage] = {s.name: s for s in build_stages(settings, metrics, rules)}
    for stage in stages.values():
        stage.partitions_assigned({0}, 1)
    now_ms = int(time.time() * 1000)
    # Dated so that the last one is now: mentions dated ahead of the clock are dead letters, not work.
    start = datetime.now(UTC) - timedelta(seconds=args.count * MEAN_GAP_S)
    records = generate(args.count, seed=3, start=start, mean_gap_seconds=MEAN_GAP_S)
    source = keyed_for_dedupe((r.key, r.value) for r in records)
    inputs = [Record("mentions.raw", 0, i, now_ms, key, value) for i, (key, value) in enumerate(source)]
    enriched: list[Record] = []
    for name in ("dedupe", "enrich", "track", "route"):
        if name == "route":  # inside enrich above; alone here, on what enrich wrote to mentions.enriched
            stages[name], inputs = RouteAgent(TopicNames(), metrics, rules), enriched
        stage = stages[name]
        kept: dict[str, list[Output]] = {"mentions.enriched": [], f"mentions.{NEXT.get(name)}": []}
        outputs = 0
        timings = []
        failed = 0
        changelog_seconds = 0.0
        for first in range(0, len(inputs), args.batch):
            batch = inputs[first : first + args.batch]
            out: list[Output] = []  # a batch's outputs, as the runner holds them until its commit
            started = time.perf_counter()
            with contextlib.suppress(Exception):  # the runner logs it; handle() then does all the work
                stage.begin_batch(batch)
            share = (time.perf_counter() - started) / len(batch)
            for record in batch:
                started = time.perf_counter()
                try:
                    stage.handle(record, out)
                except Exception:  # the worker dead-letters these; they cost time all the same
                    failed += 1
                timings.append(time.perf_counter() - started + share)
            started = time.perf_counter()  # once per batch and partition, as the runner does
            stage.end_batch(0, out)
            changelog_seconds += time.perf_counter() - started
            outputs += len(out)
            for output in out:
                if output.topic in kept:
                    kept[output.topic].append(output)
        changelog = changelog_seconds / max(1, len(timings))
        label = "route (alone)" if name == "route" else name
        print(
            f"{label:14} {len(timings):6} records ({failed} failed)  median {statistics.median(timings) * 1e6:7.1f} µs"
            f"  mean {statistics.mean(timings) * 1e6:7.1f} µs  changelog +{changelog * 1e6:5.1f} µs  outputs {outputs}"
        )
        if name == "enrich":
            enriched = _records(kept["mentions.enriched"], now_ms)
        if name in NEXT:
            inputs = _records(kept[f"mentions.{NEXT[name]}"], now_ms)


def _records(outputs: list[Output], timestamp_ms: int) -> list[Record]:
    return [Record(o.topic, 0, i, timestamp_ms, o.key, o.value) for i, o in enumerate(outputs)]


if __name__ == "__main__":
    main()
