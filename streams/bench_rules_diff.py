"""How fast ``mention-router rules diff`` reads and decides history: ``python -m streams.bench_rules_diff``.

Writes ``--count`` synthetic enriched mentions (the routing micro-benchmark's mix of channels, languages,
intents and urgencies) to ``mentions.enriched`` under a fresh topic prefix on the broker of
``MENTION_ROUTER_BOOTSTRAP_SERVERS``, then times the whole command path: reading the topic with the
history reader and deciding every record with two rule sets (the shipped rules, and the same rules with
every rule's target team changed, so each decision differs). Prints records per second and the time a
week of a given daily volume would take.
"""

from __future__ import annotations

import argparse
import time
import uuid

from streams.admin import delete_pipeline, ensure_topics
from streams.clients import tool_producer
from streams.history import enriched_history
from streams.routing import load_rules, load_rules_text
from streams.routing.bench import DEFAULT_RULES, synthetic_mentions
from streams.routing.diff import RulesDiff
from streams.settings import Settings
from streams.topics import TopicNames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--per-day", type=int, default=100_000, help="a busy brand's mentions per day")
    args = parser.parse_args()

    settings = Settings(topic_prefix=f"bench{uuid.uuid4().hex[:8]}.")
    rules = load_rules(DEFAULT_RULES)
    text = DEFAULT_RULES.read_text()
    proposed = load_rules_text(text.replace("team: care", "team: vip").replace('version: "', 'version: "proposed-'))
    topic = TopicNames.from_settings(settings).enriched
    ensure_topics(settings, rules)
    producer = tool_producer(settings)
    sample = [m.model_dump_json().encode() for m in synthetic_mentions(5_000)]
    for n in range(args.count):
        producer.send(topic, value=sample[n % len(sample)], key=str(n).encode())
    producer.flush()
    producer.close()

    diff = RulesDiff(rules, proposed)
    started = time.perf_counter()
    read = 0
    try:
        for record in enriched_history(settings, None):
            read += 1
            if record.value is not None:
                diff.add(record.value)
        elapsed = time.perf_counter() - started
    finally:
        delete_pipeline(settings, rules)
    rate = read / elapsed
    week = 7 * args.per_day / rate
    print(f"rules diff: {read:,} enriched mentions read and decided twice in {elapsed:.1f} s = {rate:,.0f}/s")
    print(f"  moved {diff.report.moved:,}; a week at {args.per_day:,} mentions/day: {week:.0f} s ({week / 60:.1f} min)")
    return 0 if read == args.count else 1


if __name__ == "__main__":
    raise SystemExit(main())
