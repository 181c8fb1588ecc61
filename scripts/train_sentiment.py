"""Train the shipped sentiment models: ``python scripts/train_sentiment.py --data ../shared/data``.

One multinomial logistic regression per language folder (shipped: the UMSAB languages ar de en es fr hi it
pt) over the counted token uni/bi-grams of ``streams.enrich.linear.features`` (the run-time featuriser),
written to ``streams/enrich/models/sentiment.json`` (``--out`` for another file). Val splits are never
trained on: any training text that also occurs in a val split is dropped.

Training data (``--data DIR``), the UMSAB layout, so a user can retrain on their own labelled mentions::

    DIR/umsab/<language>/train_text.txt     one text per line (UTF-8; literal \\uXXXX escapes are decoded)
    DIR/umsab/<language>/train_labels.txt   one label per line: 0 negative, 1 neutral, 2 positive
    DIR/umsab/<language>/val_text.txt       optional: held out, scored at the end
    DIR/umsab/<language>/val_labels.txt

``<language>`` is one of arabic english french german hindi italian portuguese spanish (the file holds a
model for each folder trained; the enricher uses a language's model when the detector answers its code).
Line n of the labels file labels line n of the text file; a text must not contain a line break. Every
folder present is trained unless ``--languages`` names some. The output file holds only the languages
trained: to keep the shipped models of other languages, train them too.

English can also take the train portion of the Twitter US Airline Sentiment tweets
(``DIR/airline-sentiment/Tweets.csv``) with ``--airline-weight W`` (0, the default, leaves them out: their
licence, CC BY-NC-SA 4.0, is non-commercial, and the shipped weights must not inherit it). When that file
is present its val portion is scored and kept out of training either way.

Lexicon (offered to every language: emoji are universal, tweets mix in English words): VADER's word
valences, emoji valences (the summed valence of their description's words) and, for a negation word
followed by a lexicon word seen in the training texts, the bigram's valence (N_SCALAR - 1) times the word's,
so "not good" nets VADER's negated valence. A text's valences are summed over its features and
``streams.enrich.linear.lexicon_features`` turns the sum into dense features (VADER's normalisation and
thresholds): a cheap stand-in for VADER's compound score, computed in the same dict lookups as the
weights. Two more columns, the positive and the negative valences scaled like the feature counts, are
linear in the counts: ``LinearModel`` folds them into the feature weights. The lexicon is stored once in
the file; inference runs no VADER.

C, and whether the lexicon features are used, are chosen per language by 3-fold cross-validation on the
training rows only (with several sources, a fold's score is the mean of the sources' macro-F1); the val
figures printed at the end come from the pure-Python inference of the pruned, rounded weights actually
written. ``--jobs`` fits that many CV folds at once (default 1).

Needs the optional ``train`` extra (scikit-learn, numpy): ``pip install -e '.[train]'``. The product does
not: inference is pure Python.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from vaderSentiment.vaderSentiment import N_SCALAR, SentimentIntensityAnalyzer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streams.enrich.linear import (  # noqa: E402
    CHAR_WEIGHT_LIMIT,
    FORMAT_VERSION,
    LEXICON_FEATURE_NAMES,
    MODELS_DIR,
    WEIGHT_LIMIT,
    LinearModel,
    char_grams,
    features,
    lexicon_features,
    tokens,
)
from streams.enrich.sentiment_model import LABELS  # noqa: E402
from streams.enrich.vader import NEGATIONS  # noqa: E402
from streams.evaluation.datasets import (  # noqa: E402
    UMSAB_LANGUAGES,
    AirlineRow,
    UmsabRow,
    read_airline,
    read_umsab,
)

SEED = 13
C_GRID = (1.0, 4.0, 16.0)
# English may add the airline tweets' train portion at this weight (``--airline-weight 0.3`` was the old
# default). Their licence (CC BY-NC-SA 4.0) is non-commercial, so the shipped weights leave them out: 0.
AIRLINE_WEIGHT = 0.0
PRUNE_BELOW = 0.02  # features whose largest |relative weight| is smaller are not stored
MAX_FEATURES = 20_000  # English: the features with the largest |relative weight| are kept (and the lexicon)
# The other languages' vocabularies are 20-36k features; keeping half of them costs less than 0.01 val
# macro-F1 and ~10 MB of worker memory (models/README.md).
MAX_FEATURES_OTHER = 10_000
MAX_CHAR_FEATURES = 10_000  # per language, where cross-validation chose character n-grams
WEIGHT_SCALE = 0.001  # sparse weights are stored as integers in thousandths
JOBS = 1  # cross-validation fits in parallel (``--jobs``)


def lexicon_valences(vocabulary: set[str]) -> dict[str, float]:
    """Feature -> valence (see the module doc). Negated bigrams are kept only when in ``vocabulary`` (the
    features of all training texts): the other few hundred thousand combinations would bloat the file."""
    analyzer = SentimentIntensityAnalyzer()
    lexicon: dict[str, float] = analyzer.lexicon
    emojis: dict[str, str] = {char: text for char, text in analyzer.emojis.items() if len(char) == 1}
    valences: dict[str, float] = {}
    for entry, valence in lexicon.items():
        toks = tokens(entry)
        if 1 <= len(toks) <= 2:
            valences.setdefault(" ".join(toks), valence)
    for char, description in sorted(emojis.items()):
        toks = tokens(char)
        valence = sum(lexicon.get(word, 0.0) for word in description.split())
        if len(toks) == 1 and valence:
            valences.setdefault(toks[0], valence)
    words = [(feat, valence) for feat, valence in valences.items() if " " not in feat]
    for negation in sorted(NEGATIONS):
        toks = tokens(negation)
        if len(toks) == 1:
            for word, valence in words:
                bigram = f"{toks[0]} {word}"
                if bigram in vocabulary:
                    valences[bigram] = valence * (N_SCALAR - 1.0)
    # Multiples of the packing quantum (1/256): the sums here equal the model's integer sums exactly.
    return {feat: round(valence * 256) / 256 for feat, valence in valences.items() if round(valence * 256)}


def lexicon_row(feats: Sequence[str], valences: dict[str, float]) -> tuple[float, ...]:
    """The dense ``LEXICON_FEATURE_NAMES`` of ``feats``, as ``LinearModel`` computes them: ``lexicon_features`` of
    the summed valences, then the positive and the negative valences summed and scaled like the counts."""
    found = [valences[feat] for feat in feats if feat in valences]
    scale = 1.0 / math.sqrt(len(feats)) if feats else 0.0
    positive = scale * sum(v for v in found if v > 0)
    negative = scale * sum(v for v in found if v < 0)
    return (*lexicon_features(sum(found)), positive, negative)


def counts(rows: Sequence[Sequence[str]], vocab: dict[str, int], grow: bool) -> sparse.csr_matrix:
    """Each row's feature counts scaled by 1/sqrt(its number of features), as ``LinearModel`` scales them."""
    indptr, indices, values = [0], [], []
    for feats in rows:
        scale = 1.0 / math.sqrt(len(feats)) if feats else 0.0
        for feat in feats:
            index = vocab.get(feat)
            if index is None and grow:
                index = vocab[feat] = len(vocab)
            if index is not None:
                indices.append(index)
                values.append(scale)
        indptr.append(len(indices))
    x = sparse.csr_matrix((values, indices, indptr), shape=(len(rows), len(vocab)))
    x.sum_duplicates()
    return x


def matrix(
    texts: Sequence[str],
    vocab: dict[str, int],
    char_vocab: dict[str, int] | None,
    valences: dict[str, float] | None,
    grow: bool,
) -> sparse.csr_matrix:
    """The token uni/bigram block, then the character n-gram block when ``char_vocab`` is given, then the
    lexicon columns when ``valences`` is."""
    word_rows = [features(text) for text in texts]
    blocks = [counts(word_rows, vocab, grow)]
    if char_vocab is not None:
        blocks.append(counts([char_grams(tokens(text)) for text in texts], char_vocab, grow))
    if valences is not None:
        blocks.append(sparse.csr_matrix(np.array([lexicon_row(feats, valences) for feats in word_rows])))
    return sparse.hstack(blocks).tocsr() if len(blocks) > 1 else blocks[0]


def fit(x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000, random_state=SEED).fit(x, y, sample_weight=weight)


def choose(
    texts: list[str],
    y: np.ndarray,
    weight: np.ndarray,
    sources: np.ndarray,
    valences: dict[str, float] | None,
    jobs: int = JOBS,
) -> tuple[float, bool, bool, float]:
    """The C of ``C_GRID``, whether to use the lexicon (offered when ``valences`` is given) and whether to add
    character n-grams, with the best 3-fold macro-F1 on the training rows, and that score. With several
    ``sources`` (English: UMSAB and airline tweets) a fold's score is the mean of the sources' macro-F1, so the
    many airline tweets do not decide alone."""
    folds = list(StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED).split(texts, y))
    lexicon_options = (False, True) if valences is not None else (False,)
    configs = [(c, use, chars) for chars in (False, True) for use in lexicon_options for c in C_GRID]

    def fold_score(c: float, use_lexicon: bool, use_chars: bool, train_idx: np.ndarray, test_idx: np.ndarray) -> float:
        vocab: dict[str, int] = {}
        char_vocab: dict[str, int] | None = {} if use_chars else None
        lexicon = valences if use_lexicon else None
        x_train = matrix([texts[i] for i in train_idx], vocab, char_vocab, lexicon, grow=True)
        x_test = matrix([texts[i] for i in test_idx], vocab, char_vocab, lexicon, grow=False)
        predicted = fit(x_train, y[train_idx], weight[train_idx], c).predict(x_test)
        test_sources = sources[test_idx]
        return float(
            np.mean(
                [
                    f1_score(y[test_idx][test_sources == source], predicted[test_sources == source], average="macro")
                    for source in np.unique(test_sources)
                ]
            )
        )

    results = Parallel(n_jobs=jobs)(
        delayed(fold_score)(*config, train_idx, test_idx) for config in configs for train_idx, test_idx in folds
    )
    best = (C_GRID[0], False, False, -1.0)
    for index, (c, use_lexicon, use_chars) in enumerate(configs):
        mean = float(np.mean(results[index * len(folds) : (index + 1) * len(folds)]))
        print(f"  C={c} lexicon={use_lexicon} char n-grams={use_chars}: 3-fold macro-F1 {mean:.4f}", flush=True)
        if mean > best[3]:
            best = (c, use_lexicon, use_chars, mean)
    return best


def strongest(
    relative: np.ndarray, vocab: dict[str, int], offset: int, limit: float, max_features: int
) -> dict[str, list[int]]:
    """The ``max_features`` features of ``vocab`` (columns from ``offset`` on) with the largest |weight| of at
    least PRUNE_BELOW, clipped to ``limit``, in units of WEIGHT_SCALE."""
    block = np.clip(relative[offset : offset + len(vocab)], -limit, limit)
    strength = np.abs(block).max(axis=1)
    ranked = sorted(vocab.items(), key=lambda item: -strength[item[1]])[:max_features]
    return {
        feat: [round(float(x) / WEIGHT_SCALE) for x in block[index]]
        for feat, index in ranked
        if strength[index] >= PRUNE_BELOW
    }


def export(
    model: LogisticRegression,
    vocab: dict[str, int],
    char_vocab: dict[str, int] | None,
    valences: dict[str, float] | None,
    max_features: int,
) -> dict[str, Any]:
    """The model as ``LinearModel.from_dict`` reads it: weights relative to LABELS[0], pruned and rounded."""
    order = [list(model.classes_).index(label) for label in LABELS]
    coef = model.coef_[order]
    intercept = model.intercept_[order]
    relative = (coef[1:] - coef[0]).T  # (features, labels - 1)
    weights = strongest(relative, vocab, 0, WEIGHT_LIMIT - 0.01, max_features)
    exported: dict[str, Any] = {
        "labels": list(LABELS),
        "bias": [0.0, *(round(float(b - intercept[0]), 4) for b in intercept[1:])],
        "weight_scale": WEIGHT_SCALE,
        "weights": dict(sorted(weights.items())),
    }
    dense_offset = len(vocab)
    if char_vocab is not None:
        chars = strongest(relative, char_vocab, len(vocab), CHAR_WEIGHT_LIMIT - 0.01, MAX_CHAR_FEATURES)
        exported["char_weights"] = dict(sorted(chars.items()))
        dense_offset += len(char_vocab)
    if valences is not None:  # the lexicon itself is stored once per file
        exported["dense_names"] = list(LEXICON_FEATURE_NAMES)
        exported["dense_weights"] = [
            [round(float(x), 4) for x in np.clip(relative[dense_offset + i], -WEIGHT_LIMIT + 0.01, WEIGHT_LIMIT - 0.01)]
            for i in range(len(LEXICON_FEATURE_NAMES))
        ]
    return exported


def evaluate(model: LinearModel, texts: Sequence[str], gold: Sequence[str]) -> float:
    predicted = []
    for text in texts:
        probs = model.probabilities(text)
        predicted.append(model.labels[probs.index(max(probs))])
    return float(f1_score(gold, predicted, average="macro"))


def read_split(data: Path, folder: str, split: str) -> list[UmsabRow]:
    """The rows of ``data/umsab/<folder>/<split>_*.txt``; none when the folder has no such split."""
    if not (data / "umsab" / folder / f"{split}_text.txt").is_file():
        return []
    return read_umsab(data, folder, split)


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=MODELS_DIR / "sentiment.json")
    parser.add_argument(
        "--languages",
        default="",
        help="comma-separated language folders to train (default: every folder under DIR/umsab)",
    )
    parser.add_argument(
        "--airline-weight",
        type=float,
        default=AIRLINE_WEIGHT,
        help="English: weight of the airline tweets' train portion (non-commercial licence); 0, the default, "
        "leaves them out",
    )
    parser.add_argument("--jobs", type=int, default=JOBS, help="cross-validation fits run in parallel")
    return parser.parse_args(argv)


def train_language(
    args: argparse.Namespace,
    folder: str,
    val_texts: set[str],
    valences: dict[str, float],
    airline_train: Sequence[AirlineRow],
    airline_val: Sequence[AirlineRow],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The exported model of one language folder and its training report (C, lexicon, scores)."""
    started = time.perf_counter()
    code = UMSAB_LANGUAGES[folder]
    rows = [(r.text, r.sentiment, 1.0, "umsab") for r in read_split(args.data, folder, "train")]
    english = code == "en"
    if english and args.airline_weight > 0:
        rows += [(r.text, r.sentiment, args.airline_weight, "airline") for r in airline_train]
    dropped = sum(row[0] in val_texts for row in rows)
    rows = [row for row in rows if row[0] not in val_texts]
    texts = [row[0] for row in rows]
    y = np.array([row[1] for row in rows])
    weight = np.array([row[2] for row in rows])
    sources = np.array([row[3] for row in rows])
    print(f"{code}: {len(rows)} training rows", flush=True)
    c, use_lexicon, use_chars, cv_score = choose(texts, y, weight, sources, valences, args.jobs)
    lexicon = valences if use_lexicon else None
    vocab: dict[str, int] = {}
    char_vocab: dict[str, int] | None = {} if use_chars else None
    final = fit(matrix(texts, vocab, char_vocab, lexicon, grow=True), y, weight, c)
    exported = export(final, vocab, char_vocab, lexicon, MAX_FEATURES if english else MAX_FEATURES_OTHER)
    linear = LinearModel.from_dict(exported, valences)
    val_rows = read_split(args.data, folder, "val")
    scores = {"cv_train_macro_f1": round(cv_score, 4)}
    if val_rows:
        val_score = evaluate(linear, [r.text for r in val_rows], [r.sentiment for r in val_rows])
        scores["umsab_val_macro_f1"] = round(val_score, 4)
    if english and airline_val:
        airline_score = evaluate(linear, [r.text for r in airline_val], [r.sentiment for r in airline_val])
        scores["airline_val_macro_f1"] = round(airline_score, 4)
    report = {
        "train_rows": len(rows),
        "dropped_as_in_val": dropped,
        "C": c,
        "lexicon": use_lexicon,
        "char_ngrams": use_chars,
        "stored_features": len(exported["weights"]),
        "vocabulary": len(vocab),
        "stored_char_ngrams": len(exported.get("char_weights", {})),
        "char_vocabulary": len(char_vocab or {}),
        **scores,
    }
    print(f"{code}: {report} ({time.perf_counter() - started:.0f} s)", flush=True)
    return exported, report


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    airline_path = args.data / "airline-sentiment" / "Tweets.csv"
    # The airline val portion is only scored (and its texts kept out of training) when the file is there.
    airline_val = read_airline(args.data, "val") if airline_path.is_file() else []
    airline_train = read_airline(args.data, "train") if args.airline_weight > 0 else []
    present = [folder for folder in UMSAB_LANGUAGES if (args.data / "umsab" / folder / "train_text.txt").is_file()]
    folders = args.languages.split(",") if args.languages else present
    missing = sorted(set(folders) - set(present))
    if missing or not folders:
        raise SystemExit(f"no training files for {', '.join(missing) or 'any language'} under {args.data / 'umsab'}")
    val_texts = {row.text for row in airline_val}
    for folder in present:
        val_texts.update(row.text for row in read_split(args.data, folder, "val"))
    # The lexicon's negated bigrams are those seen in the texts actually trained on.
    train_texts = [row.text for row in airline_train]
    for folder in present:
        train_texts += [row.text for row in read_split(args.data, folder, "train")]
    valences = lexicon_valences({feat for text in train_texts if text not in val_texts for feat in features(text)})

    models: dict[str, Any] = {}
    report: dict[str, Any] = {}
    for folder in folders:
        code = UMSAB_LANGUAGES[folder]
        models[code], report[code] = train_language(args, folder, val_texts, valences, airline_train, airline_val)

    payload = {
        "format_version": FORMAT_VERSION,
        "kind": "sentiment",
        "provenance": {
            "script": "scripts/train_sentiment.py",
            "commit": git_commit(),
            "seed": SEED,
            "data": "UMSAB layout under --data (shipped: cardiffnlp/xlm-t @ 874214d6, data/sentiment/) "
            "train splits"
            + (
                "; English also Twitter US Airline Sentiment train portion (crc32(tweet_id) % 5 != 0), weight "
                f"{args.airline_weight}"
                if args.airline_weight > 0
                else ""
            ),
            "airline_weight": args.airline_weight,
            "prune_below": PRUNE_BELOW,
            "max_features": MAX_FEATURES,
            "max_features_other_languages": MAX_FEATURES_OTHER,
            "c_grid": list(C_GRID),
            "features": "counted token unigrams and bigrams (streams.enrich.linear.features), scaled by "
            "1/sqrt(count); where chosen, lexicon_features of the summed VADER-lexicon valences",
            "scores": report,
        },
        "languages": models,
        "lexicon": dict(sorted(valences.items())),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, separators=(",", ":"))
        handle.write("\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
