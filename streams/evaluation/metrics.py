"""Classification metrics as pure functions over gold and predicted labels (strings).

Conventions (the same in every function):

* Predictions outside the label set (e.g. ``unknown`` sentiment) are simply wrong: they count against
  accuracy and as a false negative for the gold class, and as a false positive for no class in the set.
* ``precision`` is ``None`` (undefined) when a class was never predicted; ``recall`` is ``None`` when a
  class has no gold examples. Neither is silently turned into 0 or 1.
* ``f1`` is computed as ``2·TP / (2·TP + FP + FN)``, which equals the harmonic mean of precision and
  recall whenever both are defined, and is 0 when the class occurs in only one of gold and predicted
  (recall 0 or precision 0). It is ``None`` only for a class with no gold examples *and* no predictions.
* ``macro_f1`` is the unweighted mean of the defined per-class F1 over the given label set: a class that
  is absent from both gold and predictions is left out of the mean, not counted as 0 (scikit-learn's
  default, with a warning) nor as 1. It is ``None`` when no class of the set occurs at all.
* ``accuracy`` is ``None`` for empty input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ClassScores",
    "Confusion",
    "ScoreSummary",
    "accuracy",
    "class_scores",
    "confusion",
    "coverage",
    "macro_f1",
    "per_class_scores",
    "summarise",
]

Confusion = Counter[tuple[str, str]]
"""Counts of (gold, predicted) pairs."""


@dataclass(frozen=True)
class ClassScores:
    label: str
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float | None
    recall: float | None
    f1: float | None

    @property
    def support(self) -> int:
        """Gold examples of this class."""
        return self.true_positives + self.false_negatives

    @property
    def predicted(self) -> int:
        """Predictions of this class."""
        return self.true_positives + self.false_positives


@dataclass(frozen=True)
class ScoreSummary:
    """Everything the report prints for one (gold, predicted) sample over one label set."""

    total: int
    accuracy: float | None
    coverage: float | None
    macro_f1: float | None
    classes: tuple[ClassScores, ...]
    confusion: Confusion


def _check_lengths(gold: Sequence[str], predicted: Sequence[str]) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} labels but predicted has {len(predicted)}")


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> Confusion:
    """Counts of each (gold, predicted) pair."""
    _check_lengths(gold, predicted)
    return Counter(zip(gold, predicted, strict=True))


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float | None:
    """Share of exact matches; ``None`` for empty input."""
    _check_lengths(gold, predicted)
    return _ratio(sum(g == p for g, p in zip(gold, predicted, strict=True)), len(gold))


def coverage(predicted: Sequence[str], labels: Iterable[str]) -> float | None:
    """Share of predictions that fall inside ``labels`` (e.g. not ``unknown``); ``None`` for empty input."""
    allowed = frozenset(labels)
    return _ratio(sum(p in allowed for p in predicted), len(predicted))


def class_scores(counts: Confusion, label: str) -> ClassScores:
    """Precision, recall and F1 of one class from confusion counts (see the module conventions)."""
    tp = counts[(label, label)]
    fp = sum(n for (g, p), n in counts.items() if p == label and g != label)
    fn = sum(n for (g, p), n in counts.items() if g == label and p != label)
    return ClassScores(
        label=label,
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        f1=_ratio(2 * tp, 2 * tp + fp + fn),
    )


def per_class_scores(counts: Confusion, labels: Iterable[str]) -> tuple[ClassScores, ...]:
    """``class_scores`` for each label, in the given order."""
    return tuple(class_scores(counts, label) for label in labels)


def macro_f1(scores: Iterable[ClassScores]) -> float | None:
    """Mean F1 over the classes whose F1 is defined; ``None`` when none is."""
    defined = [s.f1 for s in scores if s.f1 is not None]
    return sum(defined) / len(defined) if defined else None


def summarise(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> ScoreSummary:
    """Accuracy, coverage, per-class scores and macro-F1 over ``labels``."""
    counts = confusion(gold, predicted)
    classes = per_class_scores(counts, labels)
    return ScoreSummary(
        total=len(gold),
        accuracy=accuracy(gold, predicted),
        coverage=coverage(predicted, labels),
        macro_f1=macro_f1(classes),
        classes=classes,
        confusion=counts,
    )
