"""Response tracking: the track stage's pure per-partition logic and the response-time report."""

from streams.tracking.report import Row, format_report, response_time_report
from streams.tracking.tracker import (
    BreachOutput,
    EscalationOutput,
    ExpiredOutput,
    FirstResponseOutput,
    PartitionTracker,
    RerouteOutput,
    Source,
    StreamClock,
    TrackerLimits,
    TrackerOutput,
    UnmatchedOutput,
    assignment_from_routed,
    rerouted_record,
)

__all__ = [
    "BreachOutput",
    "EscalationOutput",
    "ExpiredOutput",
    "FirstResponseOutput",
    "PartitionTracker",
    "RerouteOutput",
    "Row",
    "Source",
    "StreamClock",
    "TrackerLimits",
    "TrackerOutput",
    "UnmatchedOutput",
    "assignment_from_routed",
    "format_report",
    "rerouted_record",
    "response_time_report",
]
