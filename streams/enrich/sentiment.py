"""Sentiment polarity: a shipped linear model per language (``sentiment_model``); UNKNOWN for the rest.

Letterless text (emoji, emoticons) in no detected language is scored by VADER's emoji lexicon alone.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from schemas.enriched import Sentiment, SentimentLabel
from schemas.trusted import trusted
from streams.enrich.language import UNDETERMINED
from streams.enrich.linear import LinearModel, ModelError
from streams.enrich.sentiment_model import SENTIMENT_MODEL_PATH, SentimentModels
from streams.enrich.text import has_letters
from streams.enrich.vader import Vader

logger = logging.getLogger(__name__)

# VADER's documented thresholds on the compound score.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
UNKNOWN_SENTIMENT = Sentiment(label=SentimentLabel.UNKNOWN, score=0.0)
NEUTRAL_EMPTY = Sentiment(label=SentimentLabel.NEUTRAL, score=0.0)


def label_for(compound: float) -> SentimentLabel:
    """VADER's label for a compound score (standard thresholds)."""
    if compound >= POSITIVE_THRESHOLD:
        return SentimentLabel.POSITIVE
    if compound <= NEGATIVE_THRESHOLD:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


class SentimentScorer:
    """Loads the VADER lexicons and the shipped models once.

    A model file that cannot be loaded is logged at start-up; ``score`` then raises ``ModelError`` for
    the languages the file should have covered, so the enricher's guard reports ``unknown`` and lists
    ``sentiment`` in ``failed_enrichers`` (it never crashes the worker).
    """

    def __init__(self, model_path: Path = SENTIMENT_MODEL_PATH) -> None:
        self._vader = Vader()
        self._models: SentimentModels | None
        try:
            self._models = SentimentModels(model_path)
        except ModelError as exc:
            logger.error("sentiment models unavailable, sentiment will be unknown: %s", exc)
            self._models = None
        else:
            compiled = all(model.compiled for model in self._models.models.values())
            logger.info("sentiment featuriser: %s", "compiled (C)" if compiled else "pure Python")
        self.languages = self._models.languages if self._models is not None else frozenset()
        self._by_language: dict[str, LinearModel] = dict(self._models.models) if self._models is not None else {}

    def score(self, text: str, language: str) -> Sentiment:
        models = self._models
        if models is None:
            if language != UNDETERMINED or has_letters(text):
                raise ModelError("sentiment models failed to load")
        else:
            model = self._by_language.get(language)
            if model is not None:
                if not text or text.isspace():
                    return NEUTRAL_EMPTY
                # Logits relative to neutral (sentiment_model.LABELS); the label is the most probable class.
                negative, positive = model.relative_scores(text)
                top = max(0.0, negative, positive)
                neutral_exp = math.exp(-top)
                negative_exp = math.exp(negative - top)
                positive_exp = math.exp(positive - top)
                if top == 0.0:
                    label = SentimentLabel.NEUTRAL
                elif negative >= positive:
                    label = SentimentLabel.NEGATIVE
                else:
                    label = SentimentLabel.POSITIVE
                polarity = (positive_exp - negative_exp) / (neutral_exp + negative_exp + positive_exp)
                # In range by construction: building it without validation saves ~3 µs per event.
                return trusted(Sentiment, {"label": label, "score": round(max(-1.0, min(1.0, polarity)), 4)})
        # Emoji and emoticons carry sentiment in any language and VADER's lexicon covers them:
        # letterless text ("😡😡😡", ":(") is scored even though no language was detected.
        if language != UNDETERMINED or has_letters(text):
            return UNKNOWN_SENTIMENT
        if not text or text.isspace():
            return NEUTRAL_EMPTY
        compound = self._vader.compound(text)
        return Sentiment(label=label_for(compound), score=compound)


_default: SentimentScorer | None = None


def score_sentiment(text: str, language: str) -> Sentiment:
    """Polarity of ``text`` written in ``language`` (ISO 639-1); UNKNOWN/0.0 when no model covers it.

    The label is the model's most probable class; the score is P(positive) - P(negative).
    """
    global _default  # noqa: PLW0603 - lazily built module singleton; Enricher holds its own instance
    if _default is None:
        _default = SentimentScorer()
    return _default.score(text, language)
