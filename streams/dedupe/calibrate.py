"""Measure the near-duplicate threshold on real tweets: ``python -m streams.dedupe.calibrate [CSV]``.

Positives: airline tweets (>= 5 words) with one synthetic light edit each (a typo, a word added or
dropped, two typos). Negatives: pairs of *different* tweets by the same user to the same airline.
Prints, per threshold, the share of edits caught and how many same-author pairs reach it; with
``--show`` also the same-author pairs at or above the default threshold, to read them. Seeded.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
from collections.abc import Sequence
from pathlib import Path

from streams.dedupe.authors import MIN_NEAR_WORDS, NEAR_THRESHOLD
from streams.dedupe.text import jaccard, numbers_hash, sketch, tokens

AIRLINE_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "airline-sentiment" / "Tweets.csv"
_FILLERS = ("really", "so", "please", "again", "today", "now")


def _typo(rng: random.Random, word: str) -> str:
    if len(word) <= 2:
        return word
    at = rng.randrange(len(word))
    return word[:at] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[at + 1 :]


def light_edit(rng: random.Random, text: str) -> str:
    words = text.split()
    at = rng.randrange(len(words))
    kind = rng.choice(("typo", "add", "drop", "two typos"))
    if kind == "typo":
        words[at] = _typo(rng, words[at])
    elif kind == "add":
        words.insert(at, rng.choice(_FILLERS))
    elif kind == "drop" and len(words) > MIN_NEAR_WORDS:
        del words[at]
    else:
        for _ in range(2):
            at = rng.randrange(len(words))
            words[at] = _typo(rng, words[at])
    return " ".join(words)


def score(a: list[bytes], b: list[bytes]) -> float:
    """What DedupeIndex compares: 0 when the numbers differ, else the sketch similarity."""
    if numbers_hash(a) != numbers_hash(b):
        return 0.0
    return jaccard(sketch(a), sketch(b))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("csv", nargs="?", type=Path, default=AIRLINE_CSV)
    parser.add_argument("--show", action="store_true", help="print same-author pairs at the default threshold")
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        print(f"{args.csv} is absent: nothing to measure")
        return 1
    with args.csv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(3)
    long_texts = [row["text"] for row in rows if len(tokens(row["text"])) >= MIN_NEAR_WORDS]
    positives = []
    for text in rng.sample(long_texts, min(3000, len(long_texts))):
        a, b = tokens(text), tokens(light_edit(rng, text))
        if a != b and len(b) >= MIN_NEAR_WORDS:
            positives.append(score(a, b))
    by_author: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        if len(tokens(row["text"])) >= MIN_NEAR_WORDS:
            by_author.setdefault((row["name"], row["airline"]), []).append(row["text"])
    pairs = []
    for texts in by_author.values():
        for first, second in itertools.combinations(list(dict.fromkeys(texts))[:30], 2):
            ta, tb = tokens(first), tokens(second)
            if ta != tb:
                pairs.append((score(ta, tb), first, second))
    print(f"{len(positives):,} lightly edited tweets; {len(pairs):,} same-author pairs of different tweets")
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9):
        caught = sum(s >= threshold for s in positives) / len(positives)
        reached = sum(s >= threshold for s, _, _ in pairs)
        print(f"  threshold {threshold:.1f}: {caught:6.1%} of edits caught, {reached:4d} same-author pairs reach it")
    if args.show:
        for s, first, second in sorted(pairs, reverse=True):
            if s >= NEAR_THRESHOLD:
                print(f"{s:.2f} | {first[:90]!r} | {second[:90]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
