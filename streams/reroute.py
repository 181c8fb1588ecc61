"""Re-apply routing rules to enriched mentions from a point in time (a command-line tool, kafka-python).

After fixing a rule, ``mention-router reroute --since 2026-11-28T09:00Z [--rules FILE]`` reads
``mentions.enriched`` from the first offset at or after that time, decides each mention again with
the given rules (the configured file by default) and publishes it to its team topic with
``route.rerouted = true``, plus a re-routed assignment so the track stage moves it in the backlog.
The input is enriched records, so the mentions are not deduplicated or enriched again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from kafka import KafkaProducer
from prometheus_client import CollectorRegistry

from streams.agents.route import RouteAgent
from streams.clients import tool_producer
from streams.history import enriched_history
from streams.metrics import Metrics
from streams.routing import RuleSet
from streams.runtime.producing import SCHEMA_HEADERS
from streams.runtime.records import InputRecord, Output
from streams.settings import Settings
from streams.topics import TopicNames

logger = logging.getLogger(__name__)


@dataclass
class RerouteResult:
    read: int = 0
    rerouted: int = 0
    skipped: int = 0  # records that do not decode as enriched mentions (they were dead-lettered at the time)
    by_team: dict[str, int] = field(default_factory=dict)


def reroute(settings: Settings, rules: RuleSet, since: datetime, until: datetime | None = None) -> RerouteResult:
    """Route again every enriched mention ingested in [since, until) (until: the end offsets at start)."""
    topics = TopicNames.from_settings(settings)
    agent = RouteAgent(
        topics, Metrics(CollectorRegistry()), rules, redact_text=settings.routed_text == "redacted", rerouting=True
    )
    result = RerouteResult()
    producer = tool_producer(settings)
    try:
        for record in enriched_history(settings, since, until):
            result.read += 1
            _route_one(agent, record, producer, result)
        producer.flush()
    finally:
        producer.close()
    return result


def _route_one(agent: RouteAgent, record: InputRecord, producer: KafkaProducer, result: RerouteResult) -> None:
    out: list[Output] = []
    try:
        agent.handle(record, out)
    except ValueError:  # pydantic's ValidationError included
        result.skipped += 1
        logger.warning(
            "not an enriched mention, skipped: topic=%s partition=%d offset=%d", record.topic, record.partition,
            record.offset,
        )  # fmt: skip
        return
    for output in out:
        producer.send(output.topic, value=output.value, key=output.key, headers=SCHEMA_HEADERS.get(output.schema))
    team_output = out[0]
    result.rerouted += 1
    team = team_output.topic.rsplit(".", 1)[-1]
    result.by_team[team] = result.by_team.get(team, 0) + 1
