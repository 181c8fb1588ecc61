"""The rules on real public tweets (../shared/data; skipped when it is absent)."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from schemas import DuplicateKind, Mention
from streams.dedupe import DedupeIndex, WaveTracker
from streams.sources.twcs import read_twcs
from tests.unit.dedupe.helpers import mention

pytestmark = pytest.mark.shared_data


def _airline(shared_data: Path) -> list[Mention]:
    with (shared_data / "airline-sentiment" / "Tweets.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    mentions = [
        mention(
            row["text"],
            row["tweet_id"],
            handle=row["name"],
            created_at=datetime.strptime(row["tweet_created"], "%Y-%m-%d %H:%M:%S %z"),
            brand_account=row["airline"],
        )
        for row in rows
    ]
    return sorted(mentions, key=lambda m: m.created_at)  # the file is grouped by airline; a stream is not


def _twcs(shared_data: Path) -> list[Mention]:
    tweets = read_twcs(shared_data / "twcs-sample" / "twcs.csv")
    out = [
        mention(
            tweet.text,
            tweet.tweet_id,
            handle=tweet.author_id,
            created_at=tweet.created_at,
            in_reply_to_id=tweet.in_response_to_tweet_id,
        )
        for tweet in tweets
    ]
    return sorted(out, key=lambda m: m.created_at)


def test_airline_repeated_tweet_ids_are_exact_duplicates(shared_data: Path) -> None:
    mentions = _airline(shared_data)
    index = DedupeIndex()
    verdicts = [(m, index.observe(m)) for m in mentions]
    kinds = Counter(v.kind for _, v in verdicts if v is not None)
    assert kinds[DuplicateKind.EXACT] == 155, "the dataset repeats 155 tweet ids"
    by_id = {m.id: m for m in mentions}
    for m, verdict in verdicts:
        if verdict is not None and verdict.kind is not DuplicateKind.EXACT:
            # Merges other than exact stay within one author and one airline.
            canonical = by_id[verdict.canonical_id]
            assert (canonical.author.handle.lower(), canonical.brand_account) == (
                m.author.handle.lower(),
                m.brand_account,
            )
    # Real same-author repeats exist (the same ask re-posted), but merges stay rare.
    assert 0 < kinds[DuplicateKind.CROSS_POST] + kinds[DuplicateKind.NEAR_DUPLICATE] < 0.01 * len(mentions)


def test_airline_same_text_from_different_people_opens_no_merge_only_waves(shared_data: Path) -> None:
    mentions = _airline(shared_data)
    authors: dict[str, set[str]] = {}
    for m in mentions:
        authors.setdefault(m.text, set()).add(m.author.handle)
    shared = [t for t, who in authors.items() if len(who) > 1 and len(t.split()) >= 6]
    assert shared, "real tweets posted word for word by several people"
    copies = [m for m in mentions if m.text == shared[0]]
    index = DedupeIndex()
    by_author: dict[str, object] = {}
    for m in copies:
        verdict = index.observe(m)
        if m.author.handle not in by_author:
            by_author[m.author.handle] = verdict
    assert all(v is None for v in by_author.values()), "each person's first copy is a new mention"
    waves = WaveTracker(window_seconds=10**7, min_authors=2)
    assert any(waves.observe(m) for m in copies)


def test_twcs_replies_are_not_merged_into_their_parents(shared_data: Path) -> None:
    mentions = _twcs(shared_data)
    index = DedupeIndex()
    for m in mentions:
        verdict = index.observe(m)
        if verdict is not None and m.in_reply_to_id is not None:
            assert verdict.canonical_id != Mention.make_id(m.channel, m.in_reply_to_id)


def test_twcs_reply_repeating_its_parent_is_not_a_duplicate(shared_data: Path) -> None:
    parents = [m for m in _twcs(shared_data) if m.in_reply_to_id is None and len(m.text.split()) >= 8][:200]
    for in_thread in (True, False):
        index = DedupeIndex()
        merged = 0
        for parent in parents:
            index.observe(parent)
            repeat = mention(
                parent.text + " ??",
                f"{parent.native_id}-again",
                handle=parent.author.handle,
                created_at=parent.created_at,
                in_reply_to_id=parent.native_id if in_thread else None,
            )
            merged += index.observe(repeat) is not None
        if in_thread:
            assert merged == 0, "a reply in the parent's thread is never merged into it"
        else:
            assert merged == len(parents), "the same repeat outside the thread is a duplicate"
