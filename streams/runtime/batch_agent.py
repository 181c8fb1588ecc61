"""The batch agent: consume a fetch, run the stage on every record, commit each partition's share atomically.

Why not a faust Stream per event: on this hardware faust's Stream hands every event through an
asyncio queue (about three loop iterations per event) and tops out near 4k events/s for a bare
pass-through, against ~28k/s for aiokafka consume→produce on the same broker (docs/performance.md).
A batch agent pays the framework cost once per fetch instead. It is a mode Service started by the
faust app and owns one consumer group per stage:

    fetch → handle each record (exceptions become dead letters) → per input partition: outputs +
    changelog changes + input offsets → stage (streams.runtime.commit) → next fetch
                                          └── flush: every commit interval under load, at once when idle

Under ``exactly_once`` (the default) the work staged since the last flush is one Kafka transaction; when it
aborts, each of its partitions gets its state restored again from the committed changelog and its input re-read
from the committed offsets, so an abort leaves no trace. When the transaction is fenced (another worker owns
the partitions now, or this one left the group's generation) they are dropped and the consumer rejoins.
Every consumer reads ``read_committed``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, ConsumerStoppedError, IllegalStateError
from mode import Service

from streams.metrics import Metrics
from streams.observability.health import SHUTDOWN_DEADLINE_S, Health, exit_within
from streams.runtime.assignor import ASSIGNORS
from streams.runtime.changelog import restore_partitions
from streams.runtime.commit import AtLeastOnce, Committer, ExactlyOnce, Outcome, PartitionWork
from streams.runtime.dead_letters import (
    MAX_ORIGINAL_BYTES,
    EmptyValueError,
    OutputTooLargeError,
    OversizeError,
    classify,
    dead_letter,
    dead_letter_output,
    original_bytes_within,
)
from streams.runtime.group_fencing import GroupMetadata, consumer_group_metadata, stable_committed
from streams.runtime.producing import ProducerService, fits_alone
from streams.runtime.records import InputRecord, Output
from streams.runtime.slicing import SliceSizer, slices
from streams.runtime.stage import Stage
from streams.runtime.topic_limits import describe_with
from streams.runtime.updates import HeldUpdates
from streams.settings import Settings

logger = logging.getLogger(__name__)

MAX_RETRY_PAUSE_S = 5.0
TIMER_ROUND_OUTPUTS = 100  # timer outputs a partition makes before the others' turn (``_fire_timers``)
HANDLE_SLICE_S = 0.02  # a fetched batch is handled in slices of about this long (streams.runtime.slicing)
MIN_SLICE_RECORDS = 64
# How long a worker keeps the state of partitions that moved to another worker, in case they come back (a worker
# leaving soon after it joined, a rolling restart): Kafka Streams' state.cleanup.delay.ms.
PARKED_KEEP_S = 600.0
CHANGELOG_ENDS_TIMEOUT_S = 2.0
FETCH_WAIT_MS = 1000  # while committing: the commit ends first (the wait is cancelled then)


@dataclass(frozen=True, slots=True)
class _Parked:
    """A partition that moved away with its state kept: that state is the changelog's up to ``changelog_offset``."""

    changelog_offset: int
    since: float  # time.monotonic()


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """aiokafka logs and swallows a listener's exception and goes on with the rebalance, which would leave the
    stage with state it could not commit, or partitions it never restored: any failure here stops the worker."""

    def __init__(self, agent: BatchAgent) -> None:
        self._agent = agent

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if self._agent.should_stop:  # on_stop has committed what it could; nothing more (after a failure, nothing)
            return
        try:
            async with self._agent.batch_lock:  # the batch being handled is committed before the group moves on
                await self._agent.partitions_revoked()
        except Exception as exc:
            await self._agent._fatal(exc)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        agent = self._agent
        if agent.should_stop:  # a rebalance the stop interrupted: nothing is restored for a worker on its way out
            return
        partitions = {tp.partition for tp in assigned}
        logger.info("%s assigned partitions %s", agent.stage.name, sorted(partitions))
        try:
            async with agent.batch_lock:
                await agent.partitions_assigned(partitions)
        except Exception as exc:
            await agent._fatal(exc)
            return
        agent.assigned.set(len(partitions))
        agent.rebalances.inc()


class BatchAgent(Service):
    """Runs one stage in its own consumer group."""

    def __init__(
        self,
        stage: Stage,
        settings: Settings,
        metrics: Metrics,
        producer: ProducerService,
        dlq_topic: str,
        health: Health | None = None,
        **kwargs: Any,
    ) -> None:
        self.stage = stage
        # The stage's counters count what commits: a batch rolled back and read again counts once.
        self._updates = stage.updates = HeldUpdates(deferred=True)
        self.health = health or Health()
        self.health.stage(stage.name, False)
        self.settings = settings
        self.metrics = metrics
        self.dlq_topic = dlq_topic
        self._producer = producer
        self._limits = producer.limits  # shared with the committers: what they learn, handle_batch checks
        self.batch_lock = asyncio.Lock()
        self.consumer: AIOKafkaConsumer | None = None
        self.committer: Committer = (
            ExactlyOnce(settings, self.group_id, self._group_metadata, producer.limits)
            if settings.processing_guarantee == "exactly_once"
            else AtLeastOnce(producer, self._commit_offsets, self._fatal, settings.max_batches_in_flight)
        )
        self._stage_seconds = metrics.stage_seconds.labels(stage=stage.name)
        self._batch_records = metrics.batch_records.labels(stage=stage.name)
        self._commits = metrics.commits.labels(stage=stage.name)
        self._aborts = metrics.transaction_aborts.labels(stage=stage.name)
        self.assigned = metrics.assigned_partitions.labels(stage=stage.name)
        self.rebalances = metrics.rebalances.labels(stage=stage.name)
        self._last_commit = metrics.last_commit.labels(stage=stage.name)
        self.owned: set[int] = set()  # input partition numbers whose state this stage holds
        self._positions: dict[TopicPartition, int] = {}  # next offset to handle, per owned input partition
        self._committed: dict[TopicPartition, int] = {}  # next offset after the last committed transaction
        self._staged: dict[int, dict[TopicPartition, int]] = {}  # offsets handed to the open transactions
        # Seeks so far, and the count at each input partition's latest one: a fetched batch that waited for the
        # lock while its partition was sought back (a rollback, a rebalance) is stale there; the consumer reads
        # the partition again from the new position.
        self._seeks = 0
        self._sought_at: dict[TopicPartition, int] = {}
        self._rebalancing = False
        self._slice_sizer = SliceSizer(HANDLE_SLICE_S, MIN_SLICE_RECORDS, settings.batch_max_records)
        self._membership: tuple[int, str] | None = None  # the group generation and member id of the last assignment
        # Per partition, where the changelog ended once its last batch before a rebalance committed: a partition that
        # then moves away is parked with it (``_Parked``), and comes back restoring only the changelog after it.
        self._revoked_at: dict[int, int] = {}
        self._parked: dict[int, _Parked] = {}
        self._partition_count_seen = 0
        self._aborts_in_row: dict[int, int] = {}  # per partition: rollbacks since its last successful batch
        self._failing_since: dict[int, float] = {}  # per partition: when the first of those rollbacks happened
        super().__init__(**kwargs)

    @property
    def label(self) -> str:
        return f"BatchAgent[{self.stage.name}]"

    @property
    def group_id(self) -> str:
        return f"{self.settings.app_id}.{self.stage.name}"

    async def on_start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=self.settings.batch_max_records,
            fetch_max_wait_ms=self.settings.fetch_max_wait_ms,
            session_timeout_ms=self.settings.session_timeout_ms,
            group_instance_id=self.settings.group_instance_id,  # None: dynamic membership
            # Members learn of a rebalance from their next heartbeat: its interval bounds the pause when another
            # worker joins or leaves. Capped below a third of the session timeout, as Kafka requires.
            heartbeat_interval_ms=min(self.settings.heartbeat_interval_ms, self.settings.session_timeout_ms // 3),
            # One member gets a partition number of every input topic, as the stage's state needs.
            partition_assignment_strategy=ASSIGNORS,
            **self.settings.kafka_client_kwargs(),
        )
        self.consumer.subscribe(list(self.stage.input_topics), listener=_Rebalance(self))
        await self.consumer.start()

    def _group_metadata(self) -> GroupMetadata:
        assert self.consumer is not None
        return consumer_group_metadata(self.consumer, self.settings.group_instance_id)

    async def on_stop(self) -> None:
        if self.consumer is not None:
            async with self.batch_lock:  # finish the batch being handled, then commit all
                if self.health.failed is None:  # after a fatal error nothing more is committed
                    await self._flush()
                    await self.committer.drain()
            # Outside the lock: aiokafka's stop waits for its coordination task to finish a rebalance in progress,
            # whose listener would wait for the lock.
            await self.consumer.stop()
        await self.committer.stop()

    # ------------------------------------------------------------------------------------------ partitions

    async def partitions_revoked(self) -> None:
        await self._flush()
        await self.committer.drain()
        self._rebalancing = True
        self.health.stage(self.stage.name, False)
        self.assigned.set(0)
        if not self.committer.transactional or self._left_group():
            # A partition that comes back may have been changed by another worker meanwhile: without fencing, or
            # when this worker was expelled from the group (a long pause) and others took over its partitions.
            await self._give_up(set(self.owned))
            self._forget_parked()
        else:
            # Everything handled is committed and nothing is handled until the assignment: the state of each owned
            # partition is now the changelog's up to its end.
            self._revoked_at = await self._changelog_ends(self.owned)

    async def _changelog_ends(self, partitions: set[int]) -> dict[int, int]:
        """Each partition's changelog end for ``read_committed`` readers (the last stable offset: reading on from
        there misses nothing; one of this worker's transactions whose marker is not written yet is read again)."""
        topic = self.stage.changelog_topic
        # Numbers past the changelog's partitions (an external input topic has more) hold no state.
        stateful = sorted(p for p in partitions if p < self._partition_count_seen)
        if topic is None or not stateful or self.consumer is None:
            return {}
        try:
            async with asyncio.timeout(CHANGELOG_ENDS_TIMEOUT_S):  # the group waits for this revocation
                ends = await self.consumer.end_offsets([TopicPartition(topic, p) for p in stateful])
        except Exception as exc:  # only an optimisation: partitions that move away are then forgotten
            logger.warning("stage=%s: changelog ends unknown (%s); partitions that move away are not kept",
                           self.stage.name, type(exc).__name__)  # fmt: skip
            return {}
        return {tp.partition: offset for tp, offset in ends.items()}

    def _left_group(self) -> bool:
        """aiokafka resets the generation and member id when the coordinator no longer knows this member."""
        metadata = self._group_metadata()
        return metadata.generation_id < 0 or not metadata.member_id

    async def partitions_assigned(self, partitions: set[int]) -> None:
        """Drop partitions that moved away; fence earlier owners of new ones, wait for their committed offsets,
        then restore their state; seek every input partition to where its committed state ends."""
        partition_count = self._partition_count()  # the stage's own topics agree, or the worker stops here
        metadata = self._group_metadata()
        membership = (metadata.generation_id, metadata.member_id)
        if self.owned and self._membership != (membership[0] - 1, membership[1]):
            # A generation this worker took no part in (its join or sync failed, or it was expelled, and no
            # revocation told it): others may have changed its partitions meanwhile. None is kept.
            logger.info("stage=%s: generation %d does not follow %s; restoring partitions %s instead of keeping them",
                        self.stage.name, membership[0], self._membership, sorted(self.owned))  # fmt: skip
            await self._give_up(set(self.owned))
            self._forget_parked()
        self._membership = membership
        if partition_count != self._partition_count_seen:  # a parked state would be another partitioning's
            self._forget_parked()
            self._revoked_at = {}  # and nothing moving away now is parked either
            self._partition_count_seen = partition_count
        await self._park(self.owned - partitions)
        new = partitions - self.owned
        starts: dict[TopicPartition, int | None] = {}
        if new:
            started = time.monotonic()
            await self.committer.open(new)  # ends a crashed earlier owner's open transaction at once
            # Before the restore: once no open transaction holds their offsets, the changelog read next holds
            # everything those offsets stand for.
            starts = await self._committed_offsets(self._input_partitions(new))
            await self._restore(new, partition_count)
            logger.info("stage=%s: took over partitions %s in %.0f ms", self.stage.name, sorted(new),
                        (time.monotonic() - started) * 1000)  # fmt: skip
        self.owned = set(partitions)
        self._revoked_at = {}
        await self._seek(partitions - new, trust_local=True)
        await self._seek_to(starts)
        self._rebalancing = False
        self.health.stage(self.stage.name, True)

    async def _restore(self, partitions: set[int], partition_count: int) -> None:
        stage = self.stage
        if stage.changelog_topic is not None:
            started = time.monotonic()
            # An external topic with more partitions than the stage's own gives numbers with no state: its
            # records all move to their key's partition.
            stateful = {p for p in partitions if p < partition_count}
            parked = {p: self._parked.pop(p).changelog_offset for p in partitions if p in self._parked}
            back = stage.partitions_unparked(set(parked))
            resume = {p: offset for p, offset in parked.items() if p in back}
            in_full: set[int] = set()  # kept, but the changelog no longer holds where that state ended

            def reset(partition: int) -> None:
                in_full.add(partition)
                stage.partitions_revoked({partition})

            _, failed = await restore_partitions(
                self.settings, stage.changelog_topic, stateful, stage.restore, resume_from=resume, reset=reset
            )
            if resumed := set(resume) - in_full:
                self.metrics.state_resumed_partitions.labels(stage=stage.name).inc(len(resumed))
                logger.info("stage=%s: partitions %s came back with their kept state; restored only the changelog "
                            "after it", stage.name, sorted(resumed))  # fmt: skip
            self.metrics.state_restore_errors.labels(stage=stage.name).inc(failed)
            self.metrics.state_restore_seconds.labels(stage=stage.name).observe(time.monotonic() - started)
        stage.partitions_assigned(set(partitions), partition_count)

    def _partition_count(self) -> int:
        """The partition count of the stage's own input topics (external ones may differ: see
        ``Stage.external_topics``). Own topics altered to unequal counts would put one key's records, and its
        state, on two partition numbers: the worker stops instead, as Kafka Streams does."""
        assert self.consumer is not None
        own = [t for t in self.stage.input_topics if t not in self.stage.external_topics]
        counts = {t: len(self.consumer.partitions_for_topic(t) or ()) for t in own or self.stage.input_topics}
        if len({count for count in counts.values() if count}) > 1:
            raise RuntimeError(f"stage {self.stage.name}: its own input topics must have the same partition "
                               f"count, found {counts}")  # fmt: skip
        return max(counts.values(), default=0) or self.settings.partitions

    def _input_partitions(self, partitions: set[int]) -> list[TopicPartition]:
        assert self.consumer is not None
        assignment = self.consumer.assignment()
        return [tp for tp in assignment if tp.partition in partitions]

    async def _seek(self, partitions: set[int], trust_local: bool) -> None:
        """Position each input partition after its last committed batch. The group's committed offset can lag
        a transaction that just committed (its offset marker is written after the commit returns), so for a
        partition this worker kept, its own record of what it committed wins."""
        tps = self._input_partitions(partitions)
        local = self._committed if trust_local and self.committer.transactional else {}
        offsets: dict[TopicPartition, int | None] = {tp: local[tp] for tp in tps if tp in local}
        offsets.update(await self._committed_offsets([tp for tp in tps if tp not in local]))
        await self._seek_to(offsets)

    async def _committed_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int | None]:
        assert self.consumer is not None
        if not tps:
            return {}
        if self.committer.transactional:  # once no open transaction holds offsets for them
            timeout = self.settings.transaction_timeout_ms / 1000 + 5
            return await stable_committed(self.consumer, self.group_id, tps, timeout)
        return {tp: await self.consumer.committed(tp) for tp in tps}

    async def _seek_to(self, offsets: dict[TopicPartition, int | None]) -> None:
        assert self.consumer is not None
        for tp, committed in offsets.items():
            if committed is None:  # never committed: from the start
                await self.consumer.seek_to_beginning(tp)
                start = await self.consumer.position(tp)
            else:
                self.consumer.seek(tp, start := committed)
            self._positions[tp] = self._committed[tp] = start
            self._seeks += 1
            self._sought_at[tp] = self._seeks

    async def _park(self, partitions: set[int]) -> None:
        """Partitions that moved to another worker: those whose changelog end is known keep their state (parked)."""
        ends = self._revoked_at
        keep = {p for p in partitions if p in ends and self.stage.changelog_topic is not None}
        await self._give_up(partitions - keep)
        await self._give_up(keep, parked=True)
        now = time.monotonic()
        for partition in keep:
            self._parked[partition] = _Parked(ends[partition], now)

    def _forget_parked(self, older_than_s: float = 0.0) -> None:
        now = time.monotonic()
        old = {p for p, parked in self._parked.items() if now - parked.since >= older_than_s}
        if old:
            self.stage.partitions_revoked(old)
            for partition in old:
                del self._parked[partition]

    async def _give_up(self, partitions: set[int], parked: bool = False) -> None:
        if not partitions:
            return
        self._updates.forget(partitions)
        if parked:
            self.stage.partitions_parked(set(partitions))
        else:
            self.stage.partitions_revoked(set(partitions))
        await self.committer.close(partitions)
        self.owned -= partitions
        for partition in partitions:
            self._clear_failures(partition)
        for tps in (self._positions, self._committed, self._sought_at):
            for tp in [tp for tp in tps if tp.partition in partitions]:
                del tps[tp]

    async def _rewind(self, partitions: set[int]) -> None:
        """An aborted transaction: state back to the committed changelog, input back to the committed offsets."""
        self._aborts.inc(len(partitions))
        now = time.monotonic()
        for partition in partitions:
            self._aborts_in_row[partition] = self._aborts_in_row.get(partition, 0) + 1
            self._failing_since.setdefault(partition, now)
        in_row = max(self._aborts_in_row[p] for p in partitions)
        stuck = now - min(self._failing_since[p] for p in partitions)
        if stuck >= self.settings.task_timeout_ms / 1000:
            # Never skip: stop with the records named; the orchestrator restarts the worker, which retries them.
            raise RuntimeError(
                f"stage {self.stage.name}: {in_row} transactions in a row aborted for partitions "
                f"{sorted(partitions)} over {stuck:.1f}s; the batch starting at {self._where(partitions)} cannot be "
                "committed"
            )
        pause = min(MAX_RETRY_PAUSE_S, 0.05 * 2**in_row)
        logger.warning("stage=%s: partitions %s rolled back; re-reading in %.2fs", self.stage.name, sorted(partitions),
                       pause)  # fmt: skip
        await self.committer.drain()  # at_least_once: what is in flight lands before the state is read back
        await asyncio.sleep(pause)
        self._updates.forget(partitions)
        self.stage.partitions_revoked(set(partitions))
        await self._restore(partitions, self._partition_count())
        await self._seek(partitions, trust_local=True)

    # ------------------------------------------------------------------------------------------- batches

    @Service.task
    async def _consume(self) -> None:
        assert self.consumer is not None
        taken: list[tuple[dict[TopicPartition, list[Any]], int]] = []  # fetched during a commit, with the seek count
        try:
            while not self.should_stop:
                if taken:
                    batch, seeks_seen = taken.pop(0)
                else:
                    # With a transaction open, only what is already fetched is taken: an idle input commits at once.
                    wait = 0 if self.committer.due(idle=True) else self.settings.poll_timeout_ms
                    try:
                        batch = await self.consumer.getmany(
                            timeout_ms=wait, max_records=self.settings.batch_max_records
                        )
                    except ConsumerStoppedError:
                        return  # on_stop ran between two batches
                    seeks_seen = self._seeks
                if batch:
                    for piece in slices(batch, self._slice_sizer.size):
                        await self.process(piece, seeks_seen)
                        await asyncio.sleep(0)  # the other stages' commits and fetches go on in between
                if self.committer.due(idle=not batch):
                    await self._flush_taking_fetched(taken)
        except Exception as exc:
            await self._fatal(exc)

    async def _flush_taking_fetched(self, taken: list[tuple[dict[TopicPartition, list[Any]], int]]) -> None:
        """Commit, taking what the consumer fetches meanwhile into ``taken``: each batch with the seek count when it
        was taken (as ``process`` needs), at most ``batch_max_records`` held in all. aiokafka sends a broker no
        fetch while records fetched from it wait to be taken, so a stage that only committed left on the broker
        whatever arrived after the first records of its commit, for a whole commit more (at 1,000 mentions/s,
        two commits per hop instead of one)."""
        assert self.consumer is not None
        commit = asyncio.ensure_future(self.flush())
        room = self.settings.batch_max_records - sum(len(r) for batch, _ in taken for r in batch.values())
        fetch: asyncio.Future[dict[TopicPartition, list[Any]]] | None = None
        try:
            while room > 0 and not commit.done():
                fetch = asyncio.ensure_future(self.consumer.getmany(timeout_ms=FETCH_WAIT_MS, max_records=room))
                await asyncio.wait((commit, fetch), return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    break  # the commit ended first; nothing was taken by the fetch still waiting
                batch, fetch = fetch.result(), None
                if batch:
                    taken.append((batch, self._seeks))
                    room -= sum(map(len, batch.values()))
        except ConsumerStoppedError:
            pass  # stopping: the commit still ends
        except BaseException:
            commit.cancel()  # as an awaited commit would be
            raise
        finally:
            if fetch is not None and not fetch.done():
                fetch.cancel()  # it took nothing: its records stay with the consumer, taken by the next getmany
        await commit

    async def _fatal(self, exc: BaseException) -> None:
        """The stage cannot go on: liveness fails at once and the worker exits non-zero (streams.cli)."""
        logger.critical("stage=%s: fatal %s: %s; the worker stops", self.stage.name, type(exc).__name__, exc)
        reason = f"{self.stage.name}: {type(exc).__name__}"
        if self.health.failed is None:
            exit_within(SHUTDOWN_DEADLINE_S, reason)
        self.health.fail(reason)
        await self.crash(exc)

    @Service.task
    async def _run_committer(self) -> None:
        await self.committer.run()

    async def process(self, batch: dict[TopicPartition, list[Any]], seeks_seen: int | None = None) -> None:
        """``seeks_seen``: the seek count when the batch was fetched (None: fetched now)."""
        async with self.batch_lock:
            if self._rebalancing:
                # Fetched before the revocation (the rest of a sliced batch, waiting for the lock): the partitions'
                # state is committed and may move, so nothing more is handled for them before the assignment, which
                # seeks every kept partition back to its committed position to read these records again.
                return
            accepted = self._accept(batch, self._seeks if seeks_seen is None else seeks_seen)
            if not accepted:
                return
            started = time.perf_counter()
            work = self.handle_batch(accepted)
            self._slice_sizer.observe(sum(map(len, accepted.values())), time.perf_counter() - started)
            failed = {p for p, part in work.items() if part.failed} | await self._misfits(work)
            self._updates.seal(failed)  # a failed partition's batch is read again: its updates never happened
            for tp, records in accepted.items():
                self._positions[tp] = work[tp.partition].offsets[tp] = records[-1].offset + 1
            await self._stage({p: part for p, part in work.items() if p not in failed})
            if failed:  # commit what is open, then re-read these partitions from their last commit
                self.stage.partitions_revoked(failed)  # this batch's share is not part of what commits now
                await self._flush()
                if failed & self.owned:  # not those the commit lost to another worker
                    await self._rewind(failed & self.owned)

    async def _misfits(self, work: dict[int, PartitionWork]) -> set[int]:
        """Partitions with an output for a topic whose limit was not known when ``handle_batch`` checked, that the
        limit now read does not take: rolled back and read again, when the check dead-letters the input. Nothing
        of theirs was sent: a record that cannot be written must not stop the stage."""
        limits = self._limits
        unknown = limits.unknown({o.topic for part in work.values() for o in part.outputs})
        if not unknown or self._producer.producer is None:
            return set()
        await limits.max_message_bytes(unknown, describe_with(self._producer.producer))
        small = {topic: limits.small[topic] for topic in unknown if topic in limits.small}
        if not small:
            return set()
        return {
            partition
            for partition, part in work.items()
            if any(o.topic in small and not fits_alone(o, small[o.topic]) for o in part.outputs)
        }

    async def _stage(self, work: dict[int, PartitionWork]) -> None:
        for partition, part in work.items():
            self._staged.setdefault(partition, {}).update(part.offsets)
            if not self.committer.transactional:
                self._clear_failures(partition)  # handed on: at_least_once has no later verdict
                self._updates.release({partition})
                self.stage.committed({partition})
        await self.committer.stage(work)

    def _accept(self, batch: dict[TopicPartition, list[Any]], seeks_seen: int) -> dict[TopicPartition, list[Any]]:
        """Records of owned partitions that are not handled yet (a fetch that raced a seek can repeat some), from
        partitions not sought since the batch was fetched: after a rollback to offset 10, a batch starting at 13
        fetched before it would otherwise pass the offset check and skip 10-12."""
        accepted = {}
        sought_at = self._sought_at
        for tp, records in batch.items():
            if tp.partition not in self.owned or not records or sought_at.get(tp, 0) > seeks_seen:
                continue
            expected = self._positions.get(tp, 0)
            fresh = records if records[0].offset >= expected else [r for r in records if r.offset >= expected]
            if fresh:
                accepted[tp] = fresh
        return accepted

    async def flush(self) -> None:
        """Commit what was staged (exactly_once); roll back aborted partitions, give up lost ones."""
        async with self.batch_lock:
            await self._flush()

    async def _flush(self) -> None:
        outcomes = await self.committer.flush()
        staged, self._staged = self._staged, {}
        rewind = {p for p, outcome in outcomes.items() if outcome is Outcome.ABORTED}
        lost = {p for p, outcome in outcomes.items() if outcome is Outcome.LOST}
        broken = sorted(p for p, outcome in outcomes.items() if outcome is Outcome.BROKEN)
        if broken:  # never skip: stop with the records named; the orchestrator restarts the worker, which retries
            raise RuntimeError(
                f"stage {self.stage.name}: the transaction of partitions {broken} can neither commit nor abort; "
                f"the batch starting at {self._where(set(broken))} is retried when the worker restarts"
            )
        if Outcome.COMMITTED in outcomes.values():
            for p, outcome in outcomes.items():
                if outcome is Outcome.COMMITTED:
                    self._committed.update(staged.get(p, {}))
                    self._clear_failures(p)
            committed = {p for p, outcome in outcomes.items() if outcome is Outcome.COMMITTED}
            self._updates.release(committed)
            self.stage.committed(committed)
            self._committed_now()
        if lost:
            # Fenced: another worker owns some of them, or this one left the group's generation. Every partition's
            # state may have moved on elsewhere meanwhile, not only those in the transaction: all are given up.
            logger.warning("stage=%s: partitions %s lost to another worker; giving up %s and rejoining the group",
                           self.stage.name, sorted(lost), sorted(self.owned))  # fmt: skip
            await self._give_up(set(self.owned))
            self._forget_parked()
            assert self.consumer is not None
            self.consumer._coordinator.request_rejoin()
        if rewind:
            await self._rewind(rewind)

    def _where(self, partitions: set[int]) -> dict[str, int]:
        """topic:partition → the offset the uncommitted batch starts at."""
        return {f"{tp.topic}:{tp.partition}": o for tp, o in self._committed.items() if tp.partition in partitions}

    def _clear_failures(self, partition: int) -> None:
        """The partition committed, was handed on, or is no longer this worker's: its run of rollbacks ends."""
        self._aborts_in_row.pop(partition, None)
        self._failing_since.pop(partition, None)

    def _committed_now(self) -> None:
        self._commits.inc()
        self._last_commit.set_to_current_time()

    @Service.timer(1.0)
    async def _timers(self) -> None:
        """Let a stage with timers (escalations) emit outputs; each partition's are committed with its state."""
        if self._parked:
            self._forget_parked(older_than_s=PARKED_KEEP_S)
        if not self.stage.has_timers or self.consumer is None:
            return
        try:
            await self._fire_timers()
        except Exception as exc:
            await self._fatal(exc)

    async def _fire_timers(self) -> None:
        """Every owned partition's due timers, in rounds of at most ``TIMER_ROUND_OUTPUTS`` outputs a partition,
        yielding the event loop between rounds: thousands of escalations due at once (business hours opening, a
        worker back after an outage) neither hold the other stages' loop for seconds nor pile up in one
        transaction (a round's outputs are committed once the transaction is due, as fetched batches are)."""
        async with self.batch_lock:
            if self._rebalancing:
                return
            failed: set[int] = set()
            due = sorted(self.owned)
            while due:
                work: dict[int, PartitionWork] = {}
                more: list[int] = []
                for partition in due:
                    outputs: list[Output] = []
                    try:
                        if self.stage.tick(partition, outputs, TIMER_ROUND_OUTPUTS):
                            more.append(partition)
                        self.stage.end_batch(partition, outputs)
                    except Exception as exc:  # this partition's timers only; its state goes back to the changelog's
                        logger.error("stage=%s partition=%d: timers failed: %s", self.stage.name, partition,
                                     type(exc).__name__)  # fmt: skip
                        failed.add(partition)
                        more = [p for p in more if p != partition]
                        continue
                    if outputs:
                        # With its input position: every transaction's offsets carry the group generation (a worker
                        # that left the group must not commit timer outputs either).
                        positions = {tp: o for tp, o in self._positions.items() if tp.partition == partition}
                        work[partition] = PartitionWork(outputs, positions)
                self._updates.seal(failed)
                if work:
                    await self._stage(work)
                # The rest waits for the next second's tick (or the partition's next owner) if the group rebalances
                # or the worker stops meanwhile: both wait for this lock.
                due = [p for p in more if p in self.owned] if not (self._rebalancing or self.should_stop) else []
                if due:
                    if self.committer.due(idle=False):
                        await self._flush()
                        due = [p for p in due if p in self.owned]
                    await asyncio.sleep(0)  # the other stages' fetches, commits and heartbeats
            await self._flush()  # timer outputs (escalations) are not held back by the commit interval
            if failed & self.owned:  # not those the commit lost to another worker
                await self._rewind(failed & self.owned)
            self.stage.after_ticks()

    def handle_batch(self, batch: dict[TopicPartition, list[Any]]) -> dict[int, PartitionWork]:
        """Every record's outputs (or its dead letter), then each partition's state changes, by input partition."""
        stage = self.stage
        handle = stage.handle
        max_bytes = self.settings.max_payload_bytes
        tombstones = stage.accepts_tombstones
        observe = self._stage_seconds.observe
        clock = time.perf_counter
        small = self._limits.small  # topics a record may not fit (streams.runtime.topic_limits); usually none
        count = sum(map(len, batch.values()))
        started = clock()
        # Only the records handle() will see: empty and oversize ones are dead-lettered before it.
        try:
            stage.begin_batch(
                [r for records in batch.values() for r in records if r.value is not None and len(r.value) <= max_bytes]
            )
        except Exception as exc:  # only an optimisation: handle() does each record's work on its own
            logger.error("stage=%s: begin_batch failed: %s", stage.name, type(exc).__name__)
        share = (clock() - started) / max(1, count)  # each record's part of the batch-wide work: they add up
        work: dict[int, PartitionWork] = {}
        for tp, records in batch.items():
            partition_work = work.get(tp.partition)
            if partition_work is None:
                partition_work = work[tp.partition] = PartitionWork()
            out = partition_work.outputs
            for record in records:
                mark = len(out)
                started = clock()
                try:
                    value = record.value
                    if value is None:
                        if not tombstones:
                            raise EmptyValueError("record has no value")
                    elif len(value) > max_bytes:
                        raise OversizeError(f"value is {len(value)} bytes; the maximum is {max_bytes}")
                    handle(record, out)
                    if small:
                        _check_fits(out, mark, small)
                except Exception as exc:  # every failure becomes a dead letter; the stream goes on
                    del out[mark:]
                    out.append(self._dead_letter(record, exc))
                observe(clock() - started + share)
        for partition, partition_work in work.items():
            try:
                stage.end_batch(partition, partition_work.outputs)
            except Exception as exc:  # the partition's state changes cannot be written: roll it back
                logger.error("stage=%s partition=%d: end_batch failed: %s; the partition's batch is rolled back",
                             stage.name, partition, type(exc).__name__)  # fmt: skip
                partition_work.failed = True
        self._batch_records.observe(count)
        return work

    def _dead_letter(self, record: InputRecord, exc: Exception) -> Output:
        reason = classify(exc)
        counter = self.metrics.dead_letters.labels(stage=self.stage.name, reason=reason.value)
        self._updates.add(record.partition, counter.inc)
        logger.warning(
            "dead letter: stage=%s topic=%s partition=%d offset=%d reason=%s error=%s",
            self.stage.name, record.topic, record.partition, record.offset, reason.value, type(exc).__name__,
        )  # fmt: skip
        # A dead-letter topic set below the router's letters gets letters with less of the original, not a stall.
        limit = self._limits.small.get(self.dlq_topic)
        keep = MAX_ORIGINAL_BYTES if limit is None else original_bytes_within(limit)
        letter = dead_letter(record, self.stage.name, exc, keep=keep)
        return dead_letter_output(self.dlq_topic, letter, record.key, keep)

    async def _commit_offsets(self, offsets: dict[TopicPartition, int]) -> None:
        """at_least_once: commit offsets whose batches' outputs were acknowledged."""
        assert self.consumer is not None
        try:
            await self.consumer.commit(offsets)
            self._committed_now()
        except (CommitFailedError, IllegalStateError) as exc:
            # A rebalance took the partitions; their new owner re-reads from the last commit.
            logger.warning(
                "commit after rebalance failed for stage=%s offsets=%s: %s (records will be re-read)",
                self.stage.name, {f"{tp.topic}:{tp.partition}": o for tp, o in offsets.items()}, exc,
            )  # fmt: skip


def _check_fits(out: list[Output], mark: int, small: dict[str, int]) -> None:
    """Raise when one of the outputs from ``mark`` on is larger than its topic takes."""
    for index in range(mark, len(out)):
        output = out[index]
        limit = small.get(output.topic)
        if limit is not None and not fits_alone(output, limit):
            raise OutputTooLargeError(
                f"its record for {output.topic} would be {len(output.value or b'')} bytes; the topic takes record "
                f"batches of at most {limit} (max.message.bytes)"
            )
