"""The shipped sentiment models: one small linear classifier per language (``models/sentiment.json``).

Trained by ``scripts/train_sentiment.py``; provenance and val scores in ``models/README.md``. English adds
VADER's compound score as dense features (``vader_features``); the other languages use text features only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from streams.enrich.linear import MODELS_DIR, LinearModel, ModelError, features, load_json

logger = logging.getLogger(__name__)

SENTIMENT_MODEL_PATH = MODELS_DIR / "sentiment.json"
LABELS = ("neutral", "negative", "positive")  # the first is the reference class of the stored weights
VADER_FEATURE_NAMES = (
    "vader_compound",
    "vader_positive_part",
    "vader_negative_part",
    "vader_zero",
    "vader_positive_label",
    "vader_negative_label",
)


def vader_features(compound: float) -> tuple[float, ...]:
    """Dense features from a VADER compound score, in the order of ``VADER_FEATURE_NAMES``."""
    return (
        compound,
        compound if compound > 0 else 0.0,
        compound if compound < 0 else 0.0,
        1.0 if compound == 0 else 0.0,
        1.0 if compound >= 0.05 else 0.0,
        1.0 if compound <= -0.05 else 0.0,
    )


class SentimentModels:
    """Per-language models loaded from ``path``; raises ``ModelError`` when the file cannot be used."""

    def __init__(self, path: Path = SENTIMENT_MODEL_PATH) -> None:
        data = load_json(path)
        if data.get("kind") != "sentiment" or not isinstance(data.get("languages"), dict):
            raise ModelError(f"{path.name} is not a sentiment model file")
        models: dict[str, LinearModel] = {}
        for code, raw in data["languages"].items():
            model = LinearModel.from_dict(raw)
            if model.labels != LABELS:
                raise ModelError(f"{path.name}: model {code} has labels {model.labels}, expected {LABELS}")
            if model.dense_names not in ((), VADER_FEATURE_NAMES):
                raise ModelError(f"{path.name}: model {code} wants unknown dense features {model.dense_names}")
            models[code] = model
        self.models: Mapping[str, LinearModel] = models
        self.languages = frozenset(models)

    def uses_vader(self, language: str) -> bool:
        return bool(self.models[language].dense_names)

    def probabilities(self, text: str, language: str, dense: Sequence[float] = ()) -> list[float]:
        """P(neutral), P(negative), P(positive) of ``text`` under ``language``'s model (KeyError if none)."""
        return self.models[language].probabilities(features(text), dense)
