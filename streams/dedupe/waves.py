"""Waves: many different people posting one text within a short window (a signal, never a merge).

A copy-and-paste campaign, a petition, a viral complaint template: each mention is a new mention
from its own author, and stays one, but downstream teams want to see them as one wave. Texts are
grouped by ``wave_key`` (the text lower-cased, without URLs, @mentions, emoji, punctuation and
numbers); a wave opens once ``min_authors`` distinct author identities posted the group's text within
``window_seconds`` of event time, and from then on ``observe`` returns ``(wave_id, wave_size)`` for
every mention of it (size = distinct authors so far). The wave closes when no mention of it arrived
for ``window_seconds``. Texts shorter than ``min_words`` ("thanks!", "help") never make a wave.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from itertools import islice

import xxhash

from schemas.mention import Mention
from streams.dedupe.changelog import DOUBLE, WATERMARK_KEY, changelog_key, put_last, split_key, touch
from streams.dedupe.identity import identity_hash, identity_key
from streams.dedupe.text import wave_tokens
from streams.state_bounds import Bound

_MEMBER = struct.Struct("<Qd")  # author identity hash, when they posted
_OPEN = struct.Struct("<ddI")  # opened at, last seen, size
_PENDING, _OPEN_NS = b"P", b"O"


def wave_key(text: str) -> int:
    """The 64-bit key of a text's wave group (the next topic's partition key: one wave, one partition)."""
    return int(xxhash.xxh3_64_intdigest(b" ".join(wave_tokens(text))))


def wave_id(key: int, opened_at: float) -> str:
    return str(xxhash.xxh3_64_hexdigest(key.to_bytes(8, "big") + DOUBLE.pack(opened_at)))


@dataclass(slots=True)
class _Wave:
    opened_at: float
    last_seen: float
    size: int
    members: set[int] = field(default_factory=set)


class WaveTracker:
    def __init__(
        self,
        window_seconds: float = 1800,
        min_authors: int = 5,
        *,
        max_keys: int = 200_000,
        min_words: int = 4,
        max_members: int = 10_000,
        max_members_total: int = 1_000_000,
    ) -> None:
        self.window_seconds = window_seconds
        self.min_authors = min_authors
        self._keys = Bound(max_keys)  # pending groups, then open waves, evicted oldest first
        self._members_bound = Bound(max_members_total)  # authors kept over all waves
        self.min_words = min_words
        self.max_members = max_members  # beyond this many, wave_size counts mentions, not authors
        self._members = 0
        self._pending: dict[int, bytes] = {}  # key -> (author, time) pairs, arrival order
        self._open: dict[int, _Wave] = {}
        self._dirty: dict[bytes, dict[int, None]] = {_PENDING: {}, _OPEN_NS: {}}
        self._watermark = float("-inf")
        self._swept: int | None = None  # the second of event time state was last swept at
        self._watermark_dirty = False

    def __len__(self) -> int:
        return len(self._pending) + len(self._open)

    @property
    def max_keys(self) -> int:
        return self._keys.limit

    @property
    def bounds(self) -> dict[str, Bound]:
        return {"keys": self._keys, "members": self._members_bound}

    def sizes(self) -> dict[str, int]:
        return {"keys": len(self), "members": self._members}

    def enforce_bounds(self) -> None:
        self._bound()

    @property
    def open_waves(self) -> int:
        return len(self._open)

    def observe(self, mention: Mention, identity: str | None = None) -> tuple[str, int] | None:
        """(wave_id, wave_size) once the mention's wave is open, else None; ``identity`` = identity_key(mention)."""
        now = mention.created_at.timestamp()
        if now > self._watermark:
            self._watermark = now
            self._watermark_dirty = True
            if int(now) != self._swept:
                self._swept = int(now)
                self._expire()
        words = wave_tokens(mention.text)
        if len(words) < self.min_words:
            return None
        key = int(xxhash.xxh3_64_intdigest(b" ".join(words)))
        author = identity_hash(identity or identity_key(mention))
        wave = self._open.get(key)
        if wave is not None:
            if self._watermark - wave.last_seen <= self.window_seconds:
                return self._grow(key, wave, author, now)
            self._delete(_OPEN_NS, key)  # closed but not yet swept: a new group starts
        horizon = self._watermark - self.window_seconds
        blob = self._pending.get(key, b"")
        members = {a: t for a, t in _MEMBER.iter_unpack(blob) if t >= horizon and a != author}
        members[author] = now
        if len(members) >= self.min_authors:
            if key in self._pending:
                self._delete(_PENDING, key)
            wave = _Wave(now, now, len(members), set(members))
            self._members += len(members)
            self._set_open(key, wave)
            return wave_id(key, now), wave.size
        put_last(self._pending, key, b"".join(_MEMBER.pack(a, t) for a, t in members.items()))
        touch(self._dirty[_PENDING], key)
        self._bound()
        return None

    def _grow(self, key: int, wave: _Wave, author: int, now: float) -> tuple[str, int]:
        if author not in wave.members:
            if len(wave.members) < self.max_members and self._members < self._members_bound.limit:
                wave.members.add(author)
                self._members += 1
            elif len(wave.members) < self.max_members:
                self._members_bound.evicted += 1  # counted, not kept: the wave's size still grows
            wave.size += 1
        wave.last_seen = max(wave.last_seen, now)
        self._set_open(key, wave)
        return wave_id(key, wave.opened_at), wave.size

    def _set_open(self, key: int, wave: _Wave) -> None:
        put_last(self._open, key, wave)
        touch(self._dirty[_OPEN_NS], key)
        self._bound()

    def _bound(self) -> None:
        while self._members > self._members_bound.limit and self._open:
            self._delete(_OPEN_NS, next(iter(self._open)))
            self._members_bound.evicted += 1
        excess = len(self) - self.max_keys
        if excess <= 0:
            return
        # 1% more than needed in one pass (finding a dict's oldest entry costs a walk over the slots
        # its deleted entries left behind); pending groups go before open waves.
        excess += max(1, self.max_keys // 100)
        doomed = [(_PENDING, key) for key in islice(self._pending, excess)]
        doomed += [(_OPEN_NS, key) for key in islice(self._open, excess - len(doomed))]
        for namespace, key in doomed:
            self._delete(namespace, key)
        self._keys.evicted += len(doomed)

    def _delete(self, namespace: bytes, key: int) -> None:
        if namespace == _PENDING:
            del self._pending[key]
        else:
            self._members -= len(self._open.pop(key).members)
        self._dirty[namespace][key] = None

    def _expire(self) -> None:
        horizon = self._watermark - self.window_seconds
        doomed: list[tuple[bytes, int]] = []
        for key, blob in self._pending.items():
            if DOUBLE.unpack_from(blob, len(blob) - 8)[0] >= horizon:
                break
            doomed.append((_PENDING, key))
        for key, wave in self._open.items():
            if wave.last_seen >= horizon:
                break
            doomed.append((_OPEN_NS, key))
        for namespace, key in doomed:
            self._delete(namespace, key)

    def holds_outputs(self) -> bool:
        return False  # its changes are all it owes the changelog

    def drain_changes(self) -> list[tuple[bytes, bytes | None]]:
        """The (key, value) state changes since the last call; a None value is a tombstone."""
        changes: list[tuple[bytes, bytes | None]] = []
        if self._watermark_dirty:
            changes.append((WATERMARK_KEY, DOUBLE.pack(self._watermark)))
            self._watermark_dirty = False
        changes.extend((changelog_key(_PENDING, key), self._pending.get(key)) for key in self._dirty[_PENDING])
        for key in self._dirty[_OPEN_NS]:
            wave = self._open.get(key)
            value = None
            if wave is not None:
                head = _OPEN.pack(wave.opened_at, wave.last_seen, wave.size)
                value = head + b"".join(m.to_bytes(8, "little") for m in wave.members)
            changes.append((changelog_key(_OPEN_NS, key), value))
        for dirty in self._dirty.values():
            dirty.clear()
        return changes

    def restore(self, key: bytes, value: bytes | None) -> None:
        """Apply one drained change (in drain order) to rebuild the state after a restart."""
        namespace, number = split_key(key)
        if namespace == WATERMARK_KEY[:1]:
            if value is not None:
                self._watermark = max(self._watermark, DOUBLE.unpack(value)[0])
                self._swept = int(self._watermark)
        elif namespace == _PENDING:
            if value is None:
                self._pending.pop(number, None)
            else:
                put_last(self._pending, number, value)
        elif namespace == _OPEN_NS:
            old = self._open.pop(number, None)
            if old is not None:
                self._members -= len(old.members)
            if value is not None:
                opened, last, size = _OPEN.unpack_from(value)
                members = {int.from_bytes(value[i : i + 8], "little") for i in range(_OPEN.size, len(value), 8)}
                put_last(self._open, number, _Wave(opened, last, size, members))
                self._members += len(members)
        else:
            raise ValueError(f"unknown wave state namespace {namespace!r}")
