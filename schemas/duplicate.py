"""What the dedupe stage merged, and into which mention (``mentions.duplicates``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, JsonValue

from schemas.mention import Channel


class DuplicateKind(StrEnum):
    EXACT = "exact"
    CROSS_POST = "cross_post"
    RESHARE = "reshare"
    NEAR_DUPLICATE = "near_duplicate"


class DuplicateRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: DuplicateKind
    mention_id: str
    canonical_id: str
    channel: Channel
    brand_account: str
    evidence: dict[str, JsonValue]
    detected_at: AwareDatetime
