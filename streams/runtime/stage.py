"""The contract between a stage's logic and the runner that hosts it (``streams.runtime.batch_agent``).

A stage is plain Python: it reads ``InputRecord`` values and appends ``Output`` values, so it is tested
without Kafka. Every hook the runner calls is declared here with a default, so the runner never probes a
stage for optional methods. A stage's state is kept per input partition (a *task*, in Kafka Streams'
words): partition p of every input topic, of the changelog and of the stage's state belong together, and
the runner commits each partition's outputs, state changes and input offsets as one unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeVar

from streams.runtime.records import InputRecord, Output
from streams.runtime.updates import HeldUpdates
from streams.state_bounds import Bound

if TYPE_CHECKING:
    from prometheus_client import Counter

    from streams.metrics import Metrics


class Stage:
    """One processing step. Subclasses set ``name`` and ``input_topics`` and implement ``handle``."""

    name: ClassVar[str]
    input_topics: tuple[str, ...]
    changelog_topic: str | None = None  # set by stages whose state is restored on assignment
    # Inputs any producer writes, with any partition count: the stage moves a record that is not on its key's
    # partition of the stage's own topics. The other inputs are the router's and share one partition count.
    external_topics: tuple[str, ...] = ()
    has_timers: ClassVar[bool] = False  # True: the runner calls ``tick`` for each owned partition every second
    accepts_tombstones: ClassVar[bool] = False  # False: a record without a value is dead-lettered before handle
    # Counter updates by input partition; the runner replaces this (immediate) one with one applied at commit.
    updates: HeldUpdates = HeldUpdates()

    def handle(self, record: InputRecord, out: list[Output]) -> None:
        """Append the record's outputs to ``out``. May raise: the runner discards what this record appended and
        dead-letters it, so a record ends in exactly one place."""
        raise NotImplementedError

    def begin_batch(self, records: Sequence[InputRecord]) -> None:
        """See every record of a fetched batch before the first ``handle`` (batch-wide work). It must not emit
        outputs or fail records; an exception here only means ``handle`` does all the work."""

    def end_batch(self, partition: int, out: list[Output]) -> None:
        """Append ``partition``'s state changes since the last call (changelog outputs)."""

    def tick(self, partition: int, out: list[Output], limit: int | None = None) -> bool:
        """Timers due on ``partition`` (only when ``has_timers``); state changes follow via ``end_batch``.
        ``limit``: about this many outputs at most. Returns whether more is due (the runner calls again)."""
        return False

    def committed(self, partitions: set[int]) -> None:
        """What ``partitions`` handled so far is committed (exactly_once) or handed on (at_least_once): count it.
        A rollback calls ``partitions_revoked`` instead."""

    def after_ticks(self) -> None:
        """Called after each round of ``tick`` calls (refresh gauges computed from state)."""

    def restore(self, partition: int, key: bytes, value: bytes | None) -> None:
        """One changelog record of ``partition``, replayed before its first input record."""

    def partitions_assigned(self, partitions: set[int], partition_count: int) -> None:
        """``partitions`` are now this stage's, their state restored; ``partition_count`` is the input topics'."""

    def partitions_revoked(self, partitions: set[int]) -> None:
        """Forget the state of ``partitions`` (moved to another worker, or rolled back to be restored again), kept
        or parked."""

    def partitions_parked(self, partitions: set[int]) -> None:
        """``partitions`` moved to another worker with their state committed: keep it aside, out of the stage's
        work and gauges, in case they come back (``partitions_unparked``). A stage that keeps nothing forgets."""
        self.partitions_revoked(partitions)

    def partitions_unparked(self, partitions: set[int]) -> set[int]:
        """Take back the parked state of those of ``partitions`` that have one, before the runner restores only
        the changelog written since they were parked; return them (the others are restored in full)."""
        return set()


class StateStore(Protocol):
    """One partition's state: rebuilt from changelog records, asked for its changes since the last drain, and
    bounded in every part that input can grow (``streams.state_bounds``)."""

    def restore(self, key: bytes, value: bytes | None) -> None: ...

    def drain_changes(self) -> list[tuple[bytes, bytes | None]]: ...

    def __len__(self) -> int: ...

    @property
    def bounds(self) -> Mapping[str, Bound]: ...

    def sizes(self) -> Mapping[str, int]:
        """The current size of each bounded part, by the names of ``bounds``."""
        ...

    def enforce_bounds(self) -> None:
        """Apply the limits after they changed (a new partition count): evict, as the store does at its bounds."""
        ...

    def holds_outputs(self) -> bool:
        """Whether it holds outputs its next event or timer returns (the tracker's given-up responses)."""
        ...


S = TypeVar("S", bound=StateStore)


class PartitionStores(Generic[S]):
    """The per-partition state bookkeeping every stateful stage needs: one store per owned partition, created
    on first use, restored from and drained into the changelog, dropped on revocation; each store's bounds
    shared over the input partitions and reported as ``mention_router_state_size{stage,store}`` (with its
    ``_limit`` and ``mention_router_state_evictions_total``)."""

    def __init__(
        self, changelog_topic: str, new_store: Callable[[], S], metrics: Metrics | None = None, stage: str = ""
    ) -> None:
        self.changelog_topic = changelog_topic
        self._new_store = new_store
        self._stores: dict[int, S] = {}
        self._parked: dict[int, S] = {}  # partitions that moved away, their state kept (``Stage.partitions_parked``)
        self._partition_count = 0
        self._evictions: dict[str, Counter] = {}
        if metrics is not None:
            for name, bound in new_store().bounds.items():
                metrics.state_size_limit.labels(stage=stage, store=name).set(bound.worker_limit)
                metrics.state_size.labels(stage=stage, store=name).set_function(partial(self._size, name))
                self._evictions[name] = metrics.state_evictions.labels(stage=stage, store=name)

    def __getitem__(self, partition: int) -> S:
        store = self._stores.get(partition)
        if store is None:
            store = self._stores[partition] = self._new_store()
            self._share(store)
        return store

    def __iter__(self) -> Iterator[tuple[int, S]]:
        return iter(list(self._stores.items()))  # a copy: metrics scrapes read it from another thread

    def drain(self, partition: int, out: list[Output]) -> None:
        store = self._stores.get(partition)
        if store is not None:
            for key, value in store.drain_changes():  # value None: a tombstone, compaction forgets the key
                out.append(Output(self.changelog_topic, key, value, None, partition))
            for name, bound in store.bounds.items():
                if bound.evicted and name in self._evictions:
                    self._evictions[name].inc(bound.take_evicted())

    def restore(self, partition: int, key: bytes, value: bytes | None) -> None:
        self[partition].restore(key, value or None)

    def assigned(self, partitions: set[int], partition_count: int) -> None:
        """``partitions`` were restored; from now on every store holds its share of the worker's limits."""
        for partition in partitions:
            self[partition].drain_changes()  # what was restored is in the changelog already
        self._partition_count = partition_count
        for _, store in self:
            self._share(store)  # evictions it causes are changes: drained with the partition's next batch

    def _share(self, store: S) -> None:
        if self._partition_count:
            for bound in store.bounds.values():
                bound.share(self._partition_count)
            store.enforce_bounds()

    def revoked(self, partitions: set[int]) -> None:
        for partition in partitions:
            self._stores.pop(partition, None)
            self._parked.pop(partition, None)

    def park(self, partitions: set[int]) -> None:
        """Keep the stores of ``partitions`` aside. One with changes or outputs not written yet (the bounds applied at
        the assignment evicted something, and no batch has written it since) is not the changelog's state: it is
        forgotten instead, and the partition restored in full if it comes back."""
        for partition in partitions:
            store = self._stores.pop(partition, None)
            if store is not None and not store.drain_changes() and not store.holds_outputs():
                self._parked[partition] = store

    def unpark(self, partitions: set[int]) -> set[int]:
        back = {partition for partition in partitions if partition in self._parked}
        for partition in back:
            self._stores[partition] = self._parked.pop(partition)
        return back

    def size(self) -> int:
        return sum(len(store) for _, store in self)

    def _size(self, name: str) -> int:
        return sum(store.sizes()[name] for _, store in self)
