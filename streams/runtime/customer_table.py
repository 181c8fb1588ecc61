"""The compacted ``customers`` topic as a table on every worker that enriches (a global table).

On start it reads the topic from the beginning up to its end offsets before the stages start, so no
mention is enriched against a half-loaded CRM; afterwards it follows new records, so a CRM change
reaches the next mention within a fetch. It uses no consumer group: every worker reads every
partition. Records that are not a valid Customer are skipped here; the ``customers`` stage
(``streams.agents.customers``) dead-letters each of them once for the whole app. The table is bounded
(``CustomerTiers``, ``MENTION_ROUTER_CUSTOMERS_MAX_KEYS``): past it, new customers are refused and counted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from mode import Service

from schemas import Customer
from streams.enrich.customers import CustomerTiers
from streams.metrics import Metrics
from streams.settings import Settings

logger = logging.getLogger(__name__)

REFUSED_LOG_EVERY_S = 60.0


class CustomerTable(Service):
    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        topic: str,
        **kwargs: Any,
    ) -> None:
        self.settings = settings
        self.topic = topic
        self.tiers = CustomerTiers(settings.customers_max_keys)  # read by the enrich stage
        self.consumer: AIOKafkaConsumer | None = None
        self._updates = metrics.customer_updates
        self._refused = metrics.state_evictions.labels(stage="customers", store="keys")
        self._refused_logged = 0.0
        metrics.customers.set_function(lambda: len(self.tiers))
        metrics.state_size.labels(stage="customers", store="keys").set_function(lambda: len(self.tiers))
        metrics.state_size_limit.labels(stage="customers", store="keys").set(settings.customers_max_keys)
        super().__init__(**kwargs)

    async def on_start(self) -> None:
        # Without a group, aiokafka assigns every partition of the subscribed topic to this consumer.
        consumer = self.consumer = AIOKafkaConsumer(
            self.topic,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            **self.settings.kafka_client_kwargs(),
        )
        await consumer.start()
        partitions = await self._assignment(consumer)
        end = await consumer.end_offsets(partitions)
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            await self._apply(await consumer.getmany(timeout_ms=500))
        logger.info("customers table loaded: %d authors from %s", len(self.tiers), self.topic)

    async def _assignment(self, consumer: AIOKafkaConsumer, timeout: float = 30.0) -> list[TopicPartition]:
        deadline = asyncio.get_running_loop().time() + timeout
        while not consumer.assignment():
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"no partitions of {self.topic} after {timeout:.0f}s; create the topics first")
            await asyncio.sleep(0.05)
        return sorted(consumer.assignment())

    async def on_stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()

    @Service.task
    async def _follow(self) -> None:
        assert self.consumer is not None
        while not self.should_stop:
            await self._apply(await self.consumer.getmany(timeout_ms=500))

    async def _apply(self, batch: dict[TopicPartition, list[Any]]) -> None:
        for records in batch.values():
            for record in records:
                if record.value is None:  # tombstone: the CRM removed this author
                    if record.key is not None:
                        self.tiers.remove(record.key.decode(errors="replace").lower())
                    continue
                try:
                    customer = Customer.model_validate_json(record.value)
                except Exception as exc:  # a bad CRM record must not stop the table
                    logger.debug(
                        "customer record skipped (the customers stage dead-letters it): topic=%s partition=%d "
                        "offset=%d error=%s", record.topic, record.partition, record.offset, type(exc).__name__,
                    )  # fmt: skip
                    continue
                if not self.tiers.put(customer.key, customer.tier):
                    self._full(record)
                    continue
                self._updates.inc()

    def _full(self, record: Any) -> None:
        self._refused.inc()
        now = time.monotonic()
        if now - self._refused_logged >= REFUSED_LOG_EVERY_S:  # a flood of new customers logs once a minute
            self._refused_logged = now
            logger.warning(
                "customers table full (%d, MENTION_ROUTER_CUSTOMERS_MAX_KEYS): a new customer is refused: topic=%s "
                "partition=%d offset=%d (mention_router_state_evictions_total{stage=\"customers\"} counts them)",
                len(self.tiers), record.topic, record.partition, record.offset,
            )  # fmt: skip
