"""Sentiment polarity: VADER for English; UNKNOWN for languages without a shipped model."""

from __future__ import annotations

import logging

from schemas.enriched import Sentiment, SentimentLabel
from streams.enrich.language import UNDETERMINED
from streams.enrich.text import has_letters
from streams.enrich.vader import Vader

logger = logging.getLogger(__name__)

# VADER's documented thresholds on the compound score.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
SUPPORTED_LANGUAGES = frozenset({"en"})
UNKNOWN_SENTIMENT = Sentiment(label=SentimentLabel.UNKNOWN, score=0.0)
NEUTRAL_EMPTY = Sentiment(label=SentimentLabel.NEUTRAL, score=0.0)


def label_for(compound: float) -> SentimentLabel:
    if compound >= POSITIVE_THRESHOLD:
        return SentimentLabel.POSITIVE
    if compound <= NEGATIVE_THRESHOLD:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


class SentimentScorer:
    """Loads the VADER lexicons once."""

    def __init__(self) -> None:
        self._vader = Vader()

    def score(self, text: str, language: str) -> Sentiment:
        # Emoji and emoticons carry sentiment in any language and VADER's lexicon covers them:
        # letterless text ("😡😡😡", ":(") is scored even though no language was detected.
        if language not in SUPPORTED_LANGUAGES and (language != UNDETERMINED or has_letters(text)):
            return UNKNOWN_SENTIMENT
        if not text or text.isspace():
            return NEUTRAL_EMPTY
        compound = self._vader.compound(text)
        return Sentiment(label=label_for(compound), score=compound)


_default: SentimentScorer | None = None


def score_sentiment(text: str, language: str) -> Sentiment:
    """Polarity of ``text`` written in ``language`` (ISO 639-1); UNKNOWN/0.0 when no model covers it.

    English uses VADER's compound score with its standard thresholds (>= 0.05 positive, <= -0.05 negative).
    """
    global _default  # noqa: PLW0603 - lazily built module singleton; Enricher holds its own instance
    if _default is None:
        _default = SentimentScorer()
    return _default.score(text, language)
