"""Small linear text classifiers shipped as JSON: featuriser and pure-Python inference (no numpy at run time).

A model scores ``bias + (sum of the weights of the text's known features) / sqrt(distinct features)
+ dense · dense_weights`` per class and turns the scores into probabilities with a softmax. Features are
lower-cased whitespace tokens (handles -> ``@u``, links -> ``http``, ASCII and common Unicode
punctuation marks and emoji split off as tokens of their own) and adjacent-token bigrams. ``features`` is
the one featuriser: the training script (``scripts/train_sentiment.py``) imports it, so training and inference
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
import operator
import re
from collections.abc import Mapping, Sequence
from itertools import pairwise, repeat
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
FORMAT_VERSION = 1

_URL_RE = re.compile(r"https?(?::/+\S*)?\b|www\.\S+")
_HANDLE_RE = re.compile(r"@\w+")
# Punctuation marks and emoji are tokens of their own; "@" and "'" stay inside words ("@u", "don't"); the
# emoji variation selector and zero-width joiner count as spaces. A token is a run of anything else.
_SPLIT_OFF = (
    '!"#$%&()*+,-./:;<=>?[\\]^_`{|}~'
    "¡¿«»“”„…–—·•،؛؟。、！？（），：；"  # noqa: RUF001 - full-width and Arabic marks are deliberate
)
_EMOJI_RANGES = ((0x2190, 0x21FF), (0x2300, 0x23FF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))
_SPLIT_CLASS = "".join(map(re.escape, _SPLIT_OFF)) + "".join(f"{chr(a)}-{chr(b)}" for a, b in _EMOJI_RANGES)
_TOKEN_RE = re.compile(f"[^\\s{_SPLIT_CLASS}\ufe0f\u200d]+|[{_SPLIT_CLASS}]")
_ZEROS = repeat(0.0)
_TOKEN_LIMIT = 200  # a tweet has fewer; a very long text is judged by its start
_CHAR_LIMIT = 4_000


class ModelError(ValueError):
    """A model file that cannot be used (missing, malformed, wrong version)."""


def tokens(text: str) -> list[str]:
    """The normalised tokens of ``text`` (see the module doc)."""
    if len(text) > _CHAR_LIMIT:
        text = text[:_CHAR_LIMIT]
    if "&" in text:
        text = html.unescape(text)
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        lowered = _URL_RE.sub(" http ", lowered)
    if "@" in lowered:
        lowered = _HANDLE_RE.sub(" @u ", lowered)
    found = _TOKEN_RE.findall(lowered)
    return found[:_TOKEN_LIMIT] if len(found) > _TOKEN_LIMIT else found


def features(text: str) -> list[str]:
    """Token unigrams and bigrams of ``text`` (duplicates kept; the model counts each distinct one once)."""
    toks = tokens(text)
    return [*toks, *map(" ".join, pairwise(toks))]


class LinearModel:
    """One linear classifier: ``labels[0]`` is the reference class (weights stored relative to it)."""

    def __init__(
        self,
        labels: tuple[str, ...],
        bias: tuple[float, ...],
        weights: Mapping[str, tuple[float, ...]],
        dense_names: tuple[str, ...] = (),
        dense_weights: tuple[tuple[float, ...], ...] = (),
    ) -> None:
        self.labels = labels
        self.bias = bias
        self.weights = weights  # feature -> one weight per label after the first
        self.dense_names = dense_names
        self.dense_weights = dense_weights  # per dense feature: one weight per label after the first
        # One dict per scored class: summing map(dict.get) runs in C, which a loop over tuples does not.
        self._columns = [{k: w[i] for k, w in weights.items()} for i in range(len(labels) - 1)]
        self._dense_columns = [tuple(row[i] for row in dense_weights) for i in range(len(labels) - 1)]

    def scores(self, feats: Sequence[str], dense: Sequence[float] = ()) -> list[float]:
        """Unnormalised class scores (logits) of a text with features ``feats`` and dense values ``dense``."""
        distinct = set(feats)
        scale = 1.0 / math.sqrt(len(distinct)) if distinct else 0.0
        logits = [self.bias[0]]
        for bias, column, dense_column in zip(self.bias[1:], self._columns, self._dense_columns, strict=True):
            total = bias + sum(map(column.get, distinct, _ZEROS)) * scale
            if dense:
                total += sum(map(operator.mul, dense, dense_column))
            logits.append(total)
        return logits

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
