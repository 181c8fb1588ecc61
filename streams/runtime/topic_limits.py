"""The largest record batch each output topic takes: its ``max.message.bytes``, read from the broker.

A producer packs up to ``max_batch_size`` bytes of one partition's records into a record batch, and the broker
refuses a batch larger than the topic's ``max.message.bytes`` whole; aiokafka does not split a refused batch as
the Java client does. So on a topic created with a smaller limit (an operator's choice, below the producers'
256 KiB batches) every record fits, yet a busy partition's batch is refused, its transaction rolled back and
refused again until the worker exits. The router caps its batches to each topic at the topic's limit instead.

The limits are read with the producer's own connection (``DescribeConfigs``), kept for ``REFRESH_S`` and read
again at once after a refusal (``forget``), so a limit lowered while the router runs costs one rolled-back
transaction. A topic whose limit cannot be read is taken to have the broker's default.

A single record larger than its topic's limit cannot be written at all: the batch agent checks each record's
outputs against ``small`` (the topics whose limit is below the largest record the router may write) and
dead-letters the input whose output would not fit (``output_too_large``) instead of stopping the stage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.protocol.admin import DescribeConfigsRequest

logger = logging.getLogger(__name__)

BROKER_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588
REFRESH_S = 60.0
_TOPIC = 2  # ConfigResourceType.TOPIC
_CONFIG = "max.message.bytes"

Describe = Callable[[list[str]], Awaitable[dict[str, int]]]


class TopicLimits:
    """Each topic's ``max.message.bytes``, cached. ``warn_below`` is the largest record the router may write: a
    topic that cannot take it is logged once."""

    def __init__(self, warn_below: int, ttl_s: float = REFRESH_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._warn_below = warn_below
        self._ttl_s = ttl_s
        self._clock = clock
        self._limits: dict[str, tuple[int, float]] = {}  # topic -> (limit, read at)
        self._warned: set[str] = set()
        # Topics whose last-read limit is below ``warn_below``: the only ones a record may not fit. Kept through
        # ``forget`` until read again, so the check never lapses.
        self.small: dict[str, int] = {}

    def unknown(self, topics: Iterable[str]) -> list[str]:
        """Those of ``topics`` whose limit was never read (or forgotten)."""
        return sorted(t for t in set(topics) if t not in self._limits)

    async def max_message_bytes(self, topics: Iterable[str], describe: Describe) -> dict[str, int]:
        """``describe`` reads the limits of the topics it is given; one missing from its answer has the broker's
        default."""
        now = self._clock()
        wanted = set(topics)
        stale = sorted(t for t in wanted if (known := self._limits.get(t)) is None or now - known[1] >= self._ttl_s)
        if stale:
            try:
                read = await describe(stale)
            except Exception as exc:  # keep what was known; an unknown topic gets the broker's default
                logger.warning("reading max.message.bytes of %d topics failed: %s", len(stale), type(exc).__name__)
                read = {t: self._limits[t][0] for t in stale if t in self._limits}
            for topic in stale:
                limit = read.get(topic, BROKER_DEFAULT_MAX_MESSAGE_BYTES)
                self._limits[topic] = (limit, now)
                self._check(topic, limit)
        return {t: self._limits[t][0] for t in wanted}

    def forget(self) -> None:
        """A batch was refused as too large: read every limit again before the next send."""
        self._limits.clear()

    def _check(self, topic: str, limit: int) -> None:
        if limit >= self._warn_below:
            self.small.pop(topic, None)
            return
        self.small[topic] = limit
        if topic not in self._warned:
            self._warned.add(topic)
            logger.warning(
                "topic %s takes record batches of at most %d bytes (max.message.bytes) but the router may write a "
                "record of up to %d (twice MENTION_ROUTER_MAX_PAYLOAD_BYTES, at least 1 MiB): a mention whose "
                "record for it is larger is dead-lettered (output_too_large); raise the topic's max.message.bytes",
                topic, limit, self._warn_below,
            )  # fmt: skip


def describe_with(producer: AIOKafkaProducer) -> Describe:
    """``DescribeConfigs`` of topics' ``max.message.bytes`` over ``producer``'s connections."""

    async def describe(topics: list[str]) -> dict[str, int]:
        client = producer.client
        request = DescribeConfigsRequest([(_TOPIC, topic, [_CONFIG]) for topic in topics])
        response = await client.send(client.get_random_node(), request)
        limits = {}
        for error_code, _message, _type, name, entries in response.resources:
            if error_code:
                continue  # e.g. not authorised to describe it: the broker's default is assumed
            for entry in entries:
                if entry[0] == _CONFIG and entry[1] is not None:
                    limits[name] = int(entry[1])
        return limits

    return describe
