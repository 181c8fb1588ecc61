"""Customer tier: who the author is to the brand, from the CRM (pure: the table is passed in).

The worker keeps the ``customers`` topic as a table replicated on every worker (a global table, like
Kafka Streams' GlobalKTable): CRM records are keyed by author while mentions are keyed by mention,
so a co-partitioned join would need a repartition hop per mention; a CRM of a few million authors
fits in memory instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from schemas import Enrichment, Mention, PriorityReason, customer_key
from streams.enrich.priority import MAX_PRIORITY, MIN_PRIORITY

TIER_POINTS: dict[str, int] = {"vip": 25, "churn_risk": 20, "enterprise": 15, "standard": 0}
UNKNOWN_TIER_POINTS = 5  # a tier the CRM knows and we do not: someone the brand tracks


def lookup_tier(mention: Mention, tiers: Mapping[str, str]) -> str | None:
    """The author's tier by channel and handle, then by the handles linked to it on other channels."""
    tier = tiers.get(customer_key(mention.channel, mention.author.handle))
    if tier is not None:
        return tier
    for linked in mention.author.linked_handles:
        channel, _, handle = linked.partition(":")
        if handle:
            try:
                tier = tiers.get(customer_key(channel, handle))
            except ValueError:  # not a channel we know
                continue
            if tier is not None:
                return tier
    return None


def with_customer_tier(enrichment: Enrichment, tier: str) -> Enrichment:
    """Add the tier and its priority points; the reasons still add up to the priority."""
    points = TIER_POINTS.get(tier, UNKNOWN_TIER_POINTS)
    reasons = [r for r in enrichment.priority_reasons if r.factor != "clamp"]
    reasons.append(PriorityReason(factor="customer_tier", points=points, detail=tier))
    raw = sum(r.points for r in reasons)
    priority = min(MAX_PRIORITY, max(MIN_PRIORITY, raw))
    if priority != raw:
        reasons.append(PriorityReason(factor="clamp", points=priority - raw, detail=f"raw {raw} clamped to {priority}"))
    return enrichment.model_copy(
        update={"customer_tier": tier, "priority": priority, "priority_reasons": tuple(reasons)}
    )
