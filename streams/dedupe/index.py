"""Per-partition dedupe index: exact repeats, cross-posts, reshare echoes and near duplicates.

``observe(mention)`` returns None for the first mention of its group (forward it) or a ``Verdict``:
the mention is merged into ``canonical_id`` and goes to mentions.duplicates. Event time is
``created_at``; state expires against the watermark (the newest event time seen) and is evicted
oldest-first beyond ``max_keys``. The rules and thresholds are documented in docs/dedupe.md.

State (all keyed by 64-bit ints, values compact bytes or floats, no per-mention Python objects):
- exact:   exact_key(channel, native_id) -> first_seen (float)
- authors: hash of (identity, brand account) -> newest time + up to ``per_author`` records of that author's recent
           mentions (time, text and numbers hashes, own exact key, word sketch, word count, canonical id)
- echoes:  exact key of a reshared original -> first/last echo time, echo count, combined reach
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from pydantic import JsonValue

from schemas.duplicate import DuplicateKind
from schemas.mention import Mention
from streams.dedupe.changelog import DOUBLE, WATERMARK_KEY, changelog_key, put_last, split_key, touch
from streams.dedupe.identity import identity_hash, identity_key
from streams.dedupe.keys import exact_key
from streams.dedupe.text import jaccard, numbers_hash, own_words, sketch, text_hash, words

NEAR_THRESHOLD = 0.7  # estimated word-set Jaccard; see docs/dedupe.md for the measurement
MIN_NEAR_WORDS = 5  # shorter texts are never near duplicates, only identical (cross-post) ...
SHORT_WINDOW_SECONDS = 900.0  # ... and then only within 15 minutes of each other
QUOTE_MIN_WORDS = 3  # a reshare with this many words of its own is a quote: a new mention

_REC = struct.Struct("<dQQQ32sHH")  # time, text hash, numbers hash, own exact key, sketch, word count, id length
_ECHO = struct.Struct("<ddIQ")  # first echo, last echo, echo count, combined reach
_EXACT, _AUTHOR, _ECHOES = b"E", b"A", b"R"


class Verdict(NamedTuple):
    """A merge: the mention duplicates ``canonical_id``; ``evidence`` is JSON-able."""

    kind: DuplicateKind
    canonical_id: str
    evidence: dict[str, JsonValue]


class _Rec(NamedTuple):
    time: float
    text: int
    numbers: int
    own_key: int
    sketch: int
    word_count: int
    canonical_id: str


def _records(blob: bytes) -> list[_Rec]:
    out, offset = [], 8
    while offset < len(blob):
        time, text, numbers, own, sk, count, id_len = _REC.unpack_from(blob, offset)
        offset += _REC.size
        canonical = blob[offset : offset + id_len].decode()
        offset += id_len
        out.append(_Rec(time, text, numbers, own, int.from_bytes(sk, "little"), count, canonical))
    return out


def _pack(rec: _Rec) -> bytes:
    canonical = rec.canonical_id.encode()
    sk = rec.sketch.to_bytes(32, "little")
    return _REC.pack(rec.time, rec.text, rec.numbers, rec.own_key, sk, rec.word_count, len(canonical)) + canonical


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
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self.near_threshold = near_threshold
        self.per_author = per_author
        self.short_window_seconds = min(short_window_seconds, window_seconds)
        self._exact: dict[int, float] = {}
        self._authors: dict[int, bytes] = {}
        self._echoes: dict[int, bytes] = {}
        self._dirty: dict[bytes, dict[int, None]] = {_EXACT: {}, _AUTHOR: {}, _ECHOES: {}}
        self._watermark = float("-inf")
        self._watermark_dirty = False

    def __len__(self) -> int:
        return len(self._exact) + len(self._authors) + len(self._echoes)

    @property
    def watermark(self) -> float:
        return self._watermark

    # ----------------------------------------------------------------------------------- observe

    def observe(self, mention: Mention) -> Verdict | None:
        now = mention.created_at.timestamp()
        if now > self._watermark:
            swept = int(self._watermark) if self._watermark > float("-inf") else None
            self._watermark = now
            self._watermark_dirty = True
            if int(now) != swept:  # sweep at most once per second of event time
                self._expire()
        own_key = exact_key(mention.channel, mention.native_id)
        first = self._exact.get(own_key)
        if first is not None and self._watermark - first <= self.window_seconds:
            return Verdict(
                DuplicateKind.EXACT, mention.id, {"matched_fields": ["channel", "native_id"], "first_seen": first}
            )
        self._set_exact(own_key, now)
        if mention.reshare_of_id is not None and len(own_words(mention.text)) < QUOTE_MIN_WORDS:
            return self._echo(mention, now)
        return self._author_match(mention, now, own_key)

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

    def _author_match(self, mention: Mention, now: float, own_key: int) -> Verdict | None:
        identity = identity_key(mention)
        author = identity_hash(f"{identity}\x00{mention.brand_account}")
        ws = words(mention.text)
        normalised = " ".join(ws)
        this = _Rec(now, text_hash(normalised), numbers_hash(ws), own_key, 0, len(ws), mention.id)
        if len(ws) >= MIN_NEAR_WORDS:
            this = this._replace(sketch=sketch(normalised))
        blob = self._authors.get(author)
        earlier = _records(blob) if blob is not None else []
        horizon = self._watermark - self.window_seconds
        earlier = [rec for rec in earlier if rec.time >= horizon]
        verdict = self._match(mention, this, earlier)
        if verdict is not None:
            verdict.evidence["identity"] = identity
            this = this._replace(canonical_id=verdict.canonical_id)  # a chain of edits resolves to its root
        kept = [*earlier, this][-self.per_author :]
        newest = max(rec.time for rec in kept)
        self._set(self._authors, _AUTHOR, author, DOUBLE.pack(newest) + b"".join(_pack(rec) for rec in kept))
        return verdict

    def _match(self, mention: Mention, this: _Rec, earlier: list[_Rec]) -> Verdict | None:
        parent = exact_key(mention.channel, mention.in_reply_to_id) if mention.in_reply_to_id else None
        near_ok = this.word_count >= MIN_NEAR_WORDS
        best: _Rec | None = None
        best_score = 0.0
        for rec in earlier:
            if rec.own_key == parent:
                continue  # a reply is never a duplicate of the post it answers
            if rec.text == this.text:
                if this.word_count < MIN_NEAR_WORDS and abs(this.time - rec.time) > self.short_window_seconds:
                    continue
                evidence: dict[str, JsonValue] = {
                    "matched_fields": ["author_identity", "normalised_text"],
                    "similarity": 1.0,
                    "first_seen": rec.time,
                }
                return Verdict(DuplicateKind.CROSS_POST, rec.canonical_id, evidence)
            if near_ok and rec.word_count >= MIN_NEAR_WORDS and rec.numbers == this.numbers:
                score = jaccard(this.sketch, rec.sketch)
                if score > best_score:
                    best, best_score = rec, score
        if best is None or best_score < self.near_threshold:
            return None
        evidence = {
            "matched_fields": ["author_identity", "similar_text"],
            "similarity": round(best_score, 3),
            "threshold": self.near_threshold,
            "first_seen": best.time,
        }
        return Verdict(DuplicateKind.NEAR_DUPLICATE, best.canonical_id, evidence)

    # ------------------------------------------------------------------------ state & changelog

    def _set(self, state: dict[int, bytes], namespace: bytes, key: int, value: bytes) -> None:
        put_last(state, key, value)
        touch(self._dirty[namespace], key)
        if len(self) > self.max_keys:
            self._evict_oldest()

    def _set_exact(self, key: int, first_seen: float) -> None:
        put_last(self._exact, key, first_seen)
        touch(self._dirty[_EXACT], key)
        if len(self) > self.max_keys:
            self._evict_oldest()

    def _delete(self, namespace: bytes, key: int) -> None:
        if namespace == _EXACT:
            del self._exact[key]
        elif namespace == _AUTHOR:
            del self._authors[key]
        else:
            del self._echoes[key]
        self._dirty[namespace][key] = None

    def _heads(self) -> list[tuple[float, bytes, int]]:
        """(time, namespace, key) of the oldest entry of each non-empty state dict."""
        heads: list[tuple[float, bytes, int]] = []
        if self._exact:
            key = next(iter(self._exact))
            heads.append((self._exact[key], _EXACT, key))
        for namespace, state, offset in ((_AUTHOR, self._authors, 0), (_ECHOES, self._echoes, 8)):
            if state:
                key = next(iter(state))
                heads.append((DOUBLE.unpack_from(state[key], offset)[0], namespace, key))
        return heads

    def _evict_oldest(self) -> None:
        _, namespace, key = min(self._heads())
        self._delete(namespace, key)

    def _expire(self) -> None:
        # Arrival order approximates event-time order; a late-arriving old key is swept when reached
        # (lookups check the window themselves, so an unswept old key is never a match).
        horizon = self._watermark - self.window_seconds
        exact = self._exact
        while exact:
            key = next(iter(exact))
            if exact[key] >= horizon:
                break
            self._delete(_EXACT, key)
        for namespace, state, offset in ((_AUTHOR, self._authors, 0), (_ECHOES, self._echoes, 8)):
            while state:
                key = next(iter(state))
                if DOUBLE.unpack_from(state[key], offset)[0] >= horizon:
                    break
                self._delete(namespace, key)

    def drain_changes(self) -> list[tuple[bytes, bytes | None]]:
        """The (key, value) state changes since the last call; a None value is a tombstone."""
        changes: list[tuple[bytes, bytes | None]] = []
        if self._watermark_dirty:
            changes.append((WATERMARK_KEY, DOUBLE.pack(self._watermark)))
            self._watermark_dirty = False
        for key in self._dirty[_EXACT]:
            first = self._exact.get(key)
            changes.append((changelog_key(_EXACT, key), None if first is None else DOUBLE.pack(first)))
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
            return
        if namespace == _EXACT:
            if value is None:
                self._exact.pop(number, None)
            else:
                put_last(self._exact, number, DOUBLE.unpack(value)[0])
            return
        state = {_AUTHOR: self._authors, _ECHOES: self._echoes}.get(namespace)
        if state is None:
            raise ValueError(f"unknown dedupe state namespace {namespace!r}")
        if value is None:
            state.pop(number, None)
        else:
            put_last(state, number, value)
