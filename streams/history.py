"""Reading ``mentions.enriched`` between two times (command-line tools, kafka-python; never the hot path).

``enriched_history`` yields each record ingested in [since, until): it starts every partition at the
first offset whose timestamp is at or after ``since`` and stops at the first at or after ``until``, or at
the end offsets when the call began (records written meanwhile are left for a later run).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from streams.clients import tool_consumer
from streams.settings import Settings
from streams.topics import TopicNames


def enriched_history(
    settings: Settings, since: datetime | None, until: datetime | None = None
) -> Iterator[ConsumerRecord]:
    """The enriched records of [since, until) (since None: the oldest retained), partition by partition in turn."""
    topic = TopicNames.from_settings(settings).enriched
    consumer = tool_consumer(settings, group_id=None)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        ends = consumer.end_offsets(tps)
        stops = dict(ends)
        if until is not None:
            found = consumer.offsets_for_times({tp: _millis(until) for tp in tps})
            stops = {tp: found[tp].offset if found[tp] is not None else ends[tp] for tp in tps}
        if since is None:
            starts = consumer.beginning_offsets(tps)
        else:
            found = consumer.offsets_for_times({tp: _millis(since) for tp in tps})
            starts = {tp: found[tp].offset if found[tp] is not None else ends[tp] for tp in tps}
        remaining = set()
        for tp in tps:
            consumer.seek(tp, starts[tp])
            if starts[tp] < stops[tp]:
                remaining.add(tp)
        while remaining:
            for tp, records in consumer.poll(timeout_ms=1000).items():
                for record in records:
                    if record.offset >= stops[tp]:
                        break
                    yield record
            remaining = {tp for tp in remaining if consumer.position(tp) < stops[tp]}
    finally:
        consumer.close()


def _millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)
