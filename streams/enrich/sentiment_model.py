"""The shipped sentiment models: one small linear classifier per language (``models/sentiment.json``).

Trained by ``scripts/train_sentiment.py``; provenance and val scores in ``models/README.md``. The file holds
one lexicon derived from VADER's (word and emoji valences, negated by a preceding negation word) that the
models may use: a text's summed valence gives dense features (``linear.lexicon_features``), a cheap
stand-in for VADER's compound score looked up with the weights, so scoring runs no VADER.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from streams.enrich.linear import MODELS_DIR, LinearModel, ModelError, load_json

logger = logging.getLogger(__name__)

SENTIMENT_MODEL_PATH = MODELS_DIR / "sentiment.json"
LABELS = ("neutral", "negative", "positive")  # the first is the reference class of the stored weights


class SentimentModels:
    """Per-language models loaded from ``path``; raises ``ModelError`` when the file cannot be used."""

    def __init__(self, path: Path = SENTIMENT_MODEL_PATH) -> None:
        data = load_json(path)
        if data.get("kind") != "sentiment" or not isinstance(data.get("languages"), dict):
            raise ModelError(f"{path.name} is not a sentiment model file")
        lexicon = data.get("lexicon", {})
        if not isinstance(lexicon, dict):
            raise ModelError(f"{path.name}: the lexicon is not an object")
        models: dict[str, LinearModel] = {}
        for code, raw in data["languages"].items():
            model = LinearModel.from_dict(raw, lexicon)
            if model.labels != LABELS:
                raise ModelError(f"{path.name}: model {code} has labels {model.labels}, expected {LABELS}")
            models[code] = model
        self.models: Mapping[str, LinearModel] = models
        self.languages = frozenset(models)

    def probabilities(self, text: str, language: str) -> list[float]:
        """P(neutral), P(negative), P(positive) of ``text`` under ``language``'s model (KeyError if none)."""
        return self.models[language].probabilities(text)
