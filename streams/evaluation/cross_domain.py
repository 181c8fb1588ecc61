"""Cross-domain figures: each task scored on data unlike the data its rules or weights were made on.

* complaint: the rules were written on the airline tweets (the in-domain proxy). Cross-domain they are
  scored on customer tweets to 76 brands in eight industries with weak labels from the brands' replies
  (``streams.evaluation.twcs``), per industry and pooled over the seven that are not airlines, and on
  general posts (UMSAB val, tweets about anything, in eight languages), which name no brand and are taken as
  not complaints: the share flagged there is the false-complaint rate on chatter. "Mixed" pools the twcs
  weak labels with UMSAB english val (as not complaints), the kind of stream a keyword search returns.
* English sentiment: the model is trained on UMSAB train; UMSAB english val is in-domain, the airline
  tweets (brand-addressed tweets, other annotators) cross-domain when the shipped model did not train on
  them (``provenance.airline_weight`` 0 in the model file).
* language: the detector's rules were chosen on UMSAB train; the airline tweets (English tweets to US
  airlines) are a cross-domain check: the share detected as ``en``.

Pure functions over predictions already made; ``report.run_eval`` feeds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from streams.evaluation.datasets import COMPLAINT, NOT_COMPLAINT, UmsabRow
from streams.evaluation.metrics import ScoreSummary, summarise
from streams.evaluation.twcs import TwcsTweet

__all__ = [
    "AIRLINE_INDUSTRY",
    "ComplaintCrossDomain",
    "FlagShare",
    "complaint_cross_domain",
    "flag_share",
]

AIRLINE_INDUSTRY = "airline"
COMPLAINT_LABELS = (COMPLAINT, NOT_COMPLAINT)
ENGLISH = "en"


@dataclass(frozen=True)
class FlagShare:
    name: str
    total: int
    flagged: int

    @property
    def share(self) -> float | None:
        return self.flagged / self.total if self.total else None


@dataclass(frozen=True)
class ComplaintCrossDomain:
    outside_airlines: ScoreSummary  # twcs weak labels, the industries that are not airlines
    by_industry: tuple[tuple[str, ScoreSummary], ...]  # every twcs industry, airlines included
    unlabelled: int  # twcs tweets whose reply gives no label
    general: tuple[FlagShare, ...]  # UMSAB val per language: share flagged complaint
    mixed: ScoreSummary  # twcs weak labels + UMSAB english val as not complaints


def flag_share(name: str, flags: Sequence[bool]) -> FlagShare:
    """How many of ``flags`` are set."""
    return FlagShare(name=name, total=len(flags), flagged=sum(flags))


def _labels(flags: Sequence[bool]) -> list[str]:
    return [COMPLAINT if flag else NOT_COMPLAINT for flag in flags]


def complaint_cross_domain(
    tweets: Sequence[TwcsTweet],
    tweet_flags: Sequence[bool],
    general: Sequence[tuple[str, Sequence[UmsabRow], Sequence[bool]]],
) -> ComplaintCrossDomain:
    """The cross-domain complaint figures from twcs tweets and UMSAB rows with their complaint flags.

    ``general`` holds (name, rows, flags) per UMSAB language.
    """
    if len(tweets) != len(tweet_flags):
        raise ValueError(f"{len(tweets)} tweets but {len(tweet_flags)} flags")
    labelled = [(tweet, flag) for tweet, flag in zip(tweets, tweet_flags, strict=True) if tweet.label is not None]
    industries = sorted({tweet.industry for tweet, _ in labelled})
    by_industry = tuple(
        (
            industry,
            summarise(
                [tweet.label or "" for tweet, _ in labelled if tweet.industry == industry],
                _labels([flag for tweet, flag in labelled if tweet.industry == industry]),
                COMPLAINT_LABELS,
            ),
        )
        for industry in industries
    )
    outside = [(tweet, flag) for tweet, flag in labelled if tweet.industry != AIRLINE_INDUSTRY]
    gold_mixed = [tweet.label or "" for tweet, _ in labelled]
    flags_mixed = [flag for _, flag in labelled]
    for _, rows, flags in general:
        english = [flag for row, flag in zip(rows, flags, strict=True) if row.language == ENGLISH]
        gold_mixed += [NOT_COMPLAINT] * len(english)
        flags_mixed += english
    return ComplaintCrossDomain(
        outside_airlines=summarise(
            [tweet.label or "" for tweet, _ in outside], _labels([flag for _, flag in outside]), COMPLAINT_LABELS
        ),
        by_industry=by_industry,
        unlabelled=len(tweets) - len(labelled),
        general=tuple(flag_share(name, flags) for name, _, flags in general),
        mixed=summarise(gold_mixed, _labels(flags_mixed), COMPLAINT_LABELS),
    )
