"""The idiomatic faust baseline for `make bench`: dedupe → enrich → route written as the faust docs teach.

A ``faust.App``, topics declared with ``app.topic``, one ``@app.agent`` per stage iterating its stream,
a ``Table`` for dedupe state, ``await topic.send(...)`` for every output and faust's default producer
settings. Each stage calls the router's own pure logic, so only the framework differs.

    python -m streams.bench_faust --bootstrap HOST:PORT --raw-topic NAME --prefix PFX --count N

reads NAME from its earliest offset (a fresh app id per run), writes to the topics under PFX, and once N
records reached their final place (routed, duplicate or dead letter) prints one JSON line
``{"processed": N, "seconds": S, "rate": R}``, timed from the first record handled, and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust
import mode.loop
from pydantic import ValidationError

from schemas import EnrichedMention, Mention, Route, RoutedMention
from streams.admin import ensure_topics
from streams.agents.route import conversation_key
from streams.app import RouterWorker
from streams.dedupe import exact_duplicate
from streams.enrich import Enricher
from streams.faust_codecs import register_pydantic_codecs
from streams.routing import Decision, RuleSet, load_rules
from streams.runtime.dead_letters import dead_letter
from streams.runtime.records import Record
from streams.settings import Settings
from streams.topics import TopicNames


@dataclass
class Progress:
    """Records that reached their final place, counted across the three agents."""

    target: int
    done: int = 0
    started: float = 0.0

    def record_handled(self) -> None:
        self.started = self.started or time.perf_counter()

    def reached_final_place(self) -> None:
        self.done += 1
        if self.done == self.target:
            seconds = time.perf_counter() - self.started
            result = {"processed": self.done, "seconds": round(seconds, 3), "rate": round(self.done / seconds, 1)}
            print(json.dumps(result), flush=True)
            # SIGTERM is how a faust worker is stopped: the app shuts down gracefully and the process exits 0.
            os.kill(os.getpid(), signal.SIGTERM)


def as_record(message: Any) -> Record:
    """A faust Message as the record dead_letter() takes (faust keeps timestamps in seconds)."""
    timestamp_ms = int(message.timestamp * 1000)
    return Record(message.topic, message.partition, message.offset, timestamp_ms, message.key, message.value)


def routed_mention(enriched: EnrichedMention, decision: Decision, rules_version: str) -> RoutedMention:
    route = Route(
        team=decision.team,
        priority=decision.priority,
        rule_id=decision.rule_id,
        rules_version=rules_version,
        matched=decision.matched,
        tags=decision.tags,
        routed_at=datetime.now(UTC),
    )
    # The parts were validated already; construct without validating them twice (as the router does).
    return RoutedMention.model_construct(
        mention=enriched.mention, enrichment=enriched.enrichment, ingested_at=enriched.ingested_at, route=route
    )


def create_app(settings: Settings, raw_topic: str, rules: RuleSet, progress: Progress) -> faust.App:
    register_pydantic_codecs()
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.bootstrap_servers}",
        store="memory://",
        autodiscover=False,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
    )
    names = TopicNames.from_settings(settings)
    # Raw input is read as bytes and validated in the agent: a codec's decode error is thrown into the
    # agent's stream, which crashes the agent and loses the original bytes a dead letter must keep.
    raw = app.topic(raw_topic, value_serializer="raw")
    unique = app.topic(names.unique, value_serializer="mention")
    enriched_topic = app.topic(names.enriched, value_serializer="enriched_mention")
    duplicates = app.topic(names.duplicates, value_serializer="duplicate")
    dlq = app.topic(names.dlq, value_serializer="dead_letter")
    routed = {team: app.topic(names.routed(team), value_serializer="routed_mention") for team in rules.team_names}
    # First sighting (event time, epoch seconds) per '<channel>:<native_id>'. The raw topic is keyed by
    # mention id, so the table is co-partitioned with it; faust requires it to have as many partitions.
    seen = app.Table("seen", key_type=str, value_type=float, partitions=settings.partitions)
    enricher = Enricher()
    window = settings.dedupe_window_seconds

    @app.agent(raw)
    async def dedupe(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            progress.record_handled()
            try:
                mention = Mention.model_validate_json(event.value)
            except ValidationError as exc:
                await dlq.send(key=event.key, value=dead_letter(as_record(event.message), "dedupe", exc))
                progress.reached_final_place()
                continue
            key = Mention.make_id(mention.channel, mention.native_id)
            created = mention.created_at.timestamp()
            first_seen = seen.get(key)
            if first_seen is not None and created - first_seen <= window:
                await duplicates.send(key=key.encode(), value=exact_duplicate(mention, first_seen))
                progress.reached_final_place()
                continue
            seen[key] = created
            # The bytes as received, as the router forwards them; the timestamp carries the ingest time.
            await unique.send(key=mention.id.encode(), value=event.value, timestamp=event.message.timestamp)

    @app.agent(unique)
    async def enrich(stream: faust.StreamT[Mention]) -> None:
        async for event in stream.events():
            mention: Mention = event.value
            enriched = EnrichedMention(
                mention=mention,
                enrichment=enricher.enrich(mention),
                ingested_at=datetime.fromtimestamp(event.message.timestamp, UTC),
            )
            await enriched_topic.send(key=event.key, value=enriched)

    @app.agent(enriched_topic)
    async def route(stream: faust.StreamT[EnrichedMention]) -> None:
        async for enriched in stream:
            decision = rules.decide(enriched)
            value = routed_mention(enriched, decision, rules.version)
            await routed[decision.team].send(key=conversation_key(enriched.mention), value=value)
            progress.reached_final_place()

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--raw-topic", required=True)
    parser.add_argument("--prefix", required=True, help="topic prefix of the baseline's outputs")
    parser.add_argument("--count", type=int, required=True, help="records to account for before reporting")
    args = parser.parse_args()
    mode.loop.use("uvloop")  # the router's worker runs on uvloop too
    settings = Settings(
        bootstrap_servers=args.bootstrap, topic_prefix=args.prefix, app_id=f"{args.prefix}faust-{uuid.uuid4().hex[:6]}"
    )
    rules = load_rules(settings.rules_path)
    ensure_topics(settings, rules.team_names)
    app = create_app(settings, args.raw_topic, rules, Progress(args.count))
    # The result line goes to stdout; a faust worker otherwise redirects stdout into its log.
    RouterWorker(app, loglevel="warn", quiet=True, redirect_stdouts=False).execute_from_commandline()


if __name__ == "__main__":
    main()
