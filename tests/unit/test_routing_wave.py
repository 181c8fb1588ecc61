"""Rules on the wave signal: fields below an object that may be null read as null, never raise."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas import EnrichedMention
from schemas.enriched import Wave
from streams.enrich import Enricher
from streams.routing import load_rules_text
from tests.factories import make_mention

RULES = """
version: "w1"
triage_team: care
teams:
  - name: care
  - name: incidents
rules:
  - id: big-waves
    when: {field: enrichment.wave.size, gte: 10}
    then: {team: incidents, tags: [incident]}
  - id: any-wave
    when: {field: enrichment.wave.id, exists: true}
    then: {team: care, tags: [wave]}
"""


def _enriched(wave: Wave | None) -> EnrichedMention:
    mention = make_mention("@AcmeBank is the app down again?", brand_account="AcmeBank")
    enrichment = Enricher().enrich(mention).model_copy(update={"wave": wave})
    return EnrichedMention(mention=mention, enrichment=enrichment, ingested_at=datetime.now(UTC))


@pytest.mark.parametrize(
    ("wave", "team", "rule_id"),
    [
        (None, "care", "default"),
        (Wave(id="w", size=3), "care", "any-wave"),
        (Wave(id="w", size=12), "incidents", "big-waves"),
    ],
)
def test_rules_can_escalate_waves_and_mentions_without_one_pass_through(
    wave: Wave | None, team: str, rule_id: str
) -> None:
    decision = load_rules_text(RULES).decide(_enriched(wave))
    assert (decision.team, decision.rule_id) == (team, rule_id)
