from __future__ import annotations

from streams.dedupe import DedupeIndex, WaveTracker, wave_key
from tests.unit.dedupe.helpers import mention

CAMPAIGN = "@AcmeAir bring back the free checked bag on flight {n}! #FairFares https://t.co/{n}"


def test_wave_key_ignores_numbers_links_and_case() -> None:
    assert wave_key(CAMPAIGN.format(n=12)) == wave_key(CAMPAIGN.format(n=999).upper())
    assert wave_key(CAMPAIGN.format(n=1)) != wave_key("@AcmeAir the lounge was lovely today, thank you all")


def test_wave_opens_at_the_fifth_distinct_author_and_grows() -> None:
    waves = WaveTracker()
    seen = [waves.observe(mention(CAMPAIGN.format(n=i), str(i), handle=f"p{i}", minutes=i)) for i in range(7)]
    assert seen[:4] == [None] * 4
    assert seen[4] is not None
    assert seen[5] is not None
    wave_id, size = seen[4]
    assert size == 5
    assert seen[5] == (wave_id, 6), "the same wave, one author more"
    assert waves.open_waves == 1


def test_one_author_repeating_is_not_a_wave() -> None:
    waves = WaveTracker(min_authors=3)
    assert all(waves.observe(mention(CAMPAIGN.format(n=i), str(i), minutes=i)) is None for i in range(10))


def test_authors_spread_beyond_the_window_do_not_make_a_wave() -> None:
    waves = WaveTracker(window_seconds=1800, min_authors=3)
    spread = [waves.observe(mention(CAMPAIGN.format(n=i), str(i), handle=f"p{i}", minutes=40 * i)) for i in range(6)]
    assert spread == [None] * 6


def test_short_texts_never_make_a_wave() -> None:
    waves = WaveTracker(min_authors=2)
    assert all(waves.observe(mention("thanks!", str(i), handle=f"p{i}")) is None for i in range(5))


def test_identical_long_text_from_different_authors_is_a_wave_not_a_merge() -> None:
    index, waves = DedupeIndex(), WaveTracker(min_authors=3)
    results = []
    for i in range(4):
        m = mention(CAMPAIGN.format(n=7), str(i), handle=f"p{i}", minutes=i)
        results.append((index.observe(m), waves.observe(m)))
    assert [merge for merge, _ in results] == [None] * 4
    assert [wave is not None for _, wave in results] == [False, False, True, True]


def test_waves_close_and_state_expires() -> None:
    waves = WaveTracker(window_seconds=600, min_authors=2)
    for i in range(3):
        waves.observe(mention(CAMPAIGN.format(n=i), str(i), handle=f"p{i}", minutes=i))
    assert waves.open_waves == 1
    waves.observe(mention("a much later and entirely unrelated post here", "x", handle="z", minutes=60))
    assert waves.open_waves == 0
    assert len(waves) == 1, "only the later post's pending group is left"


def test_a_restored_wave_tracker_continues_the_same_wave() -> None:
    live = WaveTracker(min_authors=3)
    stream = [mention(CAMPAIGN.format(n=i), str(i), handle=f"p{i % 6}", minutes=i) for i in range(12)]
    changelog = []
    for m in stream[:5]:
        live.observe(m)
        changelog.extend(live.drain_changes())
    restored = WaveTracker(min_authors=3)
    for key, value in changelog:
        restored.restore(key, value)
    after = [(live.observe(m), restored.observe(m)) for m in stream[5:]]
    assert all(a is not None for a, _ in after)
    assert [a for a, _ in after] == [b for _, b in after]


def test_wave_memory_is_bounded() -> None:
    waves = WaveTracker(max_keys=100)
    for i in range(2000):
        word = "".join("abcdefghij"[int(d)] for d in str(i))  # numbers are not part of a wave's text
        waves.observe(mention(f"unique complaint text {word} words here", str(i), handle=f"p{i}"))
    assert len(waves) == 100


def test_authors_held_over_all_waves_are_bounded_and_a_wave_keeps_counting_past_it() -> None:
    waves = WaveTracker(max_members_total=12)
    seen = [waves.observe(mention(CAMPAIGN.format(n=i), str(i), handle=f"p{i}", minutes=i / 10)) for i in range(30)]
    assert waves.sizes()["members"] == 12
    assert seen[-1] is not None
    assert seen[-1][1] == 30, "the wave's size still counts every mention"
    assert waves.bounds["members"].evicted == 18
    restored = WaveTracker(max_members_total=12)
    for key, value in waves.drain_changes():
        restored.restore(key, value)
    assert restored.sizes() == waves.sizes()


def test_a_worker_wide_limit_is_shared_over_the_partitions() -> None:
    waves = WaveTracker(max_keys=100)
    for i in range(100):
        word = "".join("abcdefghij"[int(d)] for d in str(i))
        waves.observe(mention(f"unique complaint text {word} words here", str(i), handle=f"p{i}"))
    for bound in waves.bounds.values():
        bound.share(4)  # the worker's 100 keys over 4 partitions
    waves.enforce_bounds()
    assert len(waves) <= 25
    assert waves.bounds["keys"].evicted >= 75
    index = DedupeIndex(max_keys=1000)
    index.bounds["keys"].share(8)
    assert index.max_keys == 125
