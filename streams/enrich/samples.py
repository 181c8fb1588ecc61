"""Texts for the enrichers' micro-benchmarks: built-in samples, plus real tweets from ../shared/data
when that folder sits beside the repo (it is test data, never needed at run time)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
_CSV_SOURCES = (
    ("airline tweets", SHARED_DATA / "airline-sentiment" / "Tweets.csv"),
    ("twcs", SHARED_DATA / "twcs-sample" / "twcs.csv"),
)


def benchmark_sources(builtin: Sequence[str], limit: int) -> list[tuple[str, list[str]]]:
    """(name, texts) pairs: the built-in samples, then up to ``limit`` texts of each shared CSV present."""
    sources: list[tuple[str, list[str]]] = [("built-in samples", list(builtin))]
    for name, path in _CSV_SOURCES:
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as handle:
                rows = csv.DictReader(handle)
                sources.append((name, [row["text"] or "" for _, row in zip(range(limit), rows, strict=False)]))
    return sources
