"""Customer tier: who the author is to the brand, from the CRM (pure: the table is passed in).

The worker keeps the ``customers`` topic as a table replicated on every worker (a global table, like
Kafka Streams' GlobalKTable): CRM records are keyed by author while mentions are keyed by mention,
so a co-partitioned join would need a repartition hop per mention; a CRM's tiered customers fit in
memory instead, up to a bound (``CustomerTiers``).
"""

from __future__ import annotations

from typing import Protocol

from schemas import Enrichment, Mention, PriorityReason, customer_key
from streams.enrich.priority import MAX_PRIORITY, MIN_PRIORITY

TIER_POINTS: dict[str, int] = {"vip": 25, "churn_risk": 20, "enterprise": 15, "standard": 0}
UNKNOWN_TIER_POINTS = 5  # a tier the CRM knows and we do not: someone the brand tracks


def lookup_tier(mention: Mention, tiers: TierLookup) -> str | None:
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


class TierLookup(Protocol):
    """What enrichment needs of a customers table: a plain dict of key → tier will do."""

    def get(self, key: str, /) -> str | None: ...


class CustomerTiers:
    """customer key → tier, holding at most ``max_keys`` customers in a fixed size each.

    Anyone who can write to the ``customers`` topic decides what this table holds, and every enriching worker
    holds all of it. So it is bounded: at ``max_keys`` a new customer is refused (``put`` says so; an existing
    one can still change tier or be removed), and each customer costs the same whatever its handle's length
    (handles may be 512 characters): the table keys on the key's 64-bit hash, which is salted per process so
    input cannot aim at collisions (two of a million customers share one with odds of about 3 in 10^8), and
    tier names are shared (at most ``MAX_TIER_NAMES`` distinct ones; past that, each entry keeps its own).
    About 70 bytes a customer.
    """

    MAX_TIER_NAMES = 256

    def __init__(self, max_keys: int) -> None:
        self.max_keys = max_keys
        self._tiers: dict[int, str] = {}
        self._names: dict[str, str] = {}

    def put(self, key: str, tier: str) -> bool:
        """Set ``key``'s tier; False (and nothing held) when the table is full and ``key`` is new."""
        hashed = hash(key)
        if hashed not in self._tiers and len(self._tiers) >= self.max_keys:
            return False
        name = self._names.get(tier)
        if name is None:
            name = tier
            if len(self._names) < self.MAX_TIER_NAMES:
                self._names[tier] = tier
        self._tiers[hashed] = name
        return True

    def remove(self, key: str) -> None:
        self._tiers.pop(hash(key), None)

    def get(self, key: str, /) -> str | None:
        return self._tiers.get(hash(key))

    def __len__(self) -> int:
        return len(self._tiers)
