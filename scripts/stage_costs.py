"""Per-record CPU of each stage's ``handle``, in process, no Kafka: where a mention's time goes.

    python scripts/stage_costs.py [--count 6000] [--batch 500]

Feeds generated mentions through dedupe → enrich → route → track the way the worker does (each
stage's outputs become the next one's input, in batches; a stage's ``begin_batch`` time is shared out over
its batch's records, as the runner does) and prints the median and mean µs per record, plus
what writing each batch's state changes to the changelog adds. Figures only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from streams.app import build_stages
from streams.metrics import Metrics
from streams.replay import keyed_for_dedupe
from streams.routing import load_rules
from streams.runtime.records import Output, Record
from streams.settings import Settings
from streams.sources.generator import generate

NEXT = {"dedupe": ("enrich", "unique"), "enrich": ("route", "enriched"), "route": ("track", "assignments")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=500, help="records per fetched batch")
    args = parser.parse_args()
    settings = Settings()
    stages = {s.name: s for s in build_stages(settings, Metrics(CollectorRegistry()), load_rules(settings.rules_path))}
    for stage in stages.values():
        stage.partitions_assigned({0}, 1)
    now_ms = int(time.time() * 1000)
    source = keyed_for_dedupe((r.key, r.value) for r in generate(args.count, seed=3, start=datetime.now(UTC)))
    inputs = [Record("mentions.raw", 0, i, now_ms, key, value) for i, (key, value) in enumerate(source)]
    for name in ("dedupe", "enrich", "route", "track"):
        stage = stages[name]
        out: list[Output] = []
        timings = []
        changelog_seconds = 0.0
        for first in range(0, len(inputs), args.batch):
            batch = inputs[first : first + args.batch]
            started = time.perf_counter()
            with contextlib.suppress(Exception):  # the runner logs it; handle() then does all the work
                stage.begin_batch(batch)
            share = (time.perf_counter() - started) / len(batch)
            for record in batch:
                started = time.perf_counter()
                with contextlib.suppress(Exception):  # the worker dead-letters these; they cost time all the same
                    stage.handle(record, out)
                timings.append(time.perf_counter() - started + share)
            started = time.perf_counter()  # once per batch and partition, as the runner does
            stage.end_batch(0, out)
            changelog_seconds += time.perf_counter() - started
        changelog = changelog_seconds / max(1, len(timings))
        print(
            f"{name:7} {len(timings):6} records  median {statistics.median(timings) * 1e6:7.1f} µs"
            f"  mean {statistics.mean(timings) * 1e6:7.1f} µs  changelog +{changelog * 1e6:5.1f} µs  outputs {len(out)}"
        )
        if name in NEXT:
            _, suffix = NEXT[name]
            topic = f"mentions.{suffix}"
            inputs = [
                Record(topic, 0, i, now_ms, o.key, o.value) for i, o in enumerate(o for o in out if o.topic == topic)
            ]


if __name__ == "__main__":
    main()
