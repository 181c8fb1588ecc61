"""Commit and abort ordering of the exactly-once runtime, against fakes of the producer and consumer (no broker).

The real-broker proof is tests/integration/test_exactly_once.py; these pin down the order of the calls and what
the runner does with each outcome.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
)
from aiokafka.producer.transaction_manager import TransactionState
from prometheus_client import CollectorRegistry

from streams.metrics import Metrics
from streams.runtime.batch_agent import BatchAgent, _Rebalance
from streams.runtime.commit import ExactlyOnce, Outcome, PartitionWork, _refused_as_too_large
from streams.runtime.group_fencing import GroupFencedError, GroupMetadata
from streams.runtime.producing import ProducerService
from streams.runtime.records import InputRecord, Output, Record
from streams.runtime.stage import Stage
from streams.settings import Settings


class _Cluster:
    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1, 2}


class _TxnManager:
    def __init__(self) -> None:
        self.fatal = False
        self.state = TransactionState.IN_TRANSACTION

    def is_fatal_error(self) -> bool:
        return self.fatal


@dataclass
class FakeProducer:
    """Records every call; ``fail`` names the step that raises (``send``, ``offsets`` or ``commit``), or
    ``delivery`` (records refused) or ``hang`` (records never acknowledged)."""

    fail: str | None = None
    error: type[Exception] = KafkaTimeoutError
    forgets: bool = False  # the failure is one after which aiokafka forgets the transaction (error_transaction)
    calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = type("Client", (), {"cluster": _Cluster()})()
        self._txn_manager = _TxnManager()

    def _step(self, name: str) -> None:
        self.calls.append(name)
        if self.fail == name:
            if self.forgets:
                self._txn_manager.state = TransactionState.ABORTABLE_ERROR
            raise self.error()

    async def begin_transaction(self) -> None:
        self._step("begin")

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}

    async def send(
        self, topic: str, value: Any, key: Any, partition: int, timestamp_ms: Any, headers: Any = None
    ) -> asyncio.Future[Any]:
        self._step(f"send {topic}")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.fail == "delivery":  # refused by the broker, reported through the record's future
            future.set_exception(self.error())
        elif self.fail != "hang":  # "hang": never acknowledged
            future.set_result(None)
        return future

    async def send_offsets_to_transaction(self, offsets: dict[TopicPartition, int], group_id: str) -> None:
        self._step("offsets " + ",".join(f"{tp.topic}:{tp.partition}@{o}" for tp, o in sorted(offsets.items())))
        if self.fail == "offsets":
            if self.forgets:
                self._txn_manager.state = TransactionState.ABORTABLE_ERROR
            raise self.error()

    async def commit_transaction(self) -> None:
        self._step("commit")

    async def abort_transaction(self) -> None:
        self.calls.append("abort")

    async def stop(self) -> None:
        self.calls.append("stop")


def _committer(*producers: FakeProducer) -> ExactlyOnce:
    committer = ExactlyOnce(Settings(metrics_port=0), "app.stage", lambda: GroupMetadata(1, "member", None))
    committer._producers.update(enumerate(producers))  # type: ignore[arg-type]
    return committer


async def _commit(committer: ExactlyOnce, work: dict[int, PartitionWork]) -> dict[int, Outcome]:
    await committer.stage(work)
    return await committer.flush()


def _work(partition: int, offset: int) -> PartitionWork:
    return PartitionWork([Output("out", b"k", b"v", None, partition)], {TopicPartition("in", partition): offset})


async def test_a_partition_commits_outputs_then_offsets_in_one_transaction() -> None:
    producer = FakeProducer()
    outcomes = await _commit(_committer(producer), {0: _work(0, 8)})
    assert outcomes == {0: Outcome.COMMITTED}
    assert producer.calls == ["begin", "send out", "offsets in:0@8", "commit"]


@pytest.mark.parametrize("step", ["send out", "offsets", "commit"])
async def test_a_failure_anywhere_aborts_the_whole_transaction(step: str) -> None:
    producer = FakeProducer(fail=step)
    outcomes = await _commit(_committer(producer), {0: _work(0, 8)})
    assert outcomes == {0: Outcome.ABORTED}
    assert producer.calls[-1] == "abort"
    assert "commit" not in producer.calls[:-1] or step == "commit"


async def test_one_transaction_carries_every_partition_and_the_producers_take_turns() -> None:
    """Each transaction runs on the owned producer idle longest: a producer's last commit has its markers written
    before it begins again, instead of the broker refusing it CONCURRENT_TRANSACTIONS for a 20 ms retry."""
    low, high = FakeProducer(), FakeProducer()
    committer = _committer(low, high)
    outcomes = await _commit(committer, {1: _work(1, 5), 0: _work(0, 3)})
    assert outcomes == {0: Outcome.COMMITTED, 1: Outcome.COMMITTED}
    assert low.calls == ["begin", "send out", "send out", "offsets in:0@3,in:1@5", "commit"]
    assert high.calls == []
    assert await _commit(committer, {0: _work(0, 4)}) == {0: Outcome.COMMITTED}
    assert high.calls == ["begin", "send out", "offsets in:0@4", "commit"], "the next transaction: the other producer"
    assert await _commit(committer, {1: _work(1, 6)}) == {1: Outcome.COMMITTED}
    assert low.calls[5:] == ["begin", "send out", "offsets in:1@6", "commit"]
    low.calls.clear()
    high.calls.clear()
    await committer.close({0})  # partition 0 moved away: its producer must not run transactions any more
    assert await _commit(committer, {1: _work(1, 7)}) == {1: Outcome.COMMITTED}
    assert await _commit(committer, {1: _work(1, 8)}) == {1: Outcome.COMMITTED}
    assert low.calls == ["stop"]
    transaction = ["begin", "send out", "offsets in:1@{}", "commit"]
    assert high.calls == [c.format(7) for c in transaction] + [c.format(8) for c in transaction]


async def test_a_fenced_producer_loses_every_partition_and_is_closed_without_an_abort() -> None:
    fenced, other = FakeProducer(fail="commit", error=ProducerFenced), FakeProducer()
    committer = _committer(fenced, other)
    outcomes = await _commit(committer, {0: _work(0, 3), 1: _work(1, 5)})
    assert outcomes == {0: Outcome.LOST, 1: Outcome.LOST}, "the transaction held both: neither is visible"
    assert fenced.calls[-1] == "stop"
    assert "abort" not in fenced.calls
    assert 0 not in committer._producers, "never re-opened by itself"


async def test_offsets_refused_by_the_group_lose_the_partitions_and_drop_the_producer_unused() -> None:
    """KIP-447: a worker that left the group's generation must not commit, though its producer is not fenced. aiokafka
    would send no EndTxn for that transaction and would commit its records with the next one: the producer is
    closed instead, and the partition's next owner opening its id aborts the transaction on the broker."""
    producer = FakeProducer(fail="offsets", error=GroupFencedError)
    committer = _committer(producer, FakeProducer())
    outcomes = await _commit(committer, {0: _work(0, 3), 1: _work(1, 5)})
    assert outcomes == {0: Outcome.LOST, 1: Outcome.LOST}
    assert producer.calls[-1] == "stop"
    assert "abort" not in producer.calls
    assert "commit" not in producer.calls
    assert 0 not in committer._producers


async def test_a_transaction_aiokafka_forgot_after_a_refusal_is_dropped_not_aborted() -> None:
    """After an authorization refusal aiokafka clears the transaction's partitions: its abort would be local only
    (no EndTxn), and the next commit on the producer would commit the refused attempt's records with its own."""
    producer = FakeProducer(fail="offsets", error=GroupAuthorizationFailedError, forgets=True)
    committer = _committer(producer, FakeProducer())
    assert await _commit(committer, {0: _work(0, 3)}) == {0: Outcome.LOST}
    assert producer.calls[-1] == "stop"
    assert "abort" not in producer.calls
    assert 0 not in committer._producers
    refused = FakeProducer(fail="offsets", error=GroupAuthorizationFailedError)  # aiokafka still knows it: aborted
    assert await _commit(_committer(refused), {0: _work(0, 3)}) == {0: Outcome.ABORTED}
    assert refused.calls[-1] == "abort"


async def test_a_producer_that_cannot_abort_is_broken_and_stops_the_worker_with_the_batch_named() -> None:
    producer = FakeProducer(fail="commit")
    producer._txn_manager.fatal = True
    assert await _commit(_committer(producer), {0: _work(0, 8)}) == {0: Outcome.BROKEN}
    agent, _, _ = _agent(FakeProducer(fail="commit"), FakeProducer())
    agent.committer._producers[0]._txn_manager.fatal = True  # type: ignore[attr-defined]
    await agent.process(_fetch(0, 10, 3))
    with pytest.raises(RuntimeError, match=r"partitions \[0\] can neither commit nor abort; the batch starting at"):
        await agent.flush()


async def test_records_are_acknowledged_before_the_commit_and_a_refused_one_aborts() -> None:
    producer = FakeProducer(fail="delivery")
    assert await _commit(_committer(producer), {0: _work(0, 8)}) == {0: Outcome.ABORTED}
    assert "commit" not in producer.calls, "aiokafka would commit a transaction whose record was refused"
    assert producer.calls[-1] == "abort"


async def test_a_wedged_client_is_timed_out_and_aborted() -> None:
    producer = FakeProducer(fail="hang")
    committer = _committer(producer)
    committer._finish_timeout = 0.05
    assert await _commit(committer, {0: _work(0, 8)}) == {0: Outcome.ABORTED}
    assert producer.calls[-1] == "abort"


async def test_a_partition_with_nothing_to_write_opens_no_transaction() -> None:
    producer = FakeProducer()
    assert await _commit(_committer(producer), {0: PartitionWork()}) == {}
    assert producer.calls == []


# ------------------------------------------------------------------------------------------ the agent's side


class CountingStage(Stage):
    """Counts records per partition in memory: the state an abort must roll back."""

    name = "dedupe"
    input_topics = ("in",)

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.events: list[str] = []

    def handle(self, record: InputRecord, out: list[Output]) -> None:
        self.counts[record.partition] = self.counts.get(record.partition, 0) + 1
        out.append(Output("out", record.key, record.value))

    def partitions_assigned(self, partitions: set[int], partition_count: int) -> None:
        self.events.append(f"assigned {sorted(partitions)}")

    def partitions_revoked(self, partitions: set[int]) -> None:
        self.events.append(f"revoked {sorted(partitions)}")
        for partition in partitions:
            self.counts.pop(partition, None)


class FakeConsumer:
    def __init__(self, committed: dict[TopicPartition, int]) -> None:
        self._committed = committed
        self.partition_counts = {"in": 2}
        self.seeks: list[tuple[int, int]] = []
        self.rejoins = 0
        self._coordinator = self
        self.generation, self.member_id = 1, "member"

    def request_rejoin(self) -> None:
        self.rejoins += 1

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("in", p) for p in (0, 1)}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.partition_counts.get(topic, 0)))

    async def committed(self, tp: TopicPartition) -> int | None:
        return self._committed.get(tp)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp.partition, offset))


def _agent(*producers: FakeProducer) -> tuple[BatchAgent, CountingStage, FakeConsumer]:
    settings = Settings(metrics_port=0)
    stage = CountingStage()
    agent = BatchAgent(stage, settings, Metrics(CollectorRegistry()), ProducerService(settings), "dlq")
    agent.committer = _committer(*producers)
    consumer = FakeConsumer({TopicPartition("in", 0): 10, TopicPartition("in", 1): 20})
    agent.consumer = consumer  # type: ignore[assignment]
    agent.owned = {0, 1}
    agent._positions = {TopicPartition("in", 0): 10, TopicPartition("in", 1): 20}
    agent._committed = dict(agent._positions)
    return agent, stage, consumer


def _fetch(partition: int, first: int, count: int) -> dict[TopicPartition, list[Any]]:
    return {TopicPartition("in", partition): [Record("in", partition, first + n, 0, b"k", b"v") for n in range(count)]}


async def test_an_aborted_transaction_rolls_back_every_partition_in_it_and_rereads_from_their_commits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("streams.runtime.batch_agent.MAX_RETRY_PAUSE_S", 0.0)
    runner = FakeProducer(fail="commit")
    agent, stage, consumer = _agent(runner, FakeProducer())
    await agent.process(_fetch(0, 10, 3) | _fetch(1, 20, 2))
    await agent.flush()
    assert stage.counts == {}, "both partitions' state is back to its committed (restored) state"
    assert stage.events == ["revoked [0, 1]", "assigned [0, 1]"]
    assert sorted(consumer.seeks) == [(0, 10), (1, 20)]
    assert agent._positions == agent._committed == {TopicPartition("in", 0): 10, TopicPartition("in", 1): 20}
    # The same records come again and now commit.
    runner.fail = None
    await agent.process(_fetch(0, 10, 3) | _fetch(1, 20, 2))
    await agent.flush()
    assert agent._committed == {TopicPartition("in", 0): 13, TopicPartition("in", 1): 22}
    assert stage.counts == {0: 3, 1: 2}


async def test_records_before_the_expected_position_are_not_handled_twice() -> None:
    agent, stage, _ = _agent(FakeProducer(), FakeProducer())
    await agent.process(_fetch(0, 10, 3))
    await agent.process(_fetch(0, 11, 4))  # a fetch that raced a seek repeats offsets 11 and 12
    await agent.flush()
    assert stage.counts == {0: 5}
    assert agent._committed[TopicPartition("in", 0)] == 15


async def test_a_batch_fetched_before_a_rollback_is_not_handled_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The consume loop's batch waits for the lock while the timer's commit aborts and seeks the partition back
    to its committed offset: the batch (offsets after the rolled-back ones) must not be taken, or the rolled-back
    records, read again next, would fall behind the position and be skipped."""
    monkeypatch.setattr("streams.runtime.batch_agent.MAX_RETRY_PAUSE_S", 0.0)
    runner = FakeProducer()
    agent, stage, consumer = _agent(runner, FakeProducer())
    await agent.process(_fetch(0, 10, 3))  # 10-12 handled, not committed yet
    seeks_seen = agent._seeks  # the loop fetches 13-14 here ...
    runner.fail = "commit"
    await agent.flush()  # ... while a commit aborts: partition 0 goes back to offset 10
    assert consumer.seeks == [(0, 10)]
    runner.fail = None
    await agent.process(_fetch(0, 13, 2), seeks_seen=seeks_seen)
    assert stage.counts == {}, "the stale batch is dropped; the consumer reads from offset 10 again"
    await agent.process(_fetch(0, 10, 5), seeks_seen=agent._seeks)
    await agent.flush()
    assert stage.counts == {0: 5}
    assert agent._committed[TopicPartition("in", 0)] == 15


async def test_a_lost_transaction_gives_up_every_partition_and_rejoins() -> None:
    """Its partitions' state may have moved on at other workers, those without work in the transaction too."""
    fenced = FakeProducer(fail="commit", error=ProducerFenced)
    agent, stage, consumer = _agent(fenced, FakeProducer())
    await agent.process(_fetch(0, 10, 3))
    await agent.flush()
    assert agent.owned == set()
    assert stage.counts == {}
    assert stage.events == ["revoked [0, 1]"]
    assert consumer.rejoins == 1
    await agent.process(_fetch(0, 13, 1) | _fetch(1, 20, 1))
    await agent.flush()
    assert stage.counts == {}, "records of lost partitions are not handled until they are assigned again"


@pytest.mark.parametrize(
    ("generation", "member", "kept"), [(2, "member", True), (3, "member", False), (2, "new", False)]
)
async def test_partitions_are_kept_only_across_consecutive_generations_of_the_same_member(
    generation: int, member: str, kept: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose join or sync failed misses a generation without a revocation telling it: in that generation
    others may have handled its partitions, so they are restored and read from the group's offsets."""
    agent, stage, consumer = _agent(FakeProducer(), FakeProducer())
    agent._membership = (1, "member")
    agent._committed = {TopicPartition("in", 0): 14, TopicPartition("in", 1): 25}  # its own, ahead of the group's

    async def committed(tps: list[TopicPartition]) -> dict[TopicPartition, int | None]:
        return {tp: consumer._committed.get(tp) for tp in tps}

    async def open_producers(partitions: set[int]) -> None:
        return None

    monkeypatch.setattr(agent, "_committed_offsets", committed)
    monkeypatch.setattr(agent.committer, "open", open_producers)
    consumer.generation, consumer.member_id = generation, member
    await agent.partitions_assigned({0, 1})
    assert agent.owned == {0, 1}
    if kept:
        assert stage.events == []
        assert sorted(consumer.seeks) == [(0, 14), (1, 25)]
    else:
        assert stage.events == ["revoked [0, 1]", "assigned [0, 1]"]
        assert sorted(consumer.seeks) == [(0, 10), (1, 20)], "from the group's committed offsets"
    assert agent._membership == (generation, member)


async def test_own_input_topics_with_unequal_partition_counts_stop_the_stage() -> None:
    """The stage's own topics altered to unequal counts would put one key's records, and its state, on two
    partition numbers."""
    agent, stage, consumer = _agent(FakeProducer(), FakeProducer())
    stage.input_topics = ("in", "other")
    consumer.partition_counts = {"in": 2, "other": 4}
    with pytest.raises(RuntimeError, match=r"must have the same partition count, found \{'in': 2, 'other': 4\}"):
        await agent.partitions_assigned({0, 1})
    assert stage.events == []


@pytest.mark.parametrize("external_count", [1, 2, 6])
async def test_an_external_input_topic_may_have_any_partition_count(external_count: int) -> None:
    """The stage moves an external topic's records to their key's partition of its own topics: their count is
    the stage's."""
    agent, stage, consumer = _agent(FakeProducer(), FakeProducer())
    stage.input_topics = ("raw", "in")
    stage.external_topics = ("raw",)
    consumer.partition_counts = {"raw": external_count, "in": 2}
    assert agent._partition_count() == 2


@pytest.mark.parametrize("expelled", [False, True])
async def test_a_worker_expelled_from_the_group_keeps_no_state_across_the_rebalance(expelled: bool) -> None:
    """A member the coordinator expelled (aiokafka resets its generation) missed generations in which other
    workers changed its partitions: a partition it gets back must be restored, not taken as kept."""
    agent, stage, consumer = _agent(FakeProducer(), FakeProducer())
    if expelled:
        consumer.generation, consumer.member_id = -1, ""
    await agent.partitions_revoked()
    assert agent.owned == (set() if expelled else {0, 1})
    assert stage.events == (["revoked [0, 1]"] if expelled else [])


async def test_under_load_one_transaction_spans_several_batches_until_the_interval_or_idle() -> None:
    producer = FakeProducer()
    committer = _committer(producer)
    await committer.stage({0: _work(0, 8)})
    await committer.stage({0: _work(0, 9)})
    assert not committer.due(idle=False), "the commit interval has not passed"
    assert committer.due(idle=True), "an idle input commits at once"
    assert await committer.flush() == {0: Outcome.COMMITTED}
    assert producer.calls == ["begin", "send out", "send out", "offsets in:0@9", "commit"]
    assert not committer.due(idle=True), "nothing open"


async def test_a_partition_whose_state_cannot_be_drained_is_rolled_back_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("streams.runtime.batch_agent.MAX_RETRY_PAUSE_S", 0.0)
    producers = FakeProducer(), FakeProducer()
    agent, stage, consumer = _agent(*producers)
    failing = {0}

    def end_batch(partition: int, out: list[Output]) -> None:
        if partition in failing:
            raise RuntimeError("cannot encode the state")

    stage.end_batch = end_batch  # type: ignore[method-assign]
    await agent.process(_fetch(0, 10, 3) | _fetch(1, 20, 2))
    await agent.flush()
    assert stage.counts == {1: 2}, "partition 0 back to its committed state"
    assert consumer.seeks == [(0, 10)]
    assert producers[0].calls == ["begin", "send out", "send out", "offsets in:1@22", "commit"], (
        "nothing of partition 0's batch was written"
    )
    assert agent._committed[TopicPartition("in", 1)] == 22
    failing.clear()
    await agent.process(_fetch(0, 10, 3))
    await agent.flush()
    assert agent._committed[TopicPartition("in", 0)] == 13


async def test_a_rolled_back_partition_that_the_commit_lost_is_not_restored_again() -> None:
    """Its state stays with its new owner; restoring it here would also hold the lock waiting on its offsets."""
    agent, stage, consumer = _agent(FakeProducer(fail="commit", error=ProducerFenced), FakeProducer())

    def end_batch(partition: int, out: list[Output]) -> None:
        if partition == 0:
            raise RuntimeError("cannot encode the state")

    stage.end_batch = end_batch  # type: ignore[method-assign]
    await agent.process(_fetch(0, 10, 3) | _fetch(1, 20, 2))
    assert agent.owned == set()
    assert stage.events == ["revoked [0]", "revoked [0, 1]"]
    assert consumer.seeks == []
    assert agent._positions == {}


async def test_a_stop_during_a_rebalance_does_not_wait_for_itself() -> None:
    """aiokafka's consumer.stop() waits for its coordination task to finish the rebalance in progress; the rebalance
    listener must not then wait for the lock that the stopping agent holds."""
    agent, stage, consumer = _agent(FakeProducer(), FakeProducer())
    listener = _Rebalance(agent)

    async def stop() -> None:  # the coordination task, inside the rebalance the stop interrupted
        await listener.on_partitions_revoked({TopicPartition("in", 0), TopicPartition("in", 1)})
        await listener.on_partitions_assigned({TopicPartition("in", 1)})

    consumer.stop = stop  # type: ignore[attr-defined]
    await agent.process(_fetch(0, 10, 3))
    await asyncio.wait_for(agent.stop(), 5)  # mode's stop: should_stop, then on_stop; before, it never returned
    assert agent._committed[TopicPartition("in", 0)] == 13, "what was handled is committed once"
    assert stage.events == [], "nothing restored or given up on the way out"


async def test_a_partition_that_never_commits_stops_the_worker_whatever_the_others_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("streams.runtime.batch_agent.MAX_RETRY_PAUSE_S", 0.0)
    agent, stage, _ = _agent(FakeProducer(), FakeProducer())
    agent.settings = agent.settings.model_copy(update={"task_timeout_ms": 200})

    def end_batch(partition: int, out: list[Output]) -> None:
        if partition == 0:
            raise RuntimeError("cannot encode the state")

    stage.end_batch = end_batch  # type: ignore[method-assign]
    for offset in range(20, 23):
        await agent.process(_fetch(0, 10, 3))  # rolled back
        await agent.process(_fetch(1, offset, 1))  # partition 1 commits in between: no reset for 0
        await agent.flush()
    assert agent._committed[TopicPartition("in", 1)] == 23
    await asyncio.sleep(0.2)  # the task timeout passes while partition 0 keeps failing
    with pytest.raises(RuntimeError, match=r"4 transactions in a row aborted for partitions \[0\] over"):
        await agent.process(_fetch(0, 10, 3))


async def test_outputs_are_held_until_the_commit_and_a_large_transaction_is_due_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("streams.runtime.commit.MAX_HELD_BYTES", 10)
    producer = FakeProducer()
    committer = _committer(producer)
    await committer.stage({0: _work(0, 8)})
    assert producer.calls == [], "nothing is written before the commit"
    assert not committer.due(idle=False), "2 bytes held, interval not passed"
    await committer.stage({0: PartitionWork([Output("out", b"k", b"0123456789", None, 0)], {})})
    assert committer.due(idle=False), "more than the bound is held"
    assert await committer.flush() == {0: Outcome.COMMITTED}
    assert producer.calls == ["begin", "send out", "send out", "offsets in:0@8", "commit"]
    assert not committer.due(idle=True)


async def test_timer_outputs_commit_with_their_partitions_positions_so_the_group_fences_them_too() -> None:
    """A transaction without offsets would reach no group coordinator: a worker that left the group could still
    commit the escalations its timers fire. Each timer transaction carries the partition's input position."""
    first, producer = FakeProducer(), FakeProducer()  # the second runs the transaction after the first's
    agent, stage, _ = _agent(first, producer)

    def tick(partition: int, out: list[Output], limit: int | None = None) -> bool:
        if partition == 1:
            out.append(Output("escalations", b"k", b"v", None, 0))
        return False

    stage.tick = tick  # type: ignore[method-assign]
    await agent.process(_fetch(1, 20, 2))
    await agent.flush()
    producer.calls.clear()
    await agent._fire_timers()  # nothing read since the commit: the position is the committed offset
    assert producer.calls == ["begin", "send escalations", "offsets in:1@22", "commit"]


@pytest.mark.parametrize("step", ["revoked", "assigned"])
async def test_a_failure_inside_a_rebalance_stops_the_worker(step: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """aiokafka swallows a rebalance listener's exception: the stage would go on without the state it failed to
    commit or restore."""
    exits: list[str] = []
    monkeypatch.setattr("streams.runtime.batch_agent.exit_within", lambda _deadline, reason: exits.append(reason))
    agent, _, _ = _agent(FakeProducer(), FakeProducer())

    async def fail(*_: Any) -> None:
        raise RuntimeError("cannot restore")

    monkeypatch.setattr(agent, f"partitions_{step}", fail)
    listener = _Rebalance(agent)
    if step == "revoked":
        await listener.on_partitions_revoked({TopicPartition("in", 0)})
    else:
        await listener.on_partitions_assigned({TopicPartition("in", 0)})
    assert exits == ["dedupe: RuntimeError"]
    assert agent.health.failed == "dedupe: RuntimeError"


def test_a_size_refusal_is_told_from_the_sequence_errors_it_causes() -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        loop = asyncio.get_running_loop()
        refused, after, fine = loop.create_future(), loop.create_future(), loop.create_future()
        refused.set_exception(MessageSizeTooLargeError())
        after.set_exception(OutOfOrderSequenceNumber())
        fine.set_result(None)
        sequence_only = loop.create_future()
        sequence_only.set_exception(OutOfOrderSequenceNumber())
        pending = loop.create_future()  # still out: waited for briefly, then not counted
        return (
            await _refused_as_too_large([fine, refused, after]),
            await _refused_as_too_large([fine, sequence_only, pending]),
            await _refused_as_too_large([]),
        )

    with_refusal, fenced, empty = asyncio.run(scenario())
    assert with_refusal
    assert not fenced
    assert not empty
