"""The record a merge leaves in mentions.duplicates (pure: no Kafka import)."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas import DuplicateKind, DuplicateRecord, Mention


def exact_duplicate(mention: Mention, first_seen: float, now: datetime | None = None) -> DuplicateRecord:
    """The same channel and native id seen again; the canonical mention is the first sighting."""
    return DuplicateRecord(
        kind=DuplicateKind.EXACT,
        mention_id=mention.id,
        canonical_id=Mention.make_id(mention.channel, mention.native_id),
        channel=mention.channel,
        brand_account=mention.brand_account,
        evidence={"matched_fields": ["channel", "native_id"], "first_seen_at": first_seen},
        detected_at=now or datetime.now(UTC),
    )
