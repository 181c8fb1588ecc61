"""What the enrichment stage adds to a mention (published to ``mentions.enriched``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.mention import Mention


class SentimentLabel(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"
    UNKNOWN = "unknown"  # no shipped model for the detected language


class Intent(StrEnum):
    COMPLAINT = "complaint"
    QUESTION = "question"
    PRAISE = "praise"
    FEEDBACK = "feedback"
    ASK_OTHERS = "ask_others"
    SPAM = "spam"
    OTHER = "other"


class Sentiment(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0, description="Polarity, -1 (negative) to 1 (positive).")


class PriorityReason(BaseModel):
    """One contribution to the priority, so a human can see why a mention ranks where it does."""

    model_config = ConfigDict(frozen=True)

    factor: str
    points: int
    detail: str = ""


class Wave(BaseModel):
    """Many different authors posting near-identical text within a short time (an outage, a campaign).

    Each member stays its own mention; they share the wave id so routing can escalate an incident
    and downstream apps can bulk-reply. ``size`` is the number of distinct authors when this member
    arrived (it grows with the wave).
    """

    model_config = ConfigDict(frozen=True)

    id: str
    size: int = Field(ge=1)


class Enrichment(BaseModel):
    model_config = ConfigDict(frozen=True)

    language: str = Field(description="ISO 639-1 code, or 'und' when unknown.")
    language_confidence: float = Field(ge=0.0, le=1.0)
    sentiment: Sentiment
    intent: Intent = Intent.OTHER
    intent_confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    urgency: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    influence: str = "standard"
    customer_tier: str | None = None
    redacted_text: str | None = None
    priority: int = Field(ge=0, le=100)
    priority_reasons: tuple[PriorityReason, ...] = ()
    failed_enrichers: tuple[str, ...] = Field(default=(), description="Enrichers that failed and fell back to unknown.")
    wave: Wave | None = Field(default=None, description="Set when the mention belongs to an open wave.")


class EnrichedMention(BaseModel):
    model_config = ConfigDict(frozen=True)

    mention: Mention
    enrichment: Enrichment
    ingested_at: AwareDatetime = Field(description="When the mention entered mentions.raw.")
