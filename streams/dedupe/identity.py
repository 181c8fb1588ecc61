"""Author identity across channels: the key cross-posts and near duplicates are grouped by.

One person is known by several handles ("casey_traveller" on X, "casey.traveller" on Facebook); a
connector that knows them lists the others in ``Author.linked_handles`` as "channel:handle". The
identity is the lexicographically smallest bare handle of them all, so every channel's copy of the
person yields the same key as long as each lists the others. It is also the raw topic's partition key,
so one person's mentions reach one dedupe partition: it must stay cheap and deterministic.

Caveat: bare handles drop the channel, so "alex" on X and an unrelated "alex" on Reddit share an
identity. They merge only when they post the same (or nearly the same) text within the window.
"""

from __future__ import annotations

import xxhash

from schemas.mention import Channel, Mention

_CHANNELS = frozenset(channel.value for channel in Channel)


def bare_handle(handle: str) -> str:
    """'twitter:@Casey_T' -> 'casey_t': channel prefix removed, lower-cased, leading '@' stripped."""
    prefix, sep, rest = handle.partition(":")
    if sep and prefix.lower() in _CHANNELS:
        handle = rest
    return handle.strip().lstrip("@").lower()


def identity_key(mention: Mention) -> str:
    """The smallest bare handle among the author's handle and linked handles."""
    author = mention.author
    best = bare_handle(author.handle) or author.handle
    for linked in author.linked_handles:
        candidate = bare_handle(linked)
        if candidate and candidate < best:
            best = candidate
    return best


def identity_hash(identity: str) -> int:
    """A 64-bit hash of an identity key (what the dedupe state is keyed by)."""
    return xxhash.xxh3_64_intdigest(identity.encode())
