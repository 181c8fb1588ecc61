"""Topic names, derived from settings so tests and tenants can isolate themselves with a prefix."""

from __future__ import annotations

from dataclasses import dataclass

from streams.settings import Settings


@dataclass(frozen=True)
class TopicNames:
    prefix: str = ""
    app_id: str = "mention-router"  # internal topics (changelogs, repartitions) belong to one app

    @classmethod
    def from_settings(cls, settings: Settings) -> TopicNames:
        return cls(prefix=settings.topic_prefix, app_id=settings.app_id)

    def _name(self, suffix: str) -> str:
        return f"{self.prefix}mentions.{suffix}"

    @property
    def raw(self) -> str:
        return self._name("raw")

    @property
    def unique(self) -> str:
        return self._name("unique")

    @property
    def enriched(self) -> str:
        return self._name("enriched")

    @property
    def duplicates(self) -> str:
        return self._name("duplicates")

    @property
    def dlq(self) -> str:
        return self._name("dlq")

    @property
    def responses(self) -> str:
        return self._name("responses")

    @property
    def assignments(self) -> str:
        """One record per routed mention, keyed by mention id: what the track stage times."""
        return self._name("assignments")

    @property
    def kafka_partitioned(self) -> frozenset[str]:
        """Partitioned as Kafka's producers do (murmur2): what other programs write, and what is read with it."""
        return frozenset((self.raw, self.responses, self.assignments))

    @property
    def escalations(self) -> str:
        return self._name("escalations")

    @property
    def response_times(self) -> str:
        return self._name("response_times")

    def changelog(self, stage: str) -> str:
        """Compacted; partition p holds the state of the stage's input partition p."""
        return f"{self.prefix}{self.app_id}.{stage}.changelog"

    def repartition(self, stage: str) -> str:
        """Records that arrived in the wrong partition for the stage's key, re-keyed by the stage."""
        return f"{self.prefix}{self.app_id}.{stage}.repartition"

    def internal(self) -> tuple[str, ...]:
        return (
            self.changelog("dedupe"),
            self.repartition("dedupe"),
            self.changelog("enrich"),
            self.changelog("track"),
            self.repartition("track"),
        )

    @property
    def customers(self) -> str:
        """Compacted; written by a CRM sync, keyed by '<channel>:<handle>'."""
        return f"{self.prefix}customers"

    def routed(self, team: str) -> str:
        return self._name(f"routed.{team}")

    def pipeline(self) -> tuple[str, ...]:
        """Every topic except the per-team ones."""
        return (
            self.raw,
            self.unique,
            self.enriched,
            self.duplicates,
            self.dlq,
            self.responses,
            self.customers,
            self.assignments,
            self.escalations,
            self.response_times,
            *self.internal(),
        )
