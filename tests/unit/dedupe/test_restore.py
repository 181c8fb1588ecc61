"""A state rebuilt from the drained changelog gives the same verdicts as the live state."""

from __future__ import annotations

from schemas import Mention
from streams.dedupe import DedupeIndex, WaveTracker
from streams.sources.generator import VALID_KINDS, generate


def _stream() -> list[Mention]:
    # Fast-moving event time (mean 60 s between posts) so that keys expire and waves close mid-stream.
    records = generate(3000, seed=5, mean_gap_seconds=60)
    return [Mention.model_validate_json(r.value) for r in records if r.kind in VALID_KINDS]


def test_generated_stream_restored_index_matches_live() -> None:
    stream = _stream()
    live = DedupeIndex(window_seconds=6 * 3600, max_keys=1500)
    changelog: list[tuple[bytes, bytes | None]] = []
    for i, mention in enumerate(stream[:2000]):
        live.observe(mention)
        if i % 37 == 0:
            changelog.extend(live.drain_changes())
    changelog.extend(live.drain_changes())
    restored = DedupeIndex(window_seconds=6 * 3600, max_keys=1500)
    for key, value in changelog:
        restored.restore(key, value)
    assert len(restored) == len(live)
    tail = [(live.observe(m), restored.observe(m)) for m in stream[2000:]]
    assert sum(a is not None for a, _ in tail) > 20, "the tail holds merges to compare"
    assert [a for a, _ in tail] == [b for _, b in tail]
    assert any(value is None for _, value in changelog), "expiry and eviction leave tombstones"


def test_generated_stream_restored_waves_match_live() -> None:
    stream = _stream()
    live = WaveTracker(window_seconds=3600, min_authors=3, max_keys=400)
    changelog: list[tuple[bytes, bytes | None]] = []
    for i, mention in enumerate(stream[:2000]):
        live.observe(mention)
        if i % 41 == 0:
            changelog.extend(live.drain_changes())
    changelog.extend(live.drain_changes())
    restored = WaveTracker(window_seconds=3600, min_authors=3, max_keys=400)
    for key, value in changelog:
        restored.restore(key, value)
    assert (len(restored), restored.open_waves) == (len(live), live.open_waves)
    tail = [(live.observe(m), restored.observe(m)) for m in stream[2000:]]
    assert sum(a is not None for a, _ in tail) > 20, "the tail holds wave members to compare"
    assert [a for a, _ in tail] == [b for _, b in tail]
