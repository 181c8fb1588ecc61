"""Produce recorded mentions (JSON Lines or the twcs CSV) to mentions.raw at a chosen rate."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from schemas import Mention
from streams.clients import tool_producer
from streams.partitioning import raw_partition_key, response_key
from streams.settings import Settings
from streams.sources import TwcsSkip, read_jsonl, twcs_mentions, twcs_responses
from streams.topics import TopicNames

KeyValue = tuple[bytes | None, bytes]
# A record for a topic other than mentions.raw: (topic, key, value).
Routed = tuple[str, bytes | None, bytes]


@dataclass
class ReplayResult:
    produced: int = 0
    skipped_by_reader: int = 0  # produced anyway, as records the router will dead-letter
    responses: int = 0  # brand replies produced to mentions.responses (twcs)


def twcs_records(path: Path, counts: ReplayResult) -> Iterator[KeyValue]:
    """Inbound tweets as mentions; a tweet the reader cannot map is still produced, so the router dead-letters
    it with the reader's reason instead of it vanishing here."""
    for item in twcs_mentions(path):
        if isinstance(item, Mention):
            yield raw_partition_key(item), item.model_dump_json().encode()
        else:
            counts.skipped_by_reader += 1
            yield _skip_record(item)


def twcs_timeline(path: Path, topics: TopicNames, counts: ReplayResult) -> Iterator[Routed]:
    """Mentions and the brands' replies as Response events, in event-time order, as they happened.

    Time order matters for the SLA clocks: the router runs on event time, so a reply must not reach
    it long before or after the moment it was written relative to the other mentions.
    """
    events: list[tuple[float, int, Routed]] = []
    for seq, (key, value) in enumerate(twcs_records(path, counts)):
        created = orjson.loads(value).get("created_at")
        when = datetime.fromisoformat(created).timestamp() if isinstance(created, str) else 0.0
        events.append((when, seq, (topics.raw, key, value)))
    for seq, response in enumerate(twcs_responses(path), start=len(events)):
        counts.responses += 1
        reply: Routed = (topics.responses, response_key(response.mention_id), response.model_dump_json().encode())
        events.append((response.responded_at.timestamp(), seq, reply))
    events.sort(key=lambda event: (event[0], event[1]))
    for _, _, record in events:
        yield record


def _skip_record(skip: TwcsSkip) -> KeyValue:
    value = orjson.dumps({"source": "twcs", "tweet_id": skip.tweet_id, "unmappable": skip.reason})
    return f"twitter:{skip.tweet_id}".encode(), value


def keyed_for_dedupe(records: Iterable[KeyValue]) -> Iterator[KeyValue]:
    """Key valid mentions by their dedupe partition key; anything else keeps its key (it will be dead-lettered)."""
    for key, value in records:
        try:
            mention = Mention.model_validate_json(value)
        except ValueError:
            yield key, value
        else:
            yield raw_partition_key(mention), value


class RateLimiter:
    """Keeps an average rate without drifting: sleeps until the n-th record's due time."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.started = time.monotonic()
        self.sent = 0

    def wait(self) -> None:
        if not self.interval:
            return
        self.sent += 1
        delay = self.started + self.sent * self.interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def produce(
    settings: Settings,
    records: Iterable[KeyValue | Routed],
    total: int | None = None,
    rate: float | None = None,
    limit: int | None = None,
    show_progress: bool = True,
    linger_ms: int = 5,
) -> int:
    """Send records to the raw topic; return how many were acknowledged."""
    topic = TopicNames.from_settings(settings).raw
    producer = tool_producer(settings, linger_ms=linger_ms)
    limiter = RateLimiter(rate)
    sent = 0
    progress = Progress(
        TextColumn("[bold]replay[/] → " + topic),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8.0f}/s"),
        TimeElapsedColumn(),
        disable=not show_progress,
    )
    with progress:
        task = progress.add_task("replay", total=min(total, limit) if total and limit else (limit or total), rate=0.0)
        started = time.monotonic()
        for record in records:
            if limit is not None and sent >= limit:
                break
            if len(record) == 3:
                producer.send(record[0], value=record[2], key=record[1])
            else:
                producer.send(topic, value=record[1], key=record[0])
            sent += 1
            limiter.wait()
            if sent % 500 == 0:
                progress.update(task, completed=sent, rate=sent / max(1e-9, time.monotonic() - started))
        producer.flush()
        progress.update(task, completed=sent, rate=sent / max(1e-9, time.monotonic() - started))
    producer.close()
    return sent


def replay_file(
    settings: Settings, path: Path, fmt: str, rate: float | None, limit: int | None, show_progress: bool = True
) -> ReplayResult:
    """The progress bar has its total from the start: a twcs file is read and put in event-time order first
    (under a status line saying so), a JSON Lines file has its lines counted (at disk speed)."""
    result = ReplayResult()
    topics = TopicNames.from_settings(settings)
    records: Iterable[KeyValue | Routed]
    total: int | None = None
    if fmt == "twcs":
        megabytes = path.stat().st_size / 1e6
        with Console(stderr=True, quiet=not show_progress).status(
            f"reading {path.name} ({megabytes:,.0f} MB) and ordering it by event time ..."
        ):
            records = list(twcs_timeline(path, topics, result))
        total = len(records)
    else:
        total = None if str(path) == "-" else count_lines(path)
        records = keyed_for_dedupe(read_jsonl(str(path)))
    result.produced = produce(settings, records, total=total, rate=rate, limit=limit, show_progress=show_progress)
    result.produced -= result.responses
    return result


def count_lines(path: Path) -> int:
    """Non-empty lines would be exact; every line is close enough for a progress total and reads at disk speed."""
    lines = 0
    last = b"\n"
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")
