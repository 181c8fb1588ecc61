"""The runner's per-record guarantee, with a stage written for the test (no broker involved)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry

from schemas import Customer, DeadLetter
from streams.agents.customers import CustomersAgent
from streams.metrics import Metrics
from streams.runtime.batch_agent import TIMER_ROUND_OUTPUTS, BatchAgent
from streams.runtime.commit import Committer, Outcome, PartitionWork
from streams.runtime.producing import ProducerService
from streams.runtime.records import InputRecord, Output, Record
from streams.runtime.stage import Stage
from streams.settings import Settings
from streams.topics import TopicNames


class HalfwayFailingStage(Stage):
    """Emits two outputs per record, but raises after the first one when the value says so."""

    name = "enrich"
    input_topics = ("in",)

    def handle(self, record: InputRecord, out: list[Output]) -> None:
        out.append(Output("first", record.key, record.value or b""))
        if record.value == b"boom":
            raise RuntimeError("failed halfway")
        out.append(Output("second", record.key, record.value or b""))


def _agent(max_payload: int = 1024) -> tuple[BatchAgent, Metrics]:
    settings = Settings(max_payload_bytes=max_payload, metrics_port=0)
    metrics = Metrics(CollectorRegistry())
    agent = BatchAgent(HalfwayFailingStage(), settings, metrics, ProducerService(settings), "dlq")
    return agent, metrics


def _handle(agent: BatchAgent, batch: dict[TopicPartition, list[Any]]) -> list[Output]:
    return [o for work in agent.handle_batch(batch).values() for o in work.outputs]


def _batch(*values: bytes | None) -> dict[TopicPartition, list[Any]]:
    records = [Record("in", 0, offset, 1_000, b"k%d" % offset, value) for offset, value in enumerate(values)]
    return {TopicPartition("in", 0): records}


def test_each_record_ends_in_exactly_one_place() -> None:
    agent, metrics = _agent()
    outputs = _handle(agent, _batch(b"ok-1", b"boom", b"ok-2"))
    assert [o.topic for o in outputs] == ["first", "second", "dlq", "first", "second"]
    letter = DeadLetter.model_validate_json(outputs[2].value)
    assert letter.reason == "processing_error"
    assert letter.error_type == "RuntimeError"
    assert letter.original_value() == b"boom"
    assert letter.source_offset == 1
    assert outputs[2].key == b"k1"
    sample = metrics.registry.get_sample_value
    labels = {"stage": "enrich", "reason": "processing_error"}
    assert sample("mention_router_dead_letters_total", labels) == 0  # counted when the partition commits
    agent.stage.updates.seal()
    agent.stage.updates.release({0})
    assert sample("mention_router_dead_letters_total", labels) == 1
    assert sample("mention_router_stage_seconds_count", {"stage": "enrich"}) == 3
    assert sample("mention_router_batch_records_count", {"stage": "enrich"}) == 1


def test_oversize_and_empty_values_are_dead_lettered_before_the_stage_runs() -> None:
    agent, _ = _agent(max_payload=1024)
    outputs = _handle(agent, _batch(b"x" * 1025, None))
    reasons = [DeadLetter.model_validate_json(o.value).reason for o in outputs]
    assert reasons == ["oversize", "undecodable"]


class BatchPreparingStage(HalfwayFailingStage):
    """Sees the whole batch first (BatchAwareStage); fails there when the batch holds b"bad-batch"."""

    def __init__(self) -> None:
        self.seen: list[list[bytes | None]] = []

    def begin_batch(self, records: Sequence[InputRecord]) -> None:
        self.seen.append([record.value for record in records])
        if any(record.value == b"bad-batch" for record in records):
            raise RuntimeError("cannot prepare")


def test_a_batch_aware_stage_sees_every_record_before_the_first_handle() -> None:
    settings = Settings(metrics_port=0)
    metrics = Metrics(CollectorRegistry())
    stage = BatchPreparingStage()
    agent = BatchAgent(stage, settings, metrics, ProducerService(settings), "dlq")
    batch = _batch(b"ok-1", b"ok-2")
    batch[TopicPartition("in", 1)] = [Record("in", 1, 7, 1_000, b"k", b"ok-3")]
    outputs = _handle(agent, batch)
    assert stage.seen == [[b"ok-1", b"ok-2", b"ok-3"]]
    assert [o.topic for o in outputs] == ["first", "second"] * 3
    # A failing begin_batch is only a lost optimisation: every record is still handled, in order.
    outputs = _handle(agent, _batch(b"bad-batch", b"boom", b"ok"))
    assert [o.topic for o in outputs] == ["first", "second", "dlq", "first", "second"]
    assert metrics.registry.get_sample_value("mention_router_stage_seconds_count", {"stage": "enrich"}) == 6


def test_begin_batch_sees_only_the_records_handle_will_see() -> None:
    settings = Settings(max_payload_bytes=1024, metrics_port=0)
    stage = BatchPreparingStage()
    agent = BatchAgent(stage, settings, Metrics(CollectorRegistry()), ProducerService(settings), "dlq")
    outputs = _handle(agent, _batch(b"ok-1", b"x" * 1025, None, b"ok-2"))
    assert stage.seen == [[b"ok-1", b"ok-2"]]
    assert [o.topic for o in outputs] == ["first", "second", "dlq", "dlq", "first", "second"]


def test_the_customers_stage_dead_letters_bad_crm_records_and_passes_tombstones() -> None:
    settings = Settings(metrics_port=0)
    metrics = Metrics(CollectorRegistry())
    topics = TopicNames()
    agent = BatchAgent(CustomersAgent(topics), settings, metrics, ProducerService(settings), "dlq")
    good = Customer(channel="twitter", handle="dana_k", tier="vip", updated_at=datetime.now(UTC))
    records = [
        Record(topics.customers, 0, 0, 0, b"twitter:dana_k", good.model_dump_json().encode()),
        Record(topics.customers, 0, 1, 0, b"twitter:dana_k", None),  # the CRM removed the author
        Record(topics.customers, 0, 2, 0, b"twitter:x", b"{not a customer"),
    ]
    outputs = _handle(agent, {TopicPartition(topics.customers, 0): records})
    [letter] = [DeadLetter.model_validate_json(o.value or b"") for o in outputs]
    assert (letter.stage, letter.reason, letter.source_offset) == ("customers", "undecodable", 2)


class ManyTimersStage(Stage):
    """Each partition has ``due`` timer outputs waiting; ``tick`` makes at most ``limit`` of them a call."""

    name = "track"
    input_topics = ("in",)
    has_timers = True

    def __init__(self, due: dict[int, int]) -> None:
        self.left = dict(due)
        self.made: dict[int, int] = dict.fromkeys(due, 0)
        self.per_call: list[int] = []

    def tick(self, partition: int, out: list[Output], limit: int | None = None) -> bool:
        count = min(self.left[partition], limit if limit is not None else self.left[partition])
        for _ in range(count):
            out.append(Output("escalations", b"%d" % partition, b"%d" % self.made[partition]))
            self.made[partition] += 1
        self.left[partition] -= count
        self.per_call.append(count)
        return self.left[partition] > 0


class RecordingCommitter(Committer):
    """Holds staged outputs; due once it holds ``due_at`` of them; every flush commits."""

    transactional = True

    def __init__(self, due_at: int) -> None:
        self.due_at = due_at
        self.held: dict[int, list[Output]] = {}
        self.committed: list[list[Output]] = []

    async def stage(self, work: dict[int, PartitionWork]) -> None:
        for partition, part in work.items():
            self.held.setdefault(partition, []).extend(part.outputs)

    def due(self, idle: bool) -> bool:
        return sum(map(len, self.held.values())) >= self.due_at

    async def flush(self) -> dict[int, Outcome]:
        held, self.held = self.held, {}
        self.committed.append([o for outputs in held.values() for o in outputs])
        return dict.fromkeys(held, Outcome.COMMITTED)


def test_a_burst_of_due_timers_fires_in_rounds_that_yield_the_loop_and_commit_as_they_go() -> None:
    """10,000 escalations due at once (business hours opening): every one fires once, in order, in rounds of
    TIMER_ROUND_OUTPUTS a partition; the event loop runs other work between rounds; a transaction holds no
    more than its size limit and a round."""
    settings = Settings(metrics_port=0)
    stage = ManyTimersStage({0: 6000, 1: 4000, 2: 0})
    agent = BatchAgent(stage, settings, Metrics(CollectorRegistry()), ProducerService(settings), "dlq")
    committer = agent.committer = RecordingCommitter(due_at=1000)
    agent.owned = {0, 1, 2}

    async def run() -> int:
        other_work = 0
        done = asyncio.Event()

        async def another_stage() -> None:
            nonlocal other_work
            while not done.is_set():
                other_work += 1
                await asyncio.sleep(0)

        other = asyncio.create_task(another_stage())
        await asyncio.sleep(0)
        await agent._fire_timers()
        done.set()
        await other
        return other_work

    other_work = asyncio.run(run())
    outputs = [o for batch in committer.committed for o in batch]
    for partition, count in ((0, 6000), (1, 4000)):
        values = [o.value for o in outputs if o.key == b"%d" % partition]
        assert values == [b"%d" % n for n in range(count)], "each fired once, in order"
    assert max(stage.per_call) == TIMER_ROUND_OUTPUTS
    rounds = 6000 // TIMER_ROUND_OUTPUTS
    assert other_work >= rounds - 1, "the loop ran other work between rounds"
    assert len(committer.committed) > 1
    assert max(map(len, committer.committed)) <= 1000 + 2 * TIMER_ROUND_OUTPUTS


def test_timer_rounds_stop_when_the_group_rebalances_and_the_rest_stays_due() -> None:
    settings = Settings(metrics_port=0)
    stage = ManyTimersStage({0: 5000})
    agent = BatchAgent(stage, settings, Metrics(CollectorRegistry()), ProducerService(settings), "dlq")
    committer = agent.committer = RecordingCommitter(due_at=10**9)
    agent.owned = {0}
    ticks = stage.tick

    def tick_then_rebalance(partition: int, out: list[Output], limit: int | None = None) -> bool:
        if len(stage.per_call) == 2:
            agent._rebalancing = True  # the group's rebalance began; its listener waits for the lock
        return ticks(partition, out, limit)

    stage.tick = tick_then_rebalance  # type: ignore[method-assign]
    asyncio.run(agent._fire_timers())
    assert len(stage.per_call) == 3
    assert sum(map(len, committer.committed)) == 3 * TIMER_ROUND_OUTPUTS, "what fired is committed"
    assert stage.left[0] == 5000 - 3 * TIMER_ROUND_OUTPUTS, "the rest fires later"


def test_records_fetched_before_a_revocation_are_not_handled_until_the_assignment() -> None:
    """The revocation commits every partition's state and the partitions may move: the rest of a batch fetched
    before it (its slices wait for the lock) must not change their state, or be committed for them, afterwards."""
    agent, _ = _agent()
    committer = agent.committer = RecordingCommitter(due_at=10**9)
    agent.owned = {0}
    agent._rebalancing = True  # partitions_revoked has run; the assignment has not
    asyncio.run(agent.process(_batch(b"late-1", b"late-2"), seeks_seen=0))
    assert committer.held == {}
    assert agent._positions == {}, "its partition is read again from the committed position"

    agent._rebalancing = False
    asyncio.run(agent.process(_batch(b"after")))
    assert [o.value for o in committer.held[0]] == [b"after", b"after"]


class ArrivingConsumer:
    """Hands out the records that arrived, as aiokafka's getmany does (waiting up to ``timeout_ms`` for some)."""

    def __init__(self) -> None:
        self.waiting: list[Record] = []
        self.arrived = asyncio.Event()

    def arrive(self, *values: bytes) -> None:
        start = len(self.waiting) and self.waiting[-1].offset + 1
        self.waiting += [Record("in", 0, start + i, 1_000, b"k", v) for i, v in enumerate(values)]
        self.arrived.set()

    async def getmany(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, list[Any]]:
        if not self.waiting and timeout_ms:
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), timeout_ms / 1000)
            except TimeoutError:
                return {}
        taken, self.waiting = self.waiting[:max_records], self.waiting[max_records:]
        return {TopicPartition("in", 0): taken} if taken else {}


class SlowCommitter(RecordingCommitter):
    """A commit that lasts until the test ends it."""

    def __init__(self) -> None:
        super().__init__(due_at=1)
        self.end = asyncio.Event()

    async def flush(self) -> dict[int, Outcome]:
        await self.end.wait()
        return await super().flush()


def _committing_agent(**settings: Any) -> tuple[BatchAgent, SlowCommitter, ArrivingConsumer]:
    config = Settings(metrics_port=0, **settings)
    agent = BatchAgent(HalfwayFailingStage(), config, Metrics(CollectorRegistry()), ProducerService(config), "dlq")
    agent.committer = committer = SlowCommitter()
    consumer = ArrivingConsumer()
    agent.consumer = consumer  # type: ignore[assignment]
    return agent, committer, consumer


def test_records_that_arrive_during_a_commit_are_taken_meanwhile_with_the_seek_count_of_their_fetch() -> None:
    """aiokafka fetches nothing more from a broker while fetched records wait to be taken: a stage that only
    committed would leave what arrives during its commit on the broker for a whole commit more."""
    agent, committer, consumer = _committing_agent(batch_max_records=5)
    taken: list[tuple[dict[TopicPartition, list[Any]], int]] = []

    async def run() -> None:
        commit = asyncio.create_task(agent._flush_taking_fetched(taken))
        await asyncio.sleep(0.01)
        consumer.arrive(b"a", b"b")
        await asyncio.sleep(0.01)
        assert [r.value for r in taken[0][0][TopicPartition("in", 0)]] == [b"a", b"b"], "taken during the commit"
        assert not commit.done()
        agent._seeks += 1  # the commit rolled a partition back and sought it: later fetches are from there
        consumer.arrive(b"c", b"d", b"e", b"f")
        await asyncio.sleep(0.01)
        committer.end.set()
        await commit

    asyncio.run(run())
    assert len(committer.committed) == 1
    assert [(len(batch[TopicPartition("in", 0)]), seeks) for batch, seeks in taken] == [(2, 0), (3, 1)]
    assert [r.value for r in consumer.waiting] == [b"f"], "no more than batch_max_records held; the rest waits"


def test_a_commit_that_ends_first_leaves_the_consumer_with_what_it_had_not_taken() -> None:
    agent, committer, consumer = _committing_agent()
    taken: list[tuple[dict[TopicPartition, list[Any]], int]] = []

    async def run() -> None:
        commit = asyncio.create_task(agent._flush_taking_fetched(taken))
        await asyncio.sleep(0.01)
        committer.end.set()
        await commit
        consumer.arrive(b"later")
        await asyncio.sleep(0.01)

    asyncio.run(run())
    assert taken == []
    assert [r.value for r in consumer.waiting] == [b"later"], "the cancelled wait took nothing"
