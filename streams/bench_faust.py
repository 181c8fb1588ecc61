"""The idiomatic faust baseline for `make bench`: the router's four stages run as faust agents.

A ``faust.App``, topics declared with ``app.topic``, one ``@app.agent`` per stage iterating its stream
event by event, ``await topic.send(...)`` for every output, an ``@app.timer`` for the track stage's
clock, and faust's default producer settings. Each agent calls the router's own stage object
(``streams.app.build_stages``: the same ``handle``, the same state, the same changelog records, written
per event as a faust ``Table`` writes its changelog per update), so the work per mention is identical
and only the framework around it differs: faust hands each event to the agent through its stream,
the router handles a whole fetch per call.

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
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import faust
import mode.loop
from prometheus_client import CollectorRegistry

from streams.admin import ensure_topics
from streams.agents.dedupe import DedupeAgent
from streams.app import FAUST_DATADIR, RouterWorker, build_stages
from streams.metrics import Metrics
from streams.routing import RuleSet, load_rules
from streams.runtime.dead_letters import EmptyValueError, dead_letter, dead_letter_output
from streams.runtime.records import Output, Record
from streams.runtime.stage import Stage
from streams.settings import Settings
from streams.topics import TopicNames


@dataclass
class Progress:
    """Records that reached their final place, counted across the agents."""

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
    """A faust Message as the record a stage takes (faust keeps timestamps in seconds)."""
    timestamp_ms = round(message.timestamp * 1000)
    return Record(message.topic, message.partition, message.offset, timestamp_ms, message.key, message.value)


def handle_event(stage: Stage, record: Record, dlq_topic: str) -> list[Output]:
    """The stage's outputs for one record, or its dead letter (as the router's batch agent does)."""
    out: list[Output] = []
    try:
        if record.value is None:
            raise EmptyValueError("record has no value")
        stage.handle(record, out)
    except Exception as exc:  # every failure becomes a dead letter; the stream goes on
        out = [dead_letter_output(dlq_topic, dead_letter(record, stage.name, exc), record.key)]
    stage.end_batch(record.partition, out)  # the state changes of this one event, like a Table's changelog
    return out


def create_app(settings: Settings, raw_topic: str, rules: RuleSet, progress: Progress) -> faust.App:
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.bootstrap_servers}",
        store="memory://",
        datadir=FAUST_DATADIR,
        autodiscover=False,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
    )
    names = TopicNames.from_settings(settings)
    # A raw record's one final place: a team topic (by the route stage), the duplicates record, or the DLQ
    # (before the track stage, whose re-routes and dead letters are of mentions already routed).
    final = frozenset({names.duplicates, names.dlq, *(names.routed(team) for team in rules.team_names)})
    topics: dict[str, faust.TopicT] = {}

    def topic(name: str) -> faust.TopicT:
        if name not in topics:
            topics[name] = app.topic(name, key_serializer="raw", value_serializer="raw")
        return topics[name]

    async def send_all(outputs: Iterable[Output], final_topics: frozenset[str] = frozenset()) -> None:
        for output in outputs:
            if progress.done >= progress.target:
                return  # measured: the app is stopping, and its producer with it
            timestamp = output.timestamp_ms / 1000 if output.timestamp_ms is not None else None
            await topic(output.topic).send(
                key=output.key, value=output.value, partition=output.partition, timestamp=timestamp
            )
            if output.topic in final_topics:
                progress.reached_final_place()

    def add_agent(stage: Stage, inputs: tuple[str, ...]) -> None:
        channel = app.topic(*inputs, key_serializer="raw", value_serializer="raw")
        counted = frozenset() if stage.name == "track" else final

        async def run(stream: faust.StreamT[bytes]) -> None:
            async for event in stream.events():
                progress.record_handled()
                await send_all(handle_event(stage, as_record(event.message), names.dlq), counted)

        app.agent(channel, name=f"{settings.app_id}.{stage.name}")(run)

    for stage in build_stages(settings, Metrics(CollectorRegistry()), rules):
        inputs = stage.input_topics
        if isinstance(stage, DedupeAgent):  # the bench's raw topic instead of this prefix's
            stage.input_topic = raw_topic
            inputs = (raw_topic, *inputs[1:])
        add_agent(stage, inputs)
        if stage.has_timers:
            app.timer(1.0)(_ticker(stage, settings.partitions, send_all, progress))
    return app


def _ticker(
    stage: Stage,
    partitions: int,
    send_all: Callable[[Iterable[Output]], Awaitable[None]],
    progress: Progress,
) -> Callable[[], Awaitable[None]]:
    async def run_tick() -> None:
        # Between the first event and the result: faust starts timers before its producer is ready and
        # keeps them running while it shuts down, and a send then crashes the app.
        if not progress.started or progress.done >= progress.target:
            return
        out: list[Output] = []
        for partition in range(partitions):
            stage.tick(partition, out)
            stage.end_batch(partition, out)
        await send_all(out)

    return run_tick


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
