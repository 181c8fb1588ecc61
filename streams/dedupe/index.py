"""Per-partition dedupe index: exact repeats, cross-posts, reshare echoes and near duplicates.

``observe(mention)`` returns None for the first mention of its group (forward it) or a ``Verdict``:
the mention is merged into ``canonical_id`` and goes to mentions.duplicates. Event time is
``created_at``; state expires against the watermark (the newest event time seen) and is evicted
oldest-first beyond ``max_keys``. The rules and thresholds are documented in docs/dedupe.md.

State (all keyed by 64-bit ints, values compact bytes or floats, no per-mention Python objects):
- exact:   exact_key(channel, native_id) -> time bucket (window/64 wide, a cached small int: a
           float per key would add ~45 MB per million keys)
- authors: hash of (identity, brand account) -> newest time + up to ``per_author`` records of that author's recent
           mentions (time, text and numbers hashes, own exact key, word sketch, word count, canonical id)
- echoes:  exact key of a reshared original -> first/last echo time, echo count, combined reach
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Iterator
from itertools import islice
from typing import NamedTuple

import xxhash
from pydantic import JsonValue

from schemas.duplicate import DuplicateKind
from schemas.mention import Mention
from streams.dedupe.authors import MIN_NEAR_WORDS, NEAR_THRESHOLD, SHORT_WINDOW_SECONDS, find_match, pack, scan
from streams.dedupe.changelog import DOUBLE, WATERMARK_KEY, changelog_key, put_last, split_key, touch
from streams.dedupe.identity import identity_hash, identity_key
from streams.dedupe.keys import exact_key
from streams.dedupe.text import numbers_hash, own_tokens, sketch, tokens
from streams.state_bounds import Bound

QUOTE_MIN_WORDS = 3  # a reshare with this many words of its own is a quote: a new mention

_hash = xxhash.xxh3_64_intdigest
_ECHO = struct.Struct("<ddIQ")  # first echo, last echo, echo count, combined reach
_EXACT, _AUTHOR, _ECHOES = b"E", b"A", b"R"
_BUCKETS = 64  # per window; bucket numbers wrap at 256, which only keys > 4 windows old could reach


class Verdict(NamedTuple):
    """A merge: the mention duplicates ``canonical_id``; ``evidence`` is JSON-able."""

    kind: DuplicateKind
    canonical_id: str
    evidence: dict[str, JsonValue]


class DedupeIndex:
    def __init__(
        self,
        window_seconds: float = 86_400,
        max_keys: int = 1_000_000,
        near_threshold: float = NEAR_THRESHOLD,
        *,
        per_author: int = 16,
        short_window_seconds: float = SHORT_WINDOW_SECONDS,
    ) -> None:
        if window_seconds <= 0 or max_keys <= 0:
            raise ValueError("window_seconds and max_keys must be positive")
        self.window_seconds = window_seconds
        self._keys = Bound(max_keys)  # evicts the oldest keys (streams.state_bounds)
        self.near_threshold = near_threshold
        self.per_author = per_author
        self.short_window_seconds = min(short_window_seconds, window_seconds)
        self._exact: dict[int, int] = {}
        self._bucket_seconds = window_seconds / _BUCKETS
        self._authors: dict[int, bytes] = {}
        self._echoes: dict[int, bytes] = {}
        self._dirty: dict[bytes, dict[int, None]] = {_EXACT: {}, _AUTHOR: {}, _ECHOES: {}}
        self._watermark = float("-inf")
        self._swept: int | None = None  # the second of event time state was last swept at
        self._watermark_dirty = False

    def __len__(self) -> int:
        return len(self._exact) + len(self._authors) + len(self._echoes)

    @property
    def max_keys(self) -> int:
        return self._keys.limit

    @property
    def bounds(self) -> dict[str, Bound]:
        return {"keys": self._keys}

    def sizes(self) -> dict[str, int]:
        return {"keys": len(self)}

    def enforce_bounds(self) -> None:
        if len(self) > self.max_keys:
            self._evict_oldest()

    @property
    def watermark(self) -> float:
        return self._watermark

    # ----------------------------------------------------------------------------------- observe

    def observe(self, mention: Mention, identity: str | None = None) -> Verdict | None:
        """None for the first of its group, else the merge; ``identity`` = identity_key(mention) if known."""
        now = mention.created_at.timestamp()
        if now > self._watermark:
            if now - self._watermark > self.window_seconds:
                self._clear()  # everything stored is older than the window: a gap in the stream
            self._watermark = now
            self._watermark_dirty = True
            if int(now) != self._swept:  # sweep at most once per second of event time
                self._swept = int(now)
                self._expire()
        elif now < self._watermark - self.window_seconds:
            return None  # later than the window: nothing it could duplicate is kept, nor is it
        own_key = exact_key(mention.channel, mention.native_id)
        bucket = self._exact.get(own_key)
        if bucket is not None and self._age(bucket) <= _BUCKETS:
            first = self._bucket_start(bucket)
            evidence: dict[str, JsonValue] = {"matched_fields": ["channel", "native_id"], "first_seen": first}
            return Verdict(DuplicateKind.EXACT, mention.id, evidence)
        self._set_exact(own_key, int(now // self._bucket_seconds) & 255)
        if mention.reshare_of_id is not None and len(own_tokens(mention.text)) < QUOTE_MIN_WORDS:
            return self._echo(mention, now)
        return self._author_match(mention, now, own_key, identity)

    def _echo(self, mention: Mention, now: float) -> Verdict:
        assert mention.reshare_of_id is not None
        key = exact_key(mention.channel, mention.reshare_of_id)
        blob = self._echoes.get(key)
        first, count, reach = now, 0, 0
        if blob is not None:
            first_echo, last_echo, seen, seen_reach = _ECHO.unpack(blob)
            if self._watermark - last_echo <= self.window_seconds:
                first, count, reach = first_echo, seen, seen_reach
        count, reach = count + 1, reach + mention.author.followers
        self._set(self._echoes, _ECHOES, key, _ECHO.pack(first, now, count, reach))
        evidence: dict[str, JsonValue] = {
            "matched_fields": ["reshare_of_id"],
            "echo_count": count,
            "combined_reach": reach,
            "first_seen": first,
        }
        return Verdict(DuplicateKind.RESHARE, Mention.make_id(mention.channel, mention.reshare_of_id), evidence)

    def _author_match(self, mention: Mention, now: float, own_key: int, identity: str | None) -> Verdict | None:
        identity = identity or identity_key(mention)
        author = identity_hash(f"{identity}\x00{mention.brand_account}")
        ws = tokens(mention.text)
        near = len(ws) >= MIN_NEAR_WORDS
        joined = b" ".join(ws)
        text, numbers, bits = _hash(joined), numbers_hash(ws, joined) if near else 0, sketch(ws) if near else 0
        blob = self._authors.get(author)
        if blob is None:  # most authors: nothing to compare with
            record = pack(now, text, numbers, own_key, bits, len(ws), mention.id)
            self._set(self._authors, _AUTHOR, author, DOUBLE.pack(now) + record)
            return None
        kept, total = scan(blob, self._watermark - self.window_seconds)
        parent = exact_key(mention.channel, mention.in_reply_to_id) if mention.in_reply_to_id else None
        found = find_match(
            blob, kept, (now, text, numbers, bits, len(ws)), parent, self.near_threshold, self.short_window_seconds
        )
        verdict, canonical = None, mention.id
        if found is not None:
            kind, canonical, evidence = found  # a chain of edits resolves to its root
            evidence["identity"] = identity
            verdict = Verdict(kind, canonical, evidence)
        record = pack(now, text, numbers, own_key, bits, len(ws), canonical)
        if len(kept) == total < self.per_author:  # nothing to drop: append
            value = DOUBLE.pack(max(now, DOUBLE.unpack_from(blob)[0])) + blob[8:] + record
        else:
            kept = kept[len(kept) + 1 - self.per_author :] if self.per_author > 1 else []
            newest = max([now, *(fields[0] for _, _, fields in kept)])
            value = DOUBLE.pack(newest) + b"".join(blob[start:end] for start, end, _ in kept) + record
        self._set(self._authors, _AUTHOR, author, value)
        return verdict

    # ------------------------------------------------------------------------ state & changelog

    def _set(self, state: dict[int, bytes], namespace: bytes, key: int, value: bytes) -> None:
        put_last(state, key, value)
        touch(self._dirty[namespace], key)
        if len(self._exact) + len(self._authors) + len(self._echoes) > self.max_keys:
            self._evict_oldest()

    def _age(self, bucket: int) -> int:
        """Buckets between ``bucket`` and the watermark's (exact keys older than the window are swept)."""
        return (int(self._watermark // self._bucket_seconds) - bucket) & 255

    def _bucket_start(self, bucket: int) -> float:
        return (int(self._watermark // self._bucket_seconds) - self._age(bucket)) * self._bucket_seconds

    def _set_exact(self, key: int, bucket: int) -> None:
        put_last(self._exact, key, bucket)
        touch(self._dirty[_EXACT], key)
        if len(self._exact) + len(self._authors) + len(self._echoes) > self.max_keys:
            self._evict_oldest()

    def _delete(self, namespace: bytes, key: int) -> None:
        if namespace == _EXACT:
            del self._exact[key]
        elif namespace == _AUTHOR:
            del self._authors[key]
        else:
            del self._echoes[key]
        self._dirty[namespace][key] = None

    def _oldest(self) -> Iterator[tuple[float, bytes, int]]:
        """(time, namespace, key) of every entry, oldest first (arrival order, merged by time)."""
        exact = ((self._bucket_start(b), _EXACT, k) for k, b in self._exact.items())
        authors = ((DOUBLE.unpack_from(v)[0], _AUTHOR, k) for k, v in self._authors.items())
        echoes = ((DOUBLE.unpack_from(v, 8)[0], _ECHOES, k) for k, v in self._echoes.items())
        return heapq.merge(exact, authors, echoes)

    def _clear(self) -> None:
        for namespace, state in ((_EXACT, self._exact), (_AUTHOR, self._authors), (_ECHOES, self._echoes)):
            self._dirty[namespace].update(dict.fromkeys(state))
            state.clear()

    def _evict_oldest(self) -> None:
        # Evict 1% more than needed in one pass: finding a dict's oldest entry walks over the slots its
        # deleted entries left behind, so doing it once per insertion would cost O(n) each time.
        excess = len(self) - self.max_keys + max(1, self.max_keys // 100)
        doomed = list(islice(self._oldest(), excess))
        for _, namespace, key in doomed:
            self._delete(namespace, key)
        self._keys.evicted += len(doomed)

    def _expire(self) -> None:
        # One pass per dict per sweep, for the same reason. Arrival order approximates event-time order;
        # a late-arriving old key is swept when reached (lookups check the window themselves).
        horizon = self._watermark - self.window_seconds
        doomed: list[tuple[bytes, int]] = []
        for key, bucket in self._exact.items():
            if self._age(bucket) <= _BUCKETS:
                break
            doomed.append((_EXACT, key))
        for namespace, state, offset in ((_AUTHOR, self._authors, 0), (_ECHOES, self._echoes, 8)):
            for key, value in state.items():
                if DOUBLE.unpack_from(value, offset)[0] >= horizon:
                    break
                doomed.append((namespace, key))
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
        for key in self._dirty[_EXACT]:
            bucket = self._exact.get(key)
            changes.append((changelog_key(_EXACT, key), None if bucket is None else bytes((bucket,))))
        for namespace, state in ((_AUTHOR, self._authors), (_ECHOES, self._echoes)):
            changes.extend((changelog_key(namespace, key), state.get(key)) for key in self._dirty[namespace])
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
            return
        if namespace == _EXACT:
            if value is None:
                self._exact.pop(number, None)
            else:
                put_last(self._exact, number, value[0])
            return
        state = {_AUTHOR: self._authors, _ECHOES: self._echoes}.get(namespace)
        if state is None:
            raise ValueError(f"unknown dedupe state namespace {namespace!r}")
        if value is None:
            state.pop(number, None)
        else:
            put_last(state, number, value)
