"""Small linear text classifiers shipped as JSON: featuriser and inference without numpy (optionally in C).

A model scores ``bias + (sum of the weights of the text's features) / sqrt(number of features)
+ dense · dense_weights`` per class and turns the scores into probabilities with a softmax. Features are
lower-cased whitespace tokens (handles -> ``@u``, links -> ``http``, ASCII and common Unicode
punctuation marks and emoji split off as tokens of their own) and adjacent-token bigrams, counted: a
feature that occurs twice adds its weight twice, and the normaliser is the number of features, so
inference streams them from the tokens without building a list or a set. ``features`` is the one
featuriser: the training script (``scripts/train_sentiment.py``) imports it, so training and inference
cannot drift apart. Only features with a non-negligible weight are stored.

A model may add a second block, character n-grams (``char_grams``: 2 to 5 code points of each token padded
with spaces), counted and scaled by 1/sqrt(number of grams) on their own: they carry what word features miss
in inflected languages and misspelt or elongated words ("sooo baaad") at ~5 µs a text in C.

A model may also use a lexicon (feature -> valence, e.g. VADER's word valences): the text's valences are
summed (counted, not normalised) and ``lexicon_features`` turns the sum into its first dense features. Its
last two dense features, the positive and the negative valences scaled like the feature counts, are linear
in the counts, so their weights are folded into the features' weights when the model is built.

Weights are stored relative to the first class (its weights are implicitly 0), which leaves the softmax
unchanged and saves a third of the file. In memory each feature's relative weights and its valence are
packed into one int (``_FIELD_BITS`` bits each, in units of ``_QUANTUM``): one dict lookup per feature
and one C-level integer ``sum`` (no allocation while it fits a C long, as three fields do) give every
class's total and the valence sum at once, and one dict instead of one per class stays in the CPU caches.
Bigrams are keyed by their token pair as ``itertools.pairwise`` yields it: no string is joined or hashed per
bigram (a tuple's hash combines its tokens' hashes, which the unigram lookups have cached), ~25% less time.

Where the optional C extension ``streams.enrich._featurise`` was built (setup.py; it needs a C compiler), a
model hands its packed weights to a ``FeatureTable`` and drops its dicts: the table tokenises the prepared
text and sums the weights in one pass without a Python object per token (~2.5x faster, ~1/3 of the memory),
with the same sums as the dicts (tests/unit/test_featurise.py compares them on real and random text); a
second table in character mode does the same for the n-grams.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from itertools import pairwise, repeat
from pathlib import Path
from typing import Any

try:  # the optional C featuriser (setup.py); the pure-Python path below gives the same sums
    from streams.enrich._featurise import FeatureTable
except ImportError:  # pragma: no cover - built without a C compiler
    FeatureTable = None  # type: ignore[assignment,misc]

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
FORMAT_VERSION = 2  # 2: features are counted (1: distinct features, binary)

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
_SEPARATORS = "\ufe0f\u200d"
_TOKEN_RE = re.compile(f"[^\\s{_SPLIT_CLASS}{_SEPARATORS}]+|[{_SPLIT_CLASS}]")
_ZEROS = repeat(0)
_QUANTUM = 2**-8  # packed weights and valences are integers in these units
_FIELD_BITS = 21  # per packed value; three fit a C long, so ``sum`` adds them without allocating
_HALF = 1 << (_FIELD_BITS - 1)
_MASK = (1 << _FIELD_BITS) - 1
_TOKEN_LIMIT = 200  # a tweet has fewer; a very long text is judged by its start
# A field's sum over the at most 2 * _TOKEN_LIMIT features of a text must stay inside the field.
WEIGHT_LIMIT = _HALF * _QUANTUM / (2 * _TOKEN_LIMIT)  # 10.24
_FOLD_LIMIT = WEIGHT_LIMIT - 0.01
_CHAR_LIMIT = 4_000
# Character n-grams (``char_grams``): every substring of CHAR_NGRAM_MIN..CHAR_NGRAM_MAX code points of each
# token padded with a space on both sides, token by token, the first CHAR_GRAM_LIMIT of them.
CHAR_NGRAM_MIN, CHAR_NGRAM_MAX = 2, 5
CHAR_GRAM_LIMIT = 2_048
# A class's sum over at most CHAR_GRAM_LIMIT grams must stay inside its field: character weights are smaller.
CHAR_WEIGHT_LIMIT = _HALF * _QUANTUM / CHAR_GRAM_LIMIT  # 2.0


class ModelError(ValueError):
    """A model file that cannot be used (missing, malformed, wrong version)."""


def prepare(text: str) -> str:
    """``text`` as the tokeniser reads it: cut to its first _CHAR_LIMIT characters, HTML entities decoded,
    lower-cased, links replaced by ``http`` and handles by ``@u``."""
    if len(text) > _CHAR_LIMIT:
        text = text[:_CHAR_LIMIT]
    if "&" in text:
        text = html.unescape(text)
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        lowered = _URL_RE.sub(" http ", lowered)
    if "@" in lowered:
        lowered = _HANDLE_RE.sub(" @u ", lowered)
    return lowered


def tokens(text: str) -> list[str]:
    """The normalised tokens of ``text`` (see the module doc)."""
    found = _TOKEN_RE.findall(prepare(text))
    return found[:_TOKEN_LIMIT] if len(found) > _TOKEN_LIMIT else found


def _feature_table(unigrams: dict[str, int], bigrams: dict[tuple[str, ...], int]) -> FeatureTable | None:
    """The compiled featuriser's table of these weights; None without the C extension (or when a feature does
    not fit it), and the pure-Python path scores instead."""
    if FeatureTable is None:
        return None
    # A stored "bigram" of other than two tokens (a key with two spaces) can never match: the table skips it.
    pairs: dict[tuple[str, ...], int] = {pair: value for pair, value in bigrams.items() if len(pair) == 2}
    try:
        return FeatureTable(unigrams, pairs, _SPLIT_OFF, _EMOJI_RANGES, _SEPARATORS, _TOKEN_LIMIT)
    except (TypeError, ValueError, OverflowError) as exc:
        logger.warning("compiled featuriser unavailable for a model, using the Python path: %s", exc)
        return None


def _char_table(grams: dict[str, int]) -> FeatureTable | None:
    """The compiled featuriser's table of character n-gram weights (``char_grams``); None as above."""
    if FeatureTable is None:
        return None
    try:
        return FeatureTable(
            grams,
            {},
            _SPLIT_OFF,
            _EMOJI_RANGES,
            _SEPARATORS,
            _TOKEN_LIMIT,
            char_ngrams=(CHAR_NGRAM_MIN, CHAR_NGRAM_MAX, CHAR_GRAM_LIMIT),
        )
    except (TypeError, ValueError, OverflowError) as exc:
        logger.warning("compiled featuriser unavailable for a model's character n-grams, using Python: %s", exc)
        return None


def features(text: str) -> list[str]:
    """Token unigrams and bigrams of ``text``, duplicates kept (the model counts them)."""
    toks = tokens(text)
    return [*toks, *map(" ".join, pairwise(toks))]


def char_grams(toks: Sequence[str]) -> list[str]:
    """The character n-grams of the tokens ``toks``, duplicates kept, in the order the C featuriser reads them:
    token by token, start by start, shortest first; at most CHAR_GRAM_LIMIT. A token is padded with a space on
    each side, so a gram at a word's edge differs from the same letters inside one (" go" vs "go")."""
    grams: list[str] = []
    for tok in toks:
        padded = f" {tok} "
        size = len(padded)
        for start in range(size - CHAR_NGRAM_MIN + 1):
            grams += [padded[start : start + n] for n in range(CHAR_NGRAM_MIN, min(CHAR_NGRAM_MAX, size - start) + 1)]
        if len(grams) >= CHAR_GRAM_LIMIT:
            return grams[:CHAR_GRAM_LIMIT]
    return grams


LEXICON_FEATURE_NAMES = (
    "lexicon_score",
    "lexicon_positive_part",
    "lexicon_negative_part",
    "lexicon_zero",
    "lexicon_positive_label",
    "lexicon_negative_label",
    "lexicon_positive_sum",  # folded into the weights
    "lexicon_negative_sum",  # folded into the weights
)
LEXICON_ALPHA = 15.0  # VADER's normalisation of a valence sum into (-1, 1)


def lexicon_features(valence_sum: float) -> tuple[float, ...]:
    """The first six dense features of ``LEXICON_FEATURE_NAMES`` from a text's summed lexicon valence.

    The score is the sum normalised the way VADER normalises its compound score, with VADER's thresholds.
    """
    score = valence_sum / math.sqrt(valence_sum * valence_sum + LEXICON_ALPHA)
    return (
        score,
        score if score > 0 else 0.0,
        score if score < 0 else 0.0,
        1.0 if score == 0 else 0.0,
        1.0 if score >= 0.05 else 0.0,
        1.0 if score <= -0.05 else 0.0,
    )


def _pack(row: Sequence[float], limit: float = WEIGHT_LIMIT) -> int:
    packed = 0
    for index, weight in enumerate(row):
        if not abs(weight) < limit:  # also NaN and infinities, which round() would raise on
            raise ModelError(f"malformed linear model: weight {weight} is out of range")
        field = round(weight / _QUANTUM)
        packed += field << (_FIELD_BITS * index)
    return packed


def _unpack(total: int, width: int, scale: float) -> tuple[list[float], int]:
    """The first ``width`` fields of a packed sum, each times ``scale``, and what is left above them."""
    fields = []
    for _ in range(width):
        field = ((total + _HALF) & _MASK) - _HALF
        total = (total - field) >> _FIELD_BITS
        fields.append(field * scale)
    return fields, total


class LinearModel:
    """One linear classifier: ``labels[0]`` is the reference class (weights stored relative to it).

    With a ``lexicon``, ``dense_names`` must be ``LEXICON_FEATURE_NAMES``: the dense features are computed
    from the text's valence sum. Without one there are no dense features. ``char_weights`` (optional) are the
    weights of character n-grams (``char_grams``), a second block of counted features with its own
    1/sqrt(number of grams) scale.
    """

    def __init__(
        self,
        labels: tuple[str, ...],
        bias: tuple[float, ...],
        weights: Mapping[str, tuple[float, ...]],
        dense_names: tuple[str, ...] = (),
        dense_weights: tuple[tuple[float, ...], ...] = (),
        lexicon: Mapping[str, float] | None = None,
        char_weights: Mapping[str, tuple[float, ...]] | None = None,
    ) -> None:
        if dense_names != (LEXICON_FEATURE_NAMES if lexicon else ()):
            raise ModelError(f"malformed linear model: dense features {dense_names} need a lexicon")
        self.labels = labels
        self.bias = bias
        self.dense_names = dense_names
        self.dense_weights = dense_weights  # per dense feature: one weight per label after the first
        # The lexicon is only read here (its valences are packed with the weights): keeping the parsed file's
        # strings alive would pin the memory the whole parse used (see streams.runtime.heap).
        lexicon = lexicon or {}
        width = len(labels) - 1
        self._width = width
        self._relative_bias = tuple(b - bias[0] for b in bias[1:])
        self._dense_columns = [tuple(row[i] for row in dense_weights) for i in range(width)]
        if lexicon:
            zeros = (0.0,) * width
            positive, negative = dense_weights[-2], dense_weights[-1]
            folded = dict(weights)
            for feat, valence in lexicon.items():
                row = folded.get(feat, zeros)
                slope = positive if valence > 0 else negative
                # Clipped into the packable range (the training script evaluates through this class).
                folded[feat] = tuple(
                    max(-_FOLD_LIMIT, min(_FOLD_LIMIT, w + s * valence)) for w, s in zip(row, slope, strict=True)
                )
            packed = {feat: _pack((*row, lexicon.get(feat, 0.0))) for feat, row in folded.items()}
        else:
            packed = {feat: _pack(row) for feat, row in weights.items()}
        # Tokens hold no whitespace, so a feature with a space is a bigram ("a b" -> ("a", "b")); a pair's
        # tokens are the unigram keys' own strings where there is one (less memory).
        self._unigrams = {feat: value for feat, value in packed.items() if " " not in feat}
        shared = {feat: feat for feat in self._unigrams}
        self._bigrams: dict[tuple[str, ...], int] = {}
        for feat, value in packed.items():
            if " " in feat:
                self._bigrams[tuple(shared.setdefault(part, part) for part in feat.split(" "))] = value
        self._chars = {gram: _pack(row, CHAR_WEIGHT_LIMIT) for gram, row in (char_weights or {}).items()}
        self.char_grams = bool(self._chars)
        # With the C featuriser, the dicts above are only its input: it holds the same weights in ~1/3 of the
        # memory, and scoring reads it alone.
        self._table = _feature_table(self._unigrams, self._bigrams)
        self._char_table = _char_table(self._chars) if self._chars else None
        if self._table is not None:
            self._unigrams, self._bigrams = {}, {}
        if self._char_table is not None:
            self._chars = {}
        # lexicon_features is piecewise linear: per class, (slope, weight at or beyond the label threshold)
        # for a positive and for a negative score, and the weight of a zero sum (see _relative).
        self._lexicon_rows = [
            (score + positive, positive_label, score + negative, negative_label, zero)
            for score, positive, negative, zero, positive_label, negative_label, _, _ in (
                self._dense_columns if self.dense_names else ()
            )
        ]

    @property
    def compiled(self) -> bool:
        """Whether this model scores through the compiled featuriser."""
        return self._table is not None and (self._char_table is not None or not self.char_grams)

    def _relative(self, total: int, count: int) -> list[float]:
        """Logits of the classes after the first minus the first's, from the packed sum of ``count`` features."""
        fields, total = _unpack(total, self._width, _QUANTUM / math.sqrt(count) if count else 0.0)
        logits = [bias + field for bias, field in zip(self._relative_bias, fields, strict=True)]
        if self._lexicon_rows:  # what is left of the total is the valence sum: lexicon_features, unrolled
            if total == 0:
                for i, row in enumerate(self._lexicon_rows):
                    logits[i] += row[4]
            else:
                valence = total * _QUANTUM
                score = valence / math.sqrt(valence * valence + LEXICON_ALPHA)
                for i, (up, up_label, down, down_label, _) in enumerate(self._lexicon_rows):
                    if score > 0:
                        logits[i] += score * up + (up_label if score >= 0.05 else 0.0)
                    else:
                        logits[i] += score * down + (down_label if score <= -0.05 else 0.0)
        return logits

    def relative_scores(self, text: str) -> list[float]:
        """The logits of the classes after the first minus the first's: the fast path.

        The features are streamed from the tokens into the lookups and the sum, never materialised.
        """
        if self._table is not None:
            prepared = prepare(text)
            total, count = self._table.score(prepared)
            logits = self._relative(total, 2 * count - 1 if count else 0)
            if self._char_table is not None:
                char_total, char_count = self._char_table.score(prepared)
            elif self.char_grams:
                char_total, char_count = self._char_sum(tokens(text))
            else:
                return logits
        else:
            toks = tokens(text)
            total = sum(map(self._unigrams.get, toks, _ZEROS)) + sum(map(self._bigrams.get, pairwise(toks), _ZEROS))
            logits = self._relative(total, 2 * len(toks) - 1 if toks else 0)
            if not self.char_grams:
                return logits
            char_total, char_count = self._char_sum(toks)
        fields, _ = _unpack(char_total, self._width, _QUANTUM / math.sqrt(char_count) if char_count else 0.0)
        return [logit + field for logit, field in zip(logits, fields, strict=True)]

    def _char_sum(self, toks: list[str]) -> tuple[int, int]:
        """The Python path of the character table's ``score``: packed sum of the grams' weights, and their number."""
        grams = char_grams(toks)
        return sum(map(self._chars.get, grams, _ZEROS)), len(grams)

    def scores(self, text: str) -> list[float]:
        """Unnormalised class scores (logits) of ``text``."""
        first = self.bias[0]
        return [first, *(first + x for x in self.relative_scores(text))]

    def probabilities(self, text: str) -> list[float]:
        """Softmax of ``scores``, in the order of ``labels``."""
        logits = self.scores(text)
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        return [e / total for e in exps]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], lexicon: Mapping[str, float] | None = None) -> LinearModel:
        """The model in ``data``; its lexicon is ``data["lexicon"]`` or, if absent, ``lexicon`` (one shared
        by several models), used only when ``data`` names the lexicon features as its dense features."""
        try:
            labels = tuple(str(label) for label in data["labels"])
            bias = tuple(float(b) for b in data["bias"])
            width = len(labels) - 1
            scale = float(data.get("weight_scale", 1.0))
            weights = {str(k): tuple(float(x) * scale for x in v) for k, v in data["weights"].items()}
            dense_names = tuple(str(name) for name in data.get("dense_names", ()))
            dense_weights = tuple(tuple(float(x) for x in row) for row in data.get("dense_weights", ()))
            raw_lexicon = data.get("lexicon", lexicon or {}) if dense_names else {}
            lexicon = {str(k): float(v) for k, v in raw_lexicon.items()}
            char_weights = {str(k): tuple(float(x) * scale for x in v) for k, v in data.get("char_weights", {}).items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelError(f"malformed linear model: {type(exc).__name__}: {exc}") from None
        if width < 1 or len(bias) != len(labels):
            raise ModelError("malformed linear model: labels and bias do not match")
        rows = (*weights.values(), *char_weights.values(), *dense_weights)
        if any(len(row) != width for row in rows):
            raise ModelError("malformed linear model: a weight row has the wrong width")
        if len(dense_weights) != len(dense_names):
            raise ModelError("malformed linear model: dense names and weights do not match")
        return cls(labels, bias, weights, dense_names, dense_weights, lexicon, char_weights)


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
