"""What the SLA breach forecast costs the track stage's event loop: ``python scripts/forecast_costs.py [--open N]``.

Fills one ``PartitionTracker`` with N open mentions (SLA due times spread over two hours either side of now, three
teams, four priority bands), then times the pass as the track stage runs it: ``FORECAST_STEP_MENTIONS`` open
mentions read per timer round, then the forecast itself. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from itertools import islice

from schemas import Assignment, Channel
from streams.agents.track import FORECAST_STEP_MENTIONS
from streams.tracking import PartitionTracker, TrackerLimits
from streams.tracking.forecast import SlaClocks

TEAMS = ("care", "vip", "billing")
BANDS = ("low", "normal", "high", "urgent")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=200_000, help="open mentions in the tracker")
    args = parser.parse_args()
    now = datetime.now(UTC)
    rng = random.Random(1)
    tracker = PartitionTracker(limits=TrackerLimits(open=args.open))
    for n in range(args.open):
        due = now + timedelta(seconds=rng.uniform(-7200, 7200))
        assignment = Assignment(
            mention_id=f"m{n}", team=rng.choice(TEAMS), priority=50, priority_band=rng.choice(BANDS),
            channel=Channel.TWITTER, brand_account="AcmeAir", created_at=now, routed_at=now, sla_due_at=due,
            conversation_key="c", rules_version="v1",
        )  # fmt: skip
        tracker.on_assignment(assignment)
    clocks, due_times, rounds = SlaClocks(), tracker.sla_due(), []
    while True:
        started = time.perf_counter()
        read = clocks.add_due(islice(due_times, FORECAST_STEP_MENTIONS), now.timestamp(), 0.0)
        rounds.append(time.perf_counter() - started)
        if read < FORECAST_STEP_MENTIONS:
            break
    started = time.perf_counter()
    clocks.forecast({"care": 0.05, "vip": 0.1, "billing": 0.02}, at=0.0)
    forecast = time.perf_counter() - started
    print(
        f"{args.open} open mentions: {len(rounds)} timer rounds of at most {FORECAST_STEP_MENTIONS}, longest "
        f"{max(rounds) * 1000:.1f} ms, all {sum(rounds) * 1000:.0f} ms; the forecast {forecast * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
