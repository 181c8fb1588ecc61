"""schemas.trusted builds the same model pydantic's validation does, for the models the hot paths build with it."""

from __future__ import annotations

import pydantic
import pytest

from schemas.enriched import Enrichment, Intent, PriorityReason, Sentiment, SentimentLabel
from schemas.trusted import trusted


def _enrichment_values() -> dict[str, object]:
    return {
        "language": "en",
        "language_confidence": 0.95,
        "sentiment": trusted(Sentiment, {"label": SentimentLabel.NEGATIVE, "score": -0.42}),
        "intent": Intent.COMPLAINT,
        "intent_confidence": 0.85,
        "urgency": ("payment",),
        "topics": ("refunds",),
        "influence": "standard",
        "customer_tier": None,
        "redacted_text": "call me on [PHONE]",
        "priority": 56,
        "priority_reasons": (PriorityReason(factor="base", points=20, detail="every mention"),),
        "failed_enrichers": (),
        "wave": None,
    }


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Sentiment, {"label": SentimentLabel.POSITIVE, "score": 0.5}),
        (Enrichment, _enrichment_values()),
    ],
)
def test_trusted_equals_the_validated_model(model: type[pydantic.BaseModel], values: dict[str, object]) -> None:
    built = trusted(model, dict(values))
    validated = model.model_validate(values)
    assert type(built) is model
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set == validated.model_fields_set == set(values)
    assert hash(built) == hash(validated)  # frozen models hash by value


def test_trusted_model_stays_frozen_and_copyable() -> None:
    sentiment = trusted(Sentiment, {"label": SentimentLabel.NEUTRAL, "score": 0.0})
    with pytest.raises(pydantic.ValidationError):
        sentiment.score = 1.0  # type: ignore[misc]
    copy = sentiment.model_copy(update={"score": 0.25})
    assert copy.score == 0.25
    assert sentiment.score == 0.0
