"""Restoring from each key's last value gives the state that replaying every changelog record gives."""

from __future__ import annotations

import random

from streams.runtime.last_values import LastValues


def _replay(records: list[tuple[int, int, bytes, bytes | None]]) -> dict[int, dict[bytes, bytes]]:
    """A store whose order is that of last writes, as the stages' bounded stores keep it (``put_last``)."""
    state: dict[int, dict[bytes, bytes]] = {}
    for partition, _, key, value in records:
        store = state.setdefault(partition, {})
        store.pop(key, None)
        if value is not None:
            store[key] = value
    return state


def _through(
    window: LastValues, records: list[tuple[int, int, bytes, bytes | None]]
) -> list[tuple[int, int, bytes, bytes | None]]:
    applied = []
    for partition, offset, key, value in records:
        if window.add(partition, offset, key, value):
            applied += window.drain()
    applied += window.drain()
    return applied


def test_each_key_is_applied_once_with_its_last_value_in_the_order_of_last_writes() -> None:
    records = [(0, 0, b"a", b"1"), (0, 1, b"b", b"1"), (1, 0, b"a", b"x"), (0, 2, b"a", b"2"), (0, 3, b"b", None)]
    applied = _through(LastValues(max_bytes=1 << 20), records)
    assert applied == [(1, 0, b"a", b"x"), (0, 2, b"a", b"2"), (0, 3, b"b", None)]


def test_a_full_window_is_drained_and_the_next_starts_empty() -> None:
    window = LastValues(max_bytes=4)
    assert not window.add(0, 0, b"a", b"1")
    assert window.add(0, 1, b"b", b"12"), "5 bytes held: full"
    assert list(window.drain()) == [(0, 0, b"a", b"1"), (0, 1, b"b", b"12")]
    assert len(window) == 0
    assert not window.add(0, 2, b"a", None)


def test_any_window_size_restores_the_state_a_full_replay_restores() -> None:
    rng = random.Random(7)
    records = []
    for offset in range(3000):
        partition = rng.randrange(3)
        value = None if rng.random() < 0.2 else bytes([rng.randrange(256)]) * rng.randrange(1, 40)
        records.append((partition, offset, b"k%d" % rng.randrange(200), value))
    expected = _replay(records)
    for max_bytes in (1, 50, 1000, 1 << 30):
        restored = _replay(_through(LastValues(max_bytes), records))
        assert restored == expected
        assert {p: list(s) for p, s in restored.items()} == {p: list(s) for p, s in expected.items()}, "same order"
    assert len(_through(LastValues(1 << 30), records)) == len({(p, k) for p, _, k, _ in records})
