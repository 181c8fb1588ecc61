"""mentions.unique → mentions.enriched."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from schemas import EnrichedMention, Mention
from streams.enrich import Enricher
from streams.enrich.customers import lookup_tier, with_customer_tier
from streams.metrics import Metrics
from streams.runtime.records import InputRecord, Output
from streams.topics import TopicNames


class EnrichAgent:
    name = "enrich"

    def __init__(
        self,
        topics: TopicNames,
        metrics: Metrics,
        enricher: Enricher | None = None,
        customer_tiers: Mapping[str, str] | None = None,
    ) -> None:
        self.input_topic = topics.unique
        self._tiers: Mapping[str, str] = customer_tiers if customer_tiers is not None else {}
        self._output_topic = topics.enriched
        self._enricher = enricher or Enricher()
        self._failures = metrics.enricher_failures

    def handle(self, record: InputRecord, out: list[Output]) -> None:
        assert record.value is not None
        mention = Mention.model_validate_json(record.value)
        enrichment = self._enricher.enrich(mention)
        tier = lookup_tier(mention, self._tiers)
        if tier is not None:
            enrichment = with_customer_tier(enrichment, tier)
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
