"""Input for ``mention-router rules explain``: a mention as JSON, raw, enriched or routed.

A raw mention is enriched here first, as the enrich stage would, but without the live state the stage
keeps: no customer tier from the customers table and no wave membership. A routed record keeps its own
route, so the explanation can be checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import orjson
from pydantic import ValidationError

from schemas import EnrichedMention, Mention, Route, RoutedMention

# What must agree between the record's route and the explanation's (routed_at is when each was made).
COMPARED = ("team", "priority", "rule_id", "matched", "tags", "sla_due_at", "dropped_reason")


class SubjectError(ValueError):
    """The input is not a mention in any of the three forms."""


@dataclass(frozen=True)
class Subject:
    enriched: EnrichedMention
    kind: Literal["raw", "enriched", "routed"]
    route: Route | None = None  # the record's own, for a routed record
    notes: list[str] = field(default_factory=list)

    @property
    def routed_as(self) -> dict[str, object] | None:
        return None if self.route is None else self.route.model_dump(mode="json")

    def differences(self, route: Route) -> list[str]:
        """The members of ``route`` that are not what the record's own route says (empty: they agree)."""
        if self.route is None:
            return []
        return [name for name in COMPARED if getattr(self.route, name) != getattr(route, name)]

    def agrees(self, route: Route) -> bool:
        return not self.differences(route)


def read_subject(data: bytes) -> Subject:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SubjectError(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise SubjectError("expected a JSON object: a mention, an enriched mention or a routed record")
    try:
        if "route" in doc:
            routed = RoutedMention.model_validate(doc)
            enriched = EnrichedMention(
                mention=routed.mention, enrichment=routed.enrichment, ingested_at=routed.ingested_at
            )
            notes = []
            if routed.route.rerouted:
                notes.append("note: this record was re-routed (reroute or escalation): its route is not the first one")
            return Subject(enriched, "routed", routed.route, notes)
        if "enrichment" in doc:
            return Subject(EnrichedMention.model_validate(doc), "enriched")
        mention = Mention.model_validate(doc)
    except ValidationError as exc:
        raise SubjectError(f"not a mention: {_first_error(exc)}") from exc
    from streams.enrich import Enricher  # loads the models: only for raw input

    enrichment = Enricher().enrich(mention)
    enriched = EnrichedMention(mention=mention, enrichment=enrichment, ingested_at=datetime.now(UTC))
    note = "note: enriched here; the customer tier and wave membership the live stage adds are not applied"
    return Subject(enriched, "raw", None, [note])


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "record"
    return f"{where}: {error['msg']} ({exc.error_count()} problem{'s' if exc.error_count() > 1 else ''})"
