"""First-response-time report per team or per brand, from FirstResponse records.

- minutes = ``seconds_since_created / 60`` (posted to first response, event time), unrounded;
- median: the ordinary median, ``statistics.median`` (mean of the two middle values for an even count);
- p90: the nearest-rank method, the ``ceil(0.9 * n)``-th smallest value (always an observed value);
- rows: most answered first, then by group name.

Fed the FirstResponses of the twcs sample (brand = the brand that wrote the earliest reply), the per-brand
medians are the independent figures in ``shared/data/README.md`` (tests/unit/test_tracking_report.py).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from schemas import FirstResponse

GroupBy = Literal["team", "brand"]


@dataclass(frozen=True, slots=True)
class Row:
    group: str
    answered: int
    median_minutes: float
    p90_minutes: float


def nearest_rank(sorted_values: list[float], fraction: float) -> float:
    """The ceil(fraction * n)-th smallest of a non-empty ascending list."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def response_time_report(records: Iterable[FirstResponse], by: GroupBy) -> list[Row]:
    minutes: dict[str, list[float]] = {}
    for record in records:
        group = record.team if by == "team" else record.brand_account
        minutes.setdefault(group, []).append(record.seconds_since_created / 60)
    rows = []
    for group, values in minutes.items():
        values.sort()
        rows.append(Row(group, len(values), statistics.median(values), nearest_rank(values, 0.9)))
    rows.sort(key=lambda row: (-row.answered, row.group))
    return rows


def format_report(rows: Iterable[Row], by: GroupBy = "team") -> str:
    """A fixed-width text table, minutes to 2 decimals."""
    lines: list[tuple[str, str, str, str]] = [(by, "answered", "median min", "p90 min")]
    lines += [(r.group, str(r.answered), f"{r.median_minutes:.2f}", f"{r.p90_minutes:.2f}") for r in rows]
    width = max(len(line[0]) for line in lines)
    return "\n".join(f"{g:<{width}}  {a:>8}  {m:>10}  {p:>10}" for g, a, m, p in lines) + "\n"
