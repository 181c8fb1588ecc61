"""Micro-benchmark for ``RuleSet.decide``: ``python -m streams.routing.bench [--rules FILE] [-n N]``.

Times whole passes over N synthetic mentions (timing single calls would mostly measure the
clock) and prints the median per-decide cost across passes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from schemas.enriched import EnrichedMention, Enrichment, Intent, Sentiment, SentimentLabel
from schemas.mention import Author, Channel, Mention
from streams.routing.loader import load_rules
from streams.routing.sla import assign

DEFAULT_RULES = Path(__file__).resolve().parents[1] / "config" / "rules.yaml"
_LANGUAGES = ["en"] * 12 + ["es"] * 3 + ["fr", "de", "pt", "ja", "und"]
_URGENCY = ["safety", "legal", "churn", "outage", "payment"]


def synthetic_mentions(count: int, seed: int = 7) -> list[EnrichedMention]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    out: list[EnrichedMention] = []
    for i in range(count):
        channel = rng.choice(list(Channel))
        score = round(rng.uniform(-1, 1), 2)
        label = SentimentLabel.NEGATIVE if score < -0.2 else SentimentLabel.POSITIVE if score > 0.2 else "neutral"
        mention = Mention(
            id=f"{channel.value}:{i}",
            channel=channel,
            native_id=str(i),
            author=Author(
                handle=f"user{rng.randrange(10_000)}",
                followers=int(rng.paretovariate(1.2) * 50),
                verified=rng.random() < 0.03,
            ),
            text="synthetic mention text",
            created_at=now,
            brand_account="acme",
        )
        enrichment = Enrichment(
            language=rng.choice(_LANGUAGES),
            language_confidence=round(rng.uniform(0.3, 1.0), 2),
            sentiment=Sentiment(label=label, score=score),
            intent=rng.choice(list(Intent)),
            intent_confidence=round(rng.random(), 2),
            urgency=tuple(u for u in _URGENCY if rng.random() < 0.04),
            influence=rng.choices(["standard", "notable", "influencer"], weights=[90, 8, 2])[0],
            priority=min(100, int(rng.expovariate(1 / 30))),
        )
        out.append(EnrichedMention(mention=mention, enrichment=enrichment, ingested_at=now))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES)
    parser.add_argument("-n", "--count", type=int, default=5000, help="synthetic mentions per pass")
    parser.add_argument("--passes", type=int, default=21)
    args = parser.parse_args(argv)

    rules = load_rules(args.rules)
    mentions = synthetic_mentions(args.count)
    cold = _median_us(rules.decide, mentions, args.passes)
    # The same 100 mentions over and over: objects stay in CPU cache, as a just-deserialized event would be.
    hot = _median_us(rules.decide, mentions[:100] * 50, args.passes)

    def decide_and_assign(em: EnrichedMention) -> object:
        return assign(rules.decide(em), rules, em.mention.created_at, em.ingested_at)

    assigned = _median_us(decide_and_assign, mentions, args.passes)

    teams = Counter(rules.decide(em).team for em in mentions)
    print(f"rules: {args.rules} (version {rules.version}, {len(rules.rules)} rules)")
    print(f"mentions: {len(mentions)} x {args.passes} passes")
    print(f"median µs per decide: {cold:.2f}  (hot cache: {hot:.2f})")
    print(f"median µs per decide + assign (after-hours, SLA and escalation due times): {assigned:.2f}")
    print("teams: " + ", ".join(f"{team}={n}" for team, n in teams.most_common()))


def _median_us(decide: Callable[[EnrichedMention], object], mentions: list[EnrichedMention], passes: int) -> float:
    for em in mentions:  # warm-up (also fills the matched-condition caches)
        decide(em)
    per_call_us: list[float] = []
    for _ in range(passes):
        start = time.perf_counter_ns()
        for em in mentions:
            decide(em)
        per_call_us.append((time.perf_counter_ns() - start) / len(mentions) / 1000)
    return statistics.median(per_call_us)


if __name__ == "__main__":
    main()
