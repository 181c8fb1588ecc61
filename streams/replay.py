"""Produce recorded mentions (JSON Lines or the twcs CSV) to mentions.raw at a chosen rate."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from schemas import Mention
from streams.clients import tool_producer
from streams.settings import Settings
from streams.sources import TwcsSkip, read_jsonl, twcs_mentions
from streams.topics import TopicNames

KeyValue = tuple[bytes | None, bytes]


@dataclass
class ReplayResult:
    produced: int = 0
    skipped_by_reader: int = 0  # produced anyway, as records the router will dead-letter


def twcs_records(path: Path, counts: ReplayResult) -> Iterator[KeyValue]:
    """Inbound tweets as mentions; a tweet the reader cannot map is still produced, so the router dead-letters
    it with the reader's reason instead of it vanishing here."""
    for item in twcs_mentions(path):
        if isinstance(item, Mention):
            yield item.id.encode(), item.model_dump_json().encode()
        else:
            counts.skipped_by_reader += 1
            yield _skip_record(item)


def _skip_record(skip: TwcsSkip) -> KeyValue:
    value = orjson.dumps({"source": "twcs", "tweet_id": skip.tweet_id, "unmappable": skip.reason})
    return f"twitter:{skip.tweet_id}".encode(), value


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
    records: Iterable[KeyValue],
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
        for key, value in records:
            if limit is not None and sent >= limit:
                break
            producer.send(topic, value=value, key=key)
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
    result = ReplayResult()
    records = twcs_records(path, result) if fmt == "twcs" else read_jsonl(str(path))
    result.produced = produce(settings, records, rate=rate, limit=limit, show_progress=show_progress)
    return result
