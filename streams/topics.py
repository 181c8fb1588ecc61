"""Topic names, derived from settings so tests and tenants can isolate themselves with a prefix."""

from __future__ import annotations

from dataclasses import dataclass

from streams.settings import Settings


@dataclass(frozen=True)
class TopicNames:
    prefix: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> TopicNames:
        return cls(prefix=settings.topic_prefix)

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
    def customers(self) -> str:
        """Compacted; written by a CRM sync, keyed by '<channel>:<handle>'."""
        return f"{self.prefix}customers"

    def routed(self, team: str) -> str:
        return self._name(f"routed.{team}")

    def pipeline(self) -> tuple[str, ...]:
        """Every topic except the per-team ones."""
        return (self.raw, self.unique, self.enriched, self.duplicates, self.dlq, self.responses, self.customers)
