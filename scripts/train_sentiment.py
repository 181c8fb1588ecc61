"""Train the shipped sentiment models: ``python scripts/train_sentiment.py --data ../shared/data``.

One multinomial logistic regression per UMSAB language (ar de en es fr hi it pt) over the token
uni/bi-grams of ``streams.enrich.linear.features`` (the run-time featuriser), written to
``streams/enrich/models/sentiment.json``. English also gets VADER's compound score as dense features and
the *train* portion of the airline tweets (``streams.evaluation.datasets.read_airline(split="train")``,
down-weighted); the airline val portion and every UMSAB val split are never trained on: any training
text that also occurs in a val split is dropped.

C is chosen per language by 3-fold cross-validation on the training rows only; the val figures printed
at the end come from the pure-Python inference of the pruned, rounded weights actually written.

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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streams.enrich.linear import FORMAT_VERSION, MODELS_DIR, LinearModel, features  # noqa: E402
from streams.enrich.sentiment_model import LABELS, VADER_FEATURE_NAMES, vader_features  # noqa: E402
from streams.enrich.vader import Vader  # noqa: E402
from streams.evaluation.datasets import UMSAB_LANGUAGES, read_airline, read_umsab  # noqa: E402

SEED = 13
C_GRID = (1.0, 4.0)
AIRLINE_WEIGHT = 0.3  # English: an airline tweet counts for 0.3 of a UMSAB tweet
PRUNE_BELOW = 0.02  # features whose largest |relative weight| is smaller are not stored
MAX_FEATURES = 12_000  # per language: the features with the largest |relative weight| are kept
WEIGHT_SCALE = 0.001  # sparse weights are stored as integers in thousandths


def matrix(texts: Sequence[str], vocab: dict[str, int], dense: np.ndarray | None, grow: bool) -> sparse.csr_matrix:
    """Binary features scaled by 1/sqrt(distinct features of the text), as ``LinearModel.scores`` does."""
    indptr, indices, values = [0], [], []
    for text in texts:
        distinct = set(features(text))
        scale = 1.0 / math.sqrt(len(distinct)) if distinct else 0.0
        for feat in distinct:
            index = vocab.get(feat)
            if index is None and grow:
                index = vocab[feat] = len(vocab)
            if index is not None:
                indices.append(index)
                values.append(scale)
        indptr.append(len(indices))
    width = len(vocab)
    x = sparse.csr_matrix((values, indices, indptr), shape=(len(texts), width))
    if dense is not None:
        x = sparse.hstack([x, sparse.csr_matrix(dense)]).tocsr()
    return x


def fit(x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000, random_state=SEED).fit(x, y, sample_weight=weight)


def choose_c(texts: list[str], y: np.ndarray, weight: np.ndarray, dense: np.ndarray | None) -> tuple[float, float]:
    """The C of ``C_GRID`` with the best mean 3-fold macro-F1 on the training rows (and that score)."""
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
    best = (C_GRID[0], -1.0)
    for c in C_GRID:
        scores = []
        for train_idx, test_idx in folds.split(texts, y):
            vocab: dict[str, int] = {}
            d_train = dense[train_idx] if dense is not None else None
            d_test = dense[test_idx] if dense is not None else None
            x_train = matrix([texts[i] for i in train_idx], vocab, d_train, grow=True)
            x_test = matrix([texts[i] for i in test_idx], vocab, d_test, grow=False)
            model = fit(x_train, y[train_idx], weight[train_idx], c)
            scores.append(f1_score(y[test_idx], model.predict(x_test), average="macro"))
        mean = float(np.mean(scores))
        if mean > best[1]:
            best = (c, mean)
    return best


def export(model: LogisticRegression, vocab: dict[str, int], dense_names: Sequence[str]) -> dict[str, Any]:
    """The model as ``LinearModel.from_dict`` reads it: weights relative to LABELS[0], pruned and rounded."""
    order = [list(model.classes_).index(label) for label in LABELS]
    coef = model.coef_[order]
    intercept = model.intercept_[order]
    relative = (coef[1:] - coef[0]).T  # (features, labels - 1)
    n_sparse = len(vocab)
    strength = np.abs(relative[:n_sparse]).max(axis=1)
    ranked = sorted(vocab.items(), key=lambda item: -strength[item[1]])[:MAX_FEATURES]
    weights = {
        feat: [round(float(x) / WEIGHT_SCALE) for x in relative[index]]
        for feat, index in ranked
        if strength[index] >= PRUNE_BELOW
    }
    dense_rows = [[round(float(x), 4) for x in relative[n_sparse + i]] for i in range(len(dense_names))]
    return {
        "labels": list(LABELS),
        "bias": [0.0, *(round(float(b - intercept[0]), 4) for b in intercept[1:])],
        "weight_scale": WEIGHT_SCALE,
        "weights": dict(sorted(weights.items())),
        "dense_names": list(dense_names),
        "dense_weights": dense_rows,
    }


def evaluate(
    model: LinearModel, texts: Sequence[str], gold: Sequence[str], dense: Callable[[str], Sequence[float]] | None
) -> float:
    predicted = []
    for text in texts:
        probs = model.probabilities(features(text), dense(text) if dense else ())
        predicted.append(model.labels[probs.index(max(probs))])
    return float(f1_score(gold, predicted, average="macro"))


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=MODELS_DIR / "sentiment.json")
    parser.add_argument("--languages", default=",".join(UMSAB_LANGUAGES), help="UMSAB folders to train")
    parser.add_argument("--airline-weight", type=float, default=AIRLINE_WEIGHT, help="0 leaves the airline tweets out")
    args = parser.parse_args(argv)
    vader = Vader()
    airline_train = read_airline(args.data, "train")
    airline_val = read_airline(args.data, "val")
    val_texts = {row.text for row in airline_val}
    for folder in UMSAB_LANGUAGES:
        val_texts.update(row.text for row in read_umsab(args.data, folder, "val"))

    models: dict[str, Any] = {}
    report: dict[str, Any] = {}
    for folder in args.languages.split(","):
        started = time.perf_counter()
        code = UMSAB_LANGUAGES[folder]
        rows = [(r.text, r.sentiment, 1.0) for r in read_umsab(args.data, folder, "train")]
        english = code == "en"
        if english and args.airline_weight > 0:
            rows += [(r.text, r.sentiment, args.airline_weight) for r in airline_train]
        dropped = sum(text in val_texts for text, _, _ in rows)
        rows = [row for row in rows if row[0] not in val_texts]
        texts = [text for text, _, _ in rows]
        y = np.array([label for _, label, _ in rows])
        weight = np.array([w for _, _, w in rows])
        dense_fn = (lambda text: vader_features(vader.compound(text))) if english else None
        dense = np.array([dense_fn(text) for text in texts]) if dense_fn else None
        c, cv_score = choose_c(texts, y, weight, dense)
        vocab: dict[str, int] = {}
        final = fit(matrix(texts, vocab, dense, grow=True), y, weight, c)
        exported = export(final, vocab, VADER_FEATURE_NAMES if english else ())
        linear = LinearModel.from_dict(exported)
        val_rows = read_umsab(args.data, folder, "val")
        val_score = evaluate(linear, [r.text for r in val_rows], [r.sentiment for r in val_rows], dense_fn)
        scores = {"cv_train_macro_f1": round(cv_score, 4), "umsab_val_macro_f1": round(val_score, 4)}
        if english:
            airline_score = evaluate(
                linear, [r.text for r in airline_val], [r.sentiment for r in airline_val], dense_fn
            )
            scores["airline_val_macro_f1"] = round(airline_score, 4)
        models[code] = exported
        report[code] = {
            "train_rows": len(rows),
            "dropped_as_in_val": dropped,
            "C": c,
            "stored_features": len(exported["weights"]),
            "vocabulary": len(vocab),
            **scores,
        }
        print(f"{code}: {report[code]} ({time.perf_counter() - started:.0f} s)", flush=True)

    payload = {
        "format_version": FORMAT_VERSION,
        "kind": "sentiment",
        "provenance": {
            "script": "scripts/train_sentiment.py",
            "commit": git_commit(),
            "seed": SEED,
            "data": "UMSAB (cardiffnlp/xlm-t @ 874214d6, data/sentiment/) train splits; English also "
            "Twitter US Airline Sentiment train portion (crc32(tweet_id) % 5 != 0), weight "
            f"{args.airline_weight}",
            "airline_weight": args.airline_weight,
            "prune_below": PRUNE_BELOW,
            "max_features": MAX_FEATURES,
            "c_grid": list(C_GRID),
            "scores": report,
        },
        "languages": models,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, separators=(",", ":"))
        handle.write("\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
