"""Priority 0..100 with every contribution spelled out, so a human can see why a mention ranks where it does.

The reasons always add up to the priority: when the raw sum leaves 0..100 a final 'clamp' reason
brings it back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from schemas.enriched import Intent, PriorityReason, Sentiment, SentimentLabel

logger = logging.getLogger(__name__)

BASE_POINTS = 20
MIN_PRIORITY = 0
MAX_PRIORITY = 100

STANDARD = "standard"
NOTABLE = "notable"
INFLUENCER = "influencer"
NOTABLE_FOLLOWERS = 10_000
INFLUENCER_FOLLOWERS = 100_000

INTENT_POINTS: dict[Intent, int] = {
    Intent.COMPLAINT: 20,
    Intent.QUESTION: 15,
    Intent.ASK_OTHERS: 10,
    Intent.FEEDBACK: 5,
    Intent.PRAISE: 0,
    Intent.OTHER: 0,
    Intent.SPAM: -20,
}
# Negative sentiment adds up to this many points, in proportion to how negative it is.
MAX_NEGATIVE_SENTIMENT_POINTS = 15
INFLUENCE_POINTS: dict[str, int] = {STANDARD: 0, NOTABLE: 10, INFLUENCER: 20}
URGENCY_POINTS: dict[str, int] = {
    "safety": 30,
    "legal": 25,
    "outage": 15,
    "churn": 15,
    "payment": 10,
    "attention": 15,  # not added for an influencer, whose influence points already count it
}
UNKNOWN_URGENCY_POINTS = 5


def influence_tier(followers: int, verified: bool) -> str:
    """'influencer' (>=100k followers or verified), 'notable' (>=10k) or 'standard'."""
    if verified or followers >= INFLUENCER_FOLLOWERS:
        return INFLUENCER
    if followers >= NOTABLE_FOLLOWERS:
        return NOTABLE
    return STANDARD


# The reasons that do not depend on the event are built once (each pydantic model costs ~2 µs to build); the
# others once per distinct result (see _RESULTS).
_BASE_REASON = PriorityReason(factor="base", points=BASE_POINTS, detail="every mention")
_INTENT_REASONS = {
    intent: PriorityReason(factor="intent", points=points, detail=intent.value)
    for intent, points in INTENT_POINTS.items()
    if points
}
_INFLUENCE_REASONS = {
    tier: PriorityReason(factor="influence", points=points, detail=tier)
    for tier, points in INFLUENCE_POINTS.items()
    if points
}
_URGENCY_REASONS = {
    flag: PriorityReason(factor="urgency", points=points, detail=flag) for flag, points in URGENCY_POINTS.items()
}


# compute_priority's results by their inputs: a handful of intents, tiers and flag sets, and the negative
# sentiment's points and detail, so most events repeat an earlier combination. Cleared when full.
_RESULTS: dict[tuple[Intent, tuple[int, str] | None, str, tuple[str, ...]], tuple[int, tuple[PriorityReason, ...]]] = {}
RESULT_CACHE_SIZE = 4096


def compute_priority(
    intent: Intent,
    sentiment: Sentiment,
    influence: str = STANDARD,
    urgency: Iterable[str] = (),
) -> tuple[int, tuple[PriorityReason, ...]]:
    """Priority and its reasons; the reasons' points always sum to the priority.

    Spam gets its penalty and nothing else: links and follower counts must not lift it.
    """
    negative = None
    # ==, not `is`: a plain "spam" string is the same cache key as Intent.SPAM (StrEnum), so it must act alike.
    if sentiment.label is SentimentLabel.NEGATIVE and intent != Intent.SPAM:
        score = sentiment.score
        negative = (max(1, round(-score * MAX_NEGATIVE_SENTIMENT_POINTS)), f"negative {score:+.2f}")
    key = (intent, negative, influence, tuple(urgency))
    result = _RESULTS.get(key)
    if result is None:
        if len(_RESULTS) >= RESULT_CACHE_SIZE:
            _RESULTS.clear()
        result = _RESULTS[key] = _priority(*key)
    return result


def _priority(
    intent: Intent, negative: tuple[int, str] | None, influence: str, urgency: tuple[str, ...]
) -> tuple[int, tuple[PriorityReason, ...]]:
    reasons = [_BASE_REASON]
    raw = BASE_POINTS
    intent_reason = _INTENT_REASONS.get(intent)
    if intent_reason is not None:
        reasons.append(intent_reason)
        raw += intent_reason.points

    if intent != Intent.SPAM:
        if negative is not None:
            points, detail = negative
            reasons.append(PriorityReason(factor="sentiment", points=points, detail=detail))
            raw += points
        influence_reason = _INFLUENCE_REASONS.get(influence)
        if influence_reason is not None:
            reasons.append(influence_reason)
            raw += influence_reason.points
        for flag in dict.fromkeys(urgency):  # de-duplicated, order kept
            if flag == "attention" and influence == INFLUENCER:
                continue
            reason = _URGENCY_REASONS.get(flag)
            if reason is None:
                reason = PriorityReason(factor="urgency", points=UNKNOWN_URGENCY_POINTS, detail=flag)
            reasons.append(reason)
            raw += reason.points

    priority = min(MAX_PRIORITY, max(MIN_PRIORITY, raw))
    if priority != raw:
        reasons.append(PriorityReason(factor="clamp", points=priority - raw, detail=f"raw {raw} clamped to {priority}"))
    return priority, tuple(reasons)
