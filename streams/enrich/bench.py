"""Per-call latency of each enricher and of ``Enricher.enrich``: ``python -m streams.enrich.bench``.

Uses the ``text`` column of ../shared/data/airline-sentiment/Tweets.csv (first 5000 rows) when present,
otherwise a small built-in list of sample texts. Prints median and p99 in microseconds. ``Enricher.enrich_many``
is what the enrich stage runs on each fetched batch: it is measured twice, as each event's cost inside a batch
(its own step calls, timed, plus a share of the batch's remaining time) and as batch time / batch size.
"""

from __future__ import annotations

import argparse
import csv
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from schemas.enriched import Sentiment
from schemas.mention import Author, Channel, Mention
from streams.enrich import Enricher
from streams.enrich.cues import forget, normalise, normalised
from streams.enrich.intent import classify_intent
from streams.enrich.language import LanguageDetector
from streams.enrich.priority import compute_priority, influence_tier
from streams.enrich.sentiment import SentimentScorer
from streams.enrich.sentiment_model import SentimentModels
from streams.enrich.text import strip_noise
from streams.enrich.urgency import detect_urgency
from streams.enrich.vader import Vader

AIRLINE_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "airline-sentiment" / "Tweets.csv"
SAMPLE_TEXTS: tuple[str, ...] = (
    "@AmericanAir my flight was cancelled and no one is answering, worst service ever",
    "@united how do I change the name on my booking? https://t.co/abc123",
    "Thank you @Delta for the upgrade, the crew was amazing! 😍✈️",
    "@SpotifyCares the app keeps crashing on my iPhone since the update #fail",
    "Does anyone else have no internet since this morning? @comcastcares",
    "@VirginAmerica you should add more vegan options on the menu",
    "Mi pedido todavía no ha llegado, ¿alguien me puede ayudar? @AmazonHelp",
    "@SouthwestAir charged twice for the same bag. I want a refund or I'm calling my lawyer.",
    "FREE FOLLOWERS!!! follow me and check my bio 🔥🔥 #follow #f4f #likes #instagood #followback #tagsforlikes",
    "😡😡😡",
    "@JetBlue Our fav airline :) see you in Boston next week",
    "Le service client ne répond jamais, c'est nul. Remboursement svp @AirFrance",
)


def load_texts(limit: int) -> tuple[list[str], str]:
    if AIRLINE_CSV.is_file():
        with AIRLINE_CSV.open(encoding="utf-8", newline="") as handle:
            texts = [row["text"] or "" for _, row in zip(range(limit), csv.DictReader(handle), strict=False)]
        return texts, f"{AIRLINE_CSV} (first {len(texts)} rows)"
    return list(SAMPLE_TEXTS), "built-in sample texts"


def make_mention(index: int, text: str) -> Mention:
    return Mention(
        id=f"twitter:{index}",
        channel=Channel.TWITTER,
        native_id=str(index),
        author=Author(handle=f"user{index}", followers=(index * 7919) % 250_000, verified=index % 50 == 0),
        text=text,
        created_at=datetime(2015, 2, 24, 11, 35, tzinfo=UTC),
        brand_account="@brand",
    )


def measure(
    name: str,
    call: Callable[[int], object],
    count: int,
    rounds: int,
    setup: Callable[[int], object] | None = None,
) -> tuple[str, float, float]:
    """Median and p99 (µs) of single calls; each input is timed ``rounds`` times and its fastest kept.

    ``setup(index)``, when given, runs untimed before each call (e.g. to make the text's tokens the memoised
    ones, as they are when the enricher runs the steps that share them)."""
    for index in range(min(count, 200)):  # warm up caches and lazily built state
        call(index)
    best = [float("inf")] * count
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for index in range(count):
                if setup is not None:
                    setup(index)
                start = time.perf_counter_ns()
                call(index)
                elapsed = time.perf_counter_ns() - start
                best[index] = min(best[index], elapsed)
    finally:
        if gc_was_enabled:
            gc.enable()
    return name, *_median_p99(best)


STEP_ATTRIBUTES = (
    "detect_language",
    "score_sentiment",
    "classify_intent",
    "detect_urgency",
    "influence_tier",
    "compute_priority",
    "match_topics",
    "redact_pii",
)


class _TimedStep:
    """Wraps one of an Enricher's steps: adds each call's time to ``costs`` at the position of its mention in
    the batch (enrich_many calls every step once per mention, in batch order)."""

    def __init__(self, step: Callable[..., object], costs: list[int]) -> None:
        self.step = step
        self.costs = costs
        self.position = 0

    def __call__(self, *args: object) -> object:
        start = time.perf_counter_ns()
        result = self.step(*args)
        self.costs[self.position] += time.perf_counter_ns() - start
        self.position += 1
        return result


def measure_whole(
    enricher: Enricher, vader: Vader, mentions: Sequence[Mention], size: int, rounds: int
) -> list[tuple[str, float, float]]:
    """The whole enricher three ways, and the VADER yardstick, taken in turns batch by batch so that all four
    see the same moments of a shared machine (its speed drifts by half within minutes):

    * vaderSentiment's ``polarity_scores`` on each text, and ``Enricher.enrich`` on each mention: median and
      p99 of single calls;
    * ``Enricher.enrich_many`` on the batch, as the stage runs it: each event's cost inside it (its own step
      calls, timed, plus an even share of the batch's remaining time, e.g. building the results), median and
      p99; and the batch time / batch size, median over batches and the worst batch.

    Every figure is the fastest of ``rounds`` for its text or batch. The per-event figures have the step
    timers' own cost taken out (measured on a step that does nothing, ~0.5 µs a call); the batch time comes
    from a second, untimed run of the batch.
    """
    batches = [list(mentions[start : start + size]) for start in range(0, len(mentions), size)]
    costs = [0] * size
    timed = [_TimedStep(getattr(enricher, attribute), costs) for attribute in STEP_ATTRIBUTES]
    count = len(mentions)
    best_vader, best_single, best_event = [float("inf")] * count, [float("inf")] * count, [float("inf")] * count
    best_batch = [float("inf")] * len(batches)
    clock = time.perf_counter_ns
    gc_was_enabled = gc.isenabled()
    plain = [step.step for step in timed]
    overhead = _timer_overhead_ns()
    try:
        enricher.enrich_many(batches[0])  # warm up
        gc.disable()
        for _ in range(rounds):
            for number, batch in enumerate(batches):
                first = number * size
                for offset, mention in enumerate(batch):
                    start = clock()
                    vader.reference_compound(mention.text)
                    best_vader[first + offset] = min(best_vader[first + offset], clock() - start)
                for offset, mention in enumerate(batch):
                    start = clock()
                    enricher.enrich(mention)
                    best_single[first + offset] = min(best_single[first + offset], clock() - start)
                forget()  # the calls above left this batch's cue tokens behind: the stage would not have them
                _install(enricher, timed)
                costs[:] = [0] * size
                for step in timed:
                    step.position = 0
                start = clock()
                enricher.enrich_many(batch)
                total = clock() - start
                _install(enricher, plain)
                if any(step.position != len(batch) for step in timed):
                    raise RuntimeError("enrich_many left its batch path (a step failed): its timings would be wrong")
                # Each event's part of the batch, less what its timers cost (calibrated on a no-op step).
                share = (total - sum(costs)) / len(batch) - len(timed) * overhead
                for offset in range(len(batch)):
                    best_event[first + offset] = min(best_event[first + offset], costs[offset] + share)
                start = clock()
                enricher.enrich_many(batch)  # untimed steps: the batch time
                best_batch[number] = min(best_batch[number], (clock() - start) / len(batch))
    finally:
        _install(enricher, plain)
        if gc_was_enabled:
            gc.enable()
    return [
        ("reference: vaderSentiment original", *_median_p99(best_vader)),
        ("Enricher.enrich (whole), one at a time", *_median_p99(best_single)),
        (f"Enricher.enrich_many, per event (batches of {size})", *_median_p99(best_event)),
        (f"Enricher.enrich_many, batch time / {size}", statistics.median(best_batch) / 1000, max(best_batch) / 1000),
    ]


def _timer_overhead_ns(calls: int = 20_000) -> float:
    """What ``_TimedStep`` adds to a step call, in ns: a wrapped no-op against the bare no-op, fastest of 5."""

    def nothing(*args: object) -> None:
        return None

    wrapped = _TimedStep(nothing, [0] * calls)
    clock = time.perf_counter_ns
    best_wrapped = best_bare = float("inf")
    for _ in range(5):
        wrapped.position = 0
        start = clock()
        for _ in range(calls):
            wrapped("text", 1)
        best_wrapped = min(best_wrapped, clock() - start)
        start = clock()
        for _ in range(calls):
            nothing("text", 1)
        best_bare = min(best_bare, clock() - start)
    return max(0.0, (best_wrapped - best_bare) / calls)


def _install(enricher: Enricher, steps: Sequence[Callable[..., object]]) -> None:
    for attribute, step in zip(STEP_ATTRIBUTES, steps, strict=True):
        setattr(enricher, attribute, step)


def _median_p99(nanoseconds: list[float]) -> tuple[float, float]:
    ordered = sorted(nanoseconds)
    return statistics.median(ordered) / 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000


def run(texts: Sequence[str], rounds: int, batch_size: int = 200) -> list[tuple[str, float, float]]:
    language = LanguageDetector()
    scorer = SentimentScorer()
    vader = Vader()
    english = SentimentModels().models["en"]
    enricher = Enricher()
    mentions = [make_mention(i, text) for i, text in enumerate(texts)]
    languages = [language.detect(text)[0] for text in texts]
    sentiments: list[Sentiment] = [scorer.score(text, lang) for text, lang in zip(texts, languages, strict=True)]
    intents = [classify_intent(text, s)[0] for text, s in zip(texts, sentiments, strict=True)]
    urgencies = [detect_urgency(text) for text in texts]
    count = len(texts)

    def shared(index: int) -> None:
        normalised(texts[index])

    return [
        measure("text.strip_noise", lambda i: strip_noise(texts[i]), count, rounds),
        measure("language", lambda i: language.detect(texts[i]), count, rounds),
        measure("sentiment (all languages)", lambda i: scorer.score(texts[i], languages[i]), count, rounds),
        measure("sentiment: linear model only, en", lambda i: english.relative_scores(texts[i]), count, rounds),
        # Intent and urgency read one normalisation of the text (streams.enrich.cues keeps it): it is timed on
        # its own, and the two steps with it kept, as the enricher runs them.
        measure("cue text normalised (intent + urgency)", lambda i: normalise(texts[i]), count, rounds),
        measure("intent", lambda i: classify_intent(texts[i], sentiments[i]), count, rounds, shared),
        measure("urgency", lambda i: detect_urgency(texts[i]), count, rounds, shared),
        measure("topics", lambda i: enricher.match_topics(texts[i]), count, rounds),
        measure("pii", lambda i: enricher.redact_pii(texts[i]), count, rounds),
        measure(
            "priority (+influence tier)",
            lambda i: compute_priority(
                intents[i],
                sentiments[i],
                influence_tier(mentions[i].author.followers, mentions[i].author.verified),
                urgencies[i],
            ),
            count,
            rounds,
        ),
        measure("reference: VADER port (not in the path)", lambda i: vader.compound(texts[i]), count, rounds),
        *measure_whole(enricher, vader, mentions, batch_size, rounds),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--limit", type=int, default=5000, help="rows of the airline CSV to use")
    parser.add_argument(
        "--rounds", type=int, default=1, help="timings per input; the fastest is kept (>1 hides scheduler noise)"
    )
    parser.add_argument("--batch", type=int, default=200, help="batch size for Enricher.enrich_many")
    args = parser.parse_args(argv)
    texts, source = load_texts(args.limit)
    print(f"{len(texts)} texts from {source}; best of {args.rounds} rounds per text")
    print(f"{'enricher':<50} {'median µs':>10} {'p99 µs':>10}")
    for name, median, p99 in run(texts, args.rounds, args.batch):
        print(f"{name:<50} {median:>10.1f} {p99:>10.1f}")


if __name__ == "__main__":
    main()
