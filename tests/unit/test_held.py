"""Partitions held behind an open transaction, from plain offsets (no broker)."""

from __future__ import annotations

from streams.observability.held import Held, held_partitions

A, B = ("mentions.raw", 0), ("mentions.raw", 1)


def test_a_partition_is_held_while_its_end_is_beyond_its_last_stable_offset() -> None:
    held = held_partitions({}, stable={A: 10, B: 7}, ends={A: 14, B: 7}, now=100.0)
    assert held == {A: Held(stable=10, records=4, since=100.0)}


def test_a_held_partition_whose_stable_offset_stands_still_keeps_its_since() -> None:
    first = held_partitions({}, {A: 10}, {A: 14}, now=100.0)
    later = held_partitions(first, {A: 10}, {A: 30}, now=160.0)
    assert later == {A: Held(10, 20, since=100.0)}


def test_a_stable_offset_that_moved_starts_a_new_hold() -> None:
    # The router's own transactions: an open one at every read, but each read finds the LSO further on.
    first = held_partitions({}, {A: 10}, {A: 14}, now=100.0)
    later = held_partitions(first, {A: 12}, {A: 20}, now=110.0)
    assert later == {A: Held(12, 8, since=110.0)}


def test_a_hold_ends_when_the_transaction_ends() -> None:
    first = held_partitions({}, {A: 10}, {A: 14}, now=100.0)
    released = held_partitions(first, {A: 15}, {A: 15}, now=110.0)
    assert released == {}
    # a later hold counts from when it was seen, not from the first one
    assert held_partitions(released, {A: 15}, {A: 16}, now=200.0) == {A: Held(15, 1, since=200.0)}


def test_a_partition_without_a_known_end_is_not_held() -> None:
    assert held_partitions({}, {A: 10}, {}, now=1.0) == {}
