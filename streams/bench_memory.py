"""Resident memory of a worker's stages holding N dedupe keys (a phase of `make bench`).

Builds the same stages a worker runs (the enricher's models, the compiled rules, the dedupe
agent), fills the dedupe window with N distinct keys the way the dedupe agent does, and prints
one JSON line with the resident set size before and after, and the peak. Run in its own process so nothing else counts.

    python -m streams.bench_memory --keys 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
from pathlib import Path

from prometheus_client import CollectorRegistry

from streams.app import build_stages
from streams.dedupe import SeenWindow, exact_key
from streams.metrics import Metrics
from streams.routing import load_rules
from streams.settings import Settings


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def rss_mb() -> float:
    """Resident now (the peak can be a transient, e.g. parsing the taxonomy YAML at start)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=1_000_000)
    args = parser.parse_args()
    settings = Settings(metrics_port=0, dedupe_max_keys=max(args.keys, 1))
    stages = build_stages(settings, Metrics(CollectorRegistry()), load_rules(settings.rules_path))
    baseline = rss_mb()
    window = SeenWindow(settings.dedupe_window_seconds, settings.dedupe_max_keys)
    start = 1_700_000_000.0
    for i in range(args.keys):
        window.check_and_add(exact_key("twitter", str(10**12 + i)), start + i * 0.01)
    result = {"stages": [s.name for s in stages], "keys": len(window), "baseline_mb": round(baseline, 1)}
    print(json.dumps(result | {"rss_mb": round(rss_mb(), 1), "peak_rss_mb": round(peak_rss_mb(), 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
