"""mentions.unique → mentions.enriched."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas import EnrichedMention, Mention
from streams.enrich import Enricher
from streams.metrics import Metrics
from streams.runtime.records import InputRecord, Output
from streams.topics import TopicNames


class EnrichAgent:
    name = "enrich"

    def __init__(self, topics: TopicNames, metrics: Metrics, enricher: Enricher | None = None) -> None:
        self.input_topic = topics.unique
        self._output_topic = topics.enriched
        self._enricher = enricher or Enricher()
        self._failures = metrics.enricher_failures

    def handle(self, record: InputRecord, out: list[Output]) -> None:
        assert record.value is not None
        mention = Mention.model_validate_json(record.value)
        enrichment = self._enricher.enrich(mention)
        for enricher_name in enrichment.failed_enrichers:
            self._failures.labels(enricher=enricher_name).inc()
        enriched = EnrichedMention(
            mention=mention,
            enrichment=enrichment,
            ingested_at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        )
        out.append(Output(self._output_topic, record.key, enriched.model_dump_json().encode(), record.timestamp))

    def partitions_revoked(self, partitions: set[int]) -> None:
        """Stateless stage."""
