"""kafka-python clients for command-line tools (replay, demo, reports) — never used inside agents."""

from __future__ import annotations

from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from streams.runtime.partitioner import xxh3_partitioner
from streams.settings import Settings


def tool_producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    options: dict[str, Any] = {
        "client_id": f"{settings.app_id}-tool",
        "acks": "all",
        "linger_ms": 5,
        "batch_size": 256 * 1024,
        "max_request_size": max(1024 * 1024, 2 * settings.max_payload_bytes),
        "partitioner": xxh3_partitioner,  # the partitions the router's stages expect (streams.partitioning)
    }
    options.update(overrides)
    return KafkaProducer(**settings.kafka_client_kwargs(), **options)


def tool_consumer(settings: Settings, *topics: str, **overrides: Any) -> KafkaConsumer:
    options: dict[str, Any] = {
        "client_id": f"{settings.app_id}-tool",
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
    }
    options.update(overrides)
    return KafkaConsumer(*topics, **settings.kafka_client_kwargs(), **options)
