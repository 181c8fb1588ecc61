"""Small linear text classifiers shipped as JSON: featuriser and pure-Python inference (no numpy at run time).

A model scores ``bias + (sum of the weights of the text's known features) / sqrt(distinct features)
+ dense · dense_weights`` per class and turns the scores into probabilities with a softmax. Features are
lower-cased word tokens (handles -> ``@u``, links -> ``http``, letters repeated 3+ times cut to 2, emoji
and punctuation marks as tokens of their own) and adjacent-token bigrams. ``features`` is the one
featuriser: the training script (``scripts/train_sentiment.py``) imports it, so training and inference
cannot drift apart. Only features with a non-negligible weight are stored; the normaliser counts every
distinct feature of the text, stored or not, exactly as in training.

Weights are stored relative to the first class (its weights are implicitly 0), which leaves the softmax
unchanged and saves a third of the file.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
FORMAT_VERSION = 1

_URL_RE = re.compile(r"https?(?::/+\S*)?\b|www\.\S+")
_HANDLE_RE = re.compile(r"@\w+")
_REPEAT_RE = re.compile(r"(.)\1{2,}")
# Words of any script (with inner apostrophes), digit runs, ASCII emoticons, "<3", then any other single
# non-space, non-word character (emoji, "!", "?", "¿", Arabic punctuation ...).
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+|[:;=8][-'^o]?[()\[\]dDpP/\\|*3]+|<3|[^\w\s]")  # noqa: RUF001
_WORD_TOKEN_LIMIT = 200  # a tweet has fewer; a very long text is judged by its start


class ModelError(ValueError):
    """A model file that cannot be used (missing, malformed, wrong version)."""


def tokens(text: str) -> list[str]:
    """The normalised tokens of ``text`` (see the module doc)."""
    if "&" in text:
        text = html.unescape(text)
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        lowered = _URL_RE.sub(" http ", lowered)
    if "@" in lowered:
        lowered = _HANDLE_RE.sub(" @u ", lowered)
    lowered = _REPEAT_RE.sub(r"\1\1", lowered)
    found = _TOKEN_RE.findall(lowered)
    return found[:_WORD_TOKEN_LIMIT] if len(found) > _WORD_TOKEN_LIMIT else found


def features(text: str) -> list[str]:
    """Token unigrams and bigrams of ``text`` (duplicates kept; the model counts each distinct one once)."""
    toks = tokens(text)
    return [*toks, *map(" ".join, pairwise(toks))]


@dataclass(frozen=True)
class LinearModel:
    """One linear classifier: ``labels[0]`` is the reference class (weights stored relative to it)."""

    labels: tuple[str, ...]
    bias: tuple[float, ...]  # one per label
    weights: Mapping[str, tuple[float, ...]]  # feature -> one weight per label after the first
    dense_names: tuple[str, ...] = ()
    dense_weights: tuple[tuple[float, ...], ...] = ()  # per dense feature: one weight per label after the first

    def scores(self, feats: Sequence[str], dense: Sequence[float] = ()) -> list[float]:
        """Unnormalised class scores (logits) of a text with features ``feats`` and dense values ``dense``."""
        distinct = set(feats)
        get = self.weights.get
        hits = [w for w in map(get, distinct) if w is not None]
        others = len(self.labels) - 1
        totals = [0.0] * others
        if hits:
            scale = 1.0 / math.sqrt(len(distinct))
            totals = [sum(column) * scale for column in zip(*hits, strict=True)]
        for value, row in zip(dense, self.dense_weights, strict=True):
            if value:
                totals = [t + value * w for t, w in zip(totals, row, strict=True)]
        bias = self.bias
        return [bias[0], *(bias[i + 1] + totals[i] for i in range(others))]

    def probabilities(self, feats: Sequence[str], dense: Sequence[float] = ()) -> list[float]:
        """Softmax of ``scores``, in the order of ``labels``."""
        logits = self.scores(feats, dense)
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        return [e / total for e in exps]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinearModel:
        try:
            labels = tuple(str(label) for label in data["labels"])
            bias = tuple(float(b) for b in data["bias"])
            width = len(labels) - 1
            scale = float(data.get("weight_scale", 1.0))
            weights = {str(k): tuple(float(x) * scale for x in v) for k, v in data["weights"].items()}
            dense_names = tuple(str(name) for name in data.get("dense_names", ()))
            dense_weights = tuple(tuple(float(x) for x in row) for row in data.get("dense_weights", ()))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelError(f"malformed linear model: {type(exc).__name__}: {exc}") from None
        if width < 1 or len(bias) != len(labels):
            raise ModelError("malformed linear model: labels and bias do not match")
        if any(len(w) != width for w in weights.values()) or any(len(r) != width for r in dense_weights):
            raise ModelError("malformed linear model: a weight row has the wrong width")
        if len(dense_weights) != len(dense_names):
            raise ModelError("malformed linear model: dense names and weights do not match")
        return cls(labels, bias, weights, dense_names, dense_weights)


def load_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, checked for this module's format version."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read model file {path.name}: {type(exc).__name__}") from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"model file {path.name} is not format version {FORMAT_VERSION}")
    return data
